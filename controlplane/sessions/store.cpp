#include "controlplane/sessions/store.hpp"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <array>
#include <cstdio>
#include <cstring>

namespace msf::sessions {

namespace {

constexpr const char* kCreateSchema =
    "CREATE TABLE sessions ("
    " session_id TEXT PRIMARY KEY NOT NULL,"
    " peer TEXT NOT NULL,"
    " realm TEXT NOT NULL,"
    " created_ms INTEGER NOT NULL,"
    " updated_ms INTEGER NOT NULL,"
    " keys_unconfirmed INTEGER NOT NULL,"
    " stream_count INTEGER NOT NULL,"
    " streams BLOB NOT NULL,"
    " messages BLOB NOT NULL DEFAULT x'');"
    "CREATE TABLE meta (name TEXT PRIMARY KEY NOT NULL, value INTEGER NOT NULL);"
    "INSERT INTO meta(name, value) VALUES('next_dataplane_id', 1);"
    "PRAGMA user_version = 2;";
// Version 1 had no messages column: every session of it has no MSRP component.
constexpr const char* kUpgradeFrom1 =
    "ALTER TABLE sessions ADD COLUMN messages BLOB NOT NULL DEFAULT x'';"
    "PRAGMA user_version = 2;";
static_assert(Store::kSchemaVersion == 2, "kCreateSchema and kUpgradeFrom1 write user_version 2");

std::string errno_text(int err) { return std::strerror(err); }

std::string mode_text(mode_t mode) {
    char buf[8];
    std::snprintf(buf, sizeof(buf), "%04o", static_cast<unsigned>(mode & 07777));
    return buf;
}

// Writes a fresh random key to a new file, mode 0600, and syncs it (and its directory) before the
// store uses it: a key lost after sessions were sealed with it would lose those sessions.
std::string create_key_file(const std::string& path) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return errno == EEXIST ? std::string() : "cannot create store key " + path + ": " + errno_text(errno);
    std::array<uint8_t, kStoreKeyLen> key{};
    std::string error;
    if (::fchmod(fd, 0600) != 0) {
        error = "cannot set mode 0600 on store key " + path + ": " + errno_text(errno);
    } else if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) {
        error = "no random bytes for a new store key (OpenSSL RAND_bytes failed)";
    } else if (::write(fd, key.data(), key.size()) != static_cast<ssize_t>(key.size()) || ::fsync(fd) != 0) {
        error = "cannot write store key " + path + ": " + errno_text(errno);
    }
    OPENSSL_cleanse(key.data(), key.size());
    ::close(fd);
    if (!error.empty()) {
        ::unlink(path.c_str());
        return error;
    }
    const size_t slash = path.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
    if (const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
    return {};
}

// Reads the store key, creating it if absent. The file must be a regular file of exactly 32
// bytes, owned by this process's user, with no permission bits for group or others.
std::string read_key_file(const std::string& path, std::array<uint8_t, kStoreKeyLen>& key) {
    if (path.empty()) return "no store key file configured";
    if (std::string error = create_key_file(path); !error.empty()) return error;
    const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return "cannot open store key " + path + ": " + errno_text(errno);
    struct stat st {};
    std::string error;
    if (::fstat(fd, &st) != 0) {
        error = "cannot stat store key " + path + ": " + errno_text(errno);
    } else if (!S_ISREG(st.st_mode)) {
        error = "store key " + path + " is not a regular file";
    } else if (st.st_uid != ::geteuid()) {
        error = "store key " + path + " is owned by uid " + std::to_string(st.st_uid) + ", not by uid " +
                std::to_string(::geteuid()) + " that msf-controld runs as";
    } else if ((st.st_mode & 077) != 0) {
        error = "store key " + path + " has mode " + mode_text(st.st_mode) +
                ": group or others may access it; it must be 0600 or stricter (chmod 600 " + path + ")";
    } else if (st.st_size != static_cast<off_t>(kStoreKeyLen)) {
        error = "store key " + path + " is " + std::to_string(st.st_size) + " bytes; a store key is exactly " +
                std::to_string(kStoreKeyLen);
    } else if (::read(fd, key.data(), key.size()) != static_cast<ssize_t>(key.size())) {
        error = "cannot read store key " + path + ": " + errno_text(errno);
    }
    ::close(fd);
    return error;
}

struct Finalize {
    sqlite3_stmt* stmt;
    ~Finalize() { sqlite3_finalize(stmt); }
};

std::string_view column_text(sqlite3_stmt* stmt, int column) {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, column));
    return text ? std::string_view(text, static_cast<size_t>(sqlite3_column_bytes(stmt, column))) : std::string_view();
}

std::span<const uint8_t> column_blob(sqlite3_stmt* stmt, int column) {
    const auto* blob = static_cast<const uint8_t*>(sqlite3_column_blob(stmt, column));
    return blob ? std::span<const uint8_t>(blob, static_cast<size_t>(sqlite3_column_bytes(stmt, column)))
                : std::span<const uint8_t>();
}

}  // namespace

std::unique_ptr<Store> Store::open(const StoreOptions& options, std::string* error) {
    std::unique_ptr<Store> store(new Store());
    store->options_ = options;
    if (StoreStatus s = store->open_database(); !s.ok()) {
        *error = s.error;
        return nullptr;
    }
    // A new key only for a store without sessions: the key of sealed sessions must come back.
    if (!options.key_path.empty() && ::access(options.key_path.c_str(), F_OK) != 0 && errno == ENOENT) {
        StoreCounts counts;
        if (StoreStatus s = store->count(&counts); !s.ok()) {
            *error = s.error;
            return nullptr;
        }
        if (counts.sessions != 0) {
            *error = "store key " + options.key_path + " is missing, but " + options.database_path + " holds " +
                     std::to_string(counts.sessions) + " sessions sealed with it: put the key file back";
            return nullptr;
        }
    }
    std::array<uint8_t, kStoreKeyLen> key{};
    *error = read_key_file(options.key_path, key);
    if (error->empty()) store->cipher_ = RecordCipher::create(key, error);
    OPENSSL_cleanse(key.data(), key.size());
    if (!error->empty()) return nullptr;
    if (StoreStatus s = store->check_key_opens_first_session(); !s.ok()) {
        *error = s.error;
        return nullptr;
    }
    return store;
}

StoreStatus Store::failed(std::string_view what, int rc) const {
    std::string text = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    const int primary = rc & 0xff;
    if (primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT)
        text += " (the file is corrupted or is not an msf sessions store)";
    return {"store " + options_.database_path + ": " + std::string(what) + ": " + text};
}

StoreStatus Store::open_database() {
    const std::string& path = options_.database_path;
    if (path.empty()) return {"no store database configured"};
    // Create the file ourselves so that it, and the -wal and -shm files SQLite derives from its
    // mode, are 0600: the records are sealed, but Session-Ids and peers are not public either.
    if (const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600); fd >= 0) {
        ::close(fd);
    } else if (errno != EEXIST) {
        return {"cannot create store " + path + ": " + errno_text(errno)};
    }
    int rc = sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) return failed("open", rc);
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, 2000);

    int version = 0;
    {
        sqlite3_stmt* stmt = nullptr;
        rc = sqlite3_prepare_v2(db_, "PRAGMA user_version", -1, &stmt, nullptr);
        Finalize f{stmt};
        if (rc != SQLITE_OK) return failed("read schema version", rc);
        rc = sqlite3_step(stmt);
        if (rc != SQLITE_ROW) return failed("read schema version", rc);
        version = sqlite3_column_int(stmt, 0);
    }
    if (version > kSchemaVersion)
        return {"store " + path + " has schema version " + std::to_string(version) +
                ", newer than this msf-controld understands (" + std::to_string(kSchemaVersion) +
                "); refusing to open it (use the msf-controld that wrote it)"};
    if (version < 0) return {"store " + path + " has schema version " + std::to_string(version) + ": not an msf store"};

    // WAL: readers (msfctl) do not block the writer; synchronous=NORMAL: commits do not wait for
    // fsync, only checkpoints do. A crash of the process loses nothing committed.
    {
        sqlite3_stmt* stmt = nullptr;
        rc = sqlite3_prepare_v2(db_, "PRAGMA journal_mode=WAL", -1, &stmt, nullptr);
        Finalize f{stmt};
        if (rc != SQLITE_OK || (rc = sqlite3_step(stmt)) != SQLITE_ROW) return failed("set WAL mode", rc);
        if (column_text(stmt, 0) != "wal")
            return {"store " + path + ": SQLite refused WAL mode (journal mode " +
                    std::string(column_text(stmt, 0)) + ")"};
    }
    if ((rc = sqlite3_exec(db_, "PRAGMA synchronous=NORMAL", nullptr, nullptr, nullptr)) != SQLITE_OK)
        return failed("set synchronous=NORMAL", rc);

    // A damaged page must stop start-up with a clear error, not surface as a missing session.
    {
        sqlite3_stmt* stmt = nullptr;
        rc = sqlite3_prepare_v2(db_, "PRAGMA quick_check", -1, &stmt, nullptr);
        Finalize f{stmt};
        if (rc != SQLITE_OK) return failed("integrity check", rc);
        std::string problems;
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
            const std::string_view row = column_text(stmt, 0);
            if (row != "ok" && problems.size() < 512) problems += (problems.empty() ? "" : "; ") + std::string(row);
        }
        if (rc != SQLITE_DONE) return failed("integrity check", rc);
        if (!problems.empty())
            return {"store " + path + " is corrupted (integrity check: " + problems + ")"};
    }

    if (version == 0) {
        sqlite3_stmt* stmt = nullptr;
        rc = sqlite3_prepare_v2(db_, "SELECT count(*) FROM sqlite_schema", -1, &stmt, nullptr);
        Finalize f{stmt};
        if (rc != SQLITE_OK || (rc = sqlite3_step(stmt)) != SQLITE_ROW) return failed("read schema", rc);
        if (sqlite3_column_int(stmt, 0) != 0)
            return {"store " + path + " holds tables but no schema version: not an msf sessions store"};
        const std::string script = std::string("BEGIN;") + kCreateSchema + "COMMIT;";
        if ((rc = sqlite3_exec(db_, script.c_str(), nullptr, nullptr, nullptr)) != SQLITE_OK) {
            const StoreStatus s = failed("create schema", rc);
            sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
            return s;
        }
    } else if (version == 1) {
        const std::string script = std::string("BEGIN;") + kUpgradeFrom1 + "COMMIT;";
        if ((rc = sqlite3_exec(db_, script.c_str(), nullptr, nullptr, nullptr)) != SQLITE_OK) {
            const StoreStatus s = failed("upgrade schema 1 to 2", rc);
            sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
            return s;
        }
    }

    {
        sqlite3_stmt* stmt = nullptr;
        rc = sqlite3_prepare_v2(db_, "SELECT value FROM meta WHERE name = 'next_dataplane_id'", -1, &stmt, nullptr);
        Finalize f{stmt};
        if (rc != SQLITE_OK) return failed("read meta", rc);
        rc = sqlite3_step(stmt);
        if (rc == SQLITE_ROW) {
            const int64_t next = sqlite3_column_int64(stmt, 0);
            if (next < 1)
                return {"store " + path + ": next_dataplane_id " + std::to_string(next) + " is not a valid id"};
            next_dataplane_id_ = static_cast<uint64_t>(next);
        } else if (rc != SQLITE_DONE) {
            return failed("read meta", rc);
        }
    }

    struct Statement {
        sqlite3_stmt** stmt;
        const char* sql;
    };
    for (const Statement& s : {
             Statement{&begin_, "BEGIN"},
             Statement{&commit_, "COMMIT"},
             Statement{&put_, "INSERT OR REPLACE INTO sessions(session_id, peer, realm, created_ms, updated_ms, "
                              "keys_unconfirmed, stream_count, streams, messages) "
                              "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"},
             Statement{&remove_, "DELETE FROM sessions WHERE session_id = ?1"},
             Statement{&set_meta_, "INSERT OR REPLACE INTO meta(name, value) VALUES('next_dataplane_id', ?1)"},
         }) {
        if ((rc = sqlite3_prepare_v3(db_, s.sql, -1, SQLITE_PREPARE_PERSISTENT, s.stmt, nullptr)) != SQLITE_OK)
            return failed("prepare statements (not an msf sessions store?)", rc);
    }
    return {};
}

StoreStatus Store::check_key_opens_first_session() {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(db_, "SELECT session_id, streams FROM sessions LIMIT 1", -1, &stmt, nullptr);
    Finalize f{stmt};
    if (rc != SQLITE_OK) return failed("read sessions", rc);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) return {};
    if (rc != SQLITE_ROW) return failed("read sessions", rc);
    const std::string session_id(column_text(stmt, 0));
    api::Decoded<std::vector<MediaStream>> streams = decode_streams(session_id, column_blob(stmt, 1), *cipher_);
    if (!streams)
        return {"store " + options_.database_path + ": session '" + session_id + "': " + streams.error().message +
                " (key file " + options_.key_path + ")"};
    for (MediaStream& s : *streams) api::wipe_keys(s.spec);
    return {};
}

Store::~Store() {
    for (sqlite3_stmt* stmt : {begin_, commit_, put_, remove_, set_meta_}) sqlite3_finalize(stmt);
    // Closing with a transaction open rolls it back: only committed state survives.
    if (db_) sqlite3_close_v2(db_);
}

StoreStatus Store::begin() {
    if (in_transaction_) return {};
    const int rc = sqlite3_step(begin_);
    sqlite3_reset(begin_);
    if (rc != SQLITE_DONE) return failed("begin transaction", rc);
    in_transaction_ = true;
    return {};
}

StoreStatus Store::put(const ControlSession& session, bool keys_unconfirmed) {
    if (session.session_id.empty()) return {"store: put of a session without a Session-Id"};
    if (session.streams.size() > kMaxStreams)
        return {"store: session '" + session.session_id + "' has " + std::to_string(session.streams.size()) +
                " streams, more than " + std::to_string(kMaxStreams)};
    if (session.messages.size() > kMaxStreams)
        return {"store: session '" + session.session_id + "' has " + std::to_string(session.messages.size()) +
                " MSRP components, more than " + std::to_string(kMaxStreams)};
    if (StoreStatus s = begin(); !s.ok()) return s;
    column_.clear();
    messages_column_.clear();
    if (!encode_streams(session, *cipher_, column_) || !encode_messages(session, *cipher_, messages_column_))
        return {"store: sealing session '" + session.session_id + "' failed (OpenSSL AES-256-GCM)"};
    sqlite3_bind_text(put_, 1, session.session_id.data(), static_cast<int>(session.session_id.size()), SQLITE_STATIC);
    sqlite3_bind_text(put_, 2, session.peer.data(), static_cast<int>(session.peer.size()), SQLITE_STATIC);
    sqlite3_bind_text(put_, 3, session.realm.data(), static_cast<int>(session.realm.size()), SQLITE_STATIC);
    sqlite3_bind_int64(put_, 4, session.created_unix_ms);
    sqlite3_bind_int64(put_, 5, session.updated_unix_ms);
    sqlite3_bind_int(put_, 6, keys_unconfirmed ? 1 : 0);
    sqlite3_bind_int(put_, 7, static_cast<int>(session.streams.size()));
    sqlite3_bind_blob(put_, 8, column_.data(), static_cast<int>(column_.size()), SQLITE_STATIC);
    // An empty blob, not NULL: the column is NOT NULL.
    sqlite3_bind_blob(put_, 9, messages_column_.empty() ? "" : static_cast<const void*>(messages_column_.data()),
                      static_cast<int>(messages_column_.size()), SQLITE_STATIC);
    const int rc = sqlite3_step(put_);
    sqlite3_reset(put_);  // every parameter is bound again by the next put: no clear_bindings
    // Some errors (disk full, I/O) roll the whole transaction back; keep track of it.
    in_transaction_ = sqlite3_get_autocommit(db_) == 0;
    if (rc != SQLITE_DONE) return failed("put session '" + session.session_id + "'", rc);
    return {};
}

StoreStatus Store::remove(std::string_view session_id) {
    if (StoreStatus s = begin(); !s.ok()) return s;
    sqlite3_bind_text(remove_, 1, session_id.data(), static_cast<int>(session_id.size()), SQLITE_STATIC);
    const int rc = sqlite3_step(remove_);
    sqlite3_reset(remove_);
    sqlite3_clear_bindings(remove_);
    in_transaction_ = sqlite3_get_autocommit(db_) == 0;
    if (rc != SQLITE_DONE) return failed("remove session '" + std::string(session_id) + "'", rc);
    return {};
}

StoreStatus Store::set_next_dataplane_id(uint64_t id) {
    if (id == 0 || id > static_cast<uint64_t>(INT64_MAX))
        return {"store: next dataplane id " + std::to_string(id) + " is out of range"};
    if (StoreStatus s = begin(); !s.ok()) return s;
    sqlite3_bind_int64(set_meta_, 1, static_cast<int64_t>(id));
    const int rc = sqlite3_step(set_meta_);
    sqlite3_reset(set_meta_);
    in_transaction_ = sqlite3_get_autocommit(db_) == 0;
    if (rc != SQLITE_DONE) return failed("write next_dataplane_id", rc);
    next_dataplane_id_ = id;
    return {};
}

StoreStatus Store::commit() {
    if (!in_transaction_) return {};
    const int rc = sqlite3_step(commit_);
    sqlite3_reset(commit_);
    in_transaction_ = sqlite3_get_autocommit(db_) == 0;
    if (rc != SQLITE_DONE) return failed("commit", rc);
    return {};
}

StoreStatus Store::load_all(std::vector<StoredSession>* out) {
    out->clear();
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(db_,
                                "SELECT session_id, peer, realm, created_ms, updated_ms, keys_unconfirmed, streams, "
                                "messages FROM sessions ORDER BY session_id",
                                -1, &stmt, nullptr);
    Finalize f{stmt};
    if (rc != SQLITE_OK) return failed("load sessions", rc);
    auto wipe_out = [&] {
        for (StoredSession& s : *out) wipe_keys(s.session);
        out->clear();
    };
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        StoredSession stored;
        ControlSession& session = stored.session;
        session.session_id = column_text(stmt, 0);
        session.peer = column_text(stmt, 1);
        session.realm = column_text(stmt, 2);
        session.created_unix_ms = sqlite3_column_int64(stmt, 3);
        session.updated_unix_ms = sqlite3_column_int64(stmt, 4);
        stored.keys_unconfirmed = sqlite3_column_int(stmt, 5) != 0;
        api::Decoded<std::vector<MediaStream>> streams =
            decode_streams(session.session_id, column_blob(stmt, 6), *cipher_);
        if (!streams) {
            wipe_out();
            return {"store " + options_.database_path + ": session '" + session.session_id +
                    "': " + streams.error().message + " (key file " + options_.key_path + ")"};
        }
        session.streams = std::move(*streams);
        api::Decoded<std::vector<MessageStream>> messages =
            decode_messages(session.session_id, column_blob(stmt, 7), *cipher_);
        if (!messages) {
            wipe_keys(session);
            wipe_out();
            return {"store " + options_.database_path + ": session '" + session.session_id +
                    "': " + messages.error().message + " (key file " + options_.key_path + ")"};
        }
        session.messages = std::move(*messages);
        out->push_back(std::move(stored));
    }
    if (rc != SQLITE_DONE) {
        wipe_out();
        return failed("load sessions", rc);
    }
    return {};
}

StoreStatus Store::count(StoreCounts* out) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(db_, "SELECT count(*), total(stream_count) FROM sessions", -1, &stmt, nullptr);
    Finalize f{stmt};
    if (rc != SQLITE_OK || (rc = sqlite3_step(stmt)) != SQLITE_ROW) return failed("count sessions", rc);
    out->sessions = static_cast<size_t>(sqlite3_column_int64(stmt, 0));
    out->streams = static_cast<size_t>(sqlite3_column_double(stmt, 1));
    return {};
}

}  // namespace msf::sessions
