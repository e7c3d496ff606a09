// Store: persistence across reopen, group commit, sealed records, the key file's rules, and clear
// errors for corrupted, altered, foreign or newer stores.
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "controlplane/sessions/store.hpp"
#include "tests/controlplane/sessions/sample_sessions.hpp"

namespace msf::sessions {
namespace {

using ::testing::HasSubstr;
using namespace testing;

class StoreTest : public ::testing::Test {
protected:
    StoreOptions options() const { return {dir.file("sessions.db"), dir.file("store.key")}; }

    std::unique_ptr<Store> open_store() {
        std::string error;
        std::unique_ptr<Store> store = Store::open(options(), &error);
        EXPECT_NE(store, nullptr) << error;
        return store;
    }

    std::string open_error() {
        std::string error;
        EXPECT_EQ(Store::open(options(), &error), nullptr);
        return error;
    }

    std::vector<StoredSession> load(Store& store) {
        std::vector<StoredSession> out;
        const StoreStatus s = store.load_all(&out);
        EXPECT_TRUE(s.ok()) << s.error;
        return out;
    }

    // Runs SQL on the database file directly, as an attacker or a broken disk would.
    void sql(const std::string& statement) {
        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open(options().database_path.c_str(), &db), SQLITE_OK);
        char* message = nullptr;
        const int rc = sqlite3_exec(db, statement.c_str(), nullptr, nullptr, &message);
        const std::string text = message ? message : "";
        sqlite3_free(message);
        sqlite3_close(db);
        ASSERT_EQ(rc, SQLITE_OK) << text;
    }

    // Flips one byte of a session's streams column, as a broken disk or an attacker would.
    void flip_streams_byte(const std::string& session_id, size_t offset) {
        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open(options().database_path.c_str(), &db), SQLITE_OK);
        sqlite3_stmt* stmt = nullptr;
        const char* select = "SELECT streams FROM sessions WHERE session_id = ?1";
        ASSERT_EQ(sqlite3_prepare_v2(db, select, -1, &stmt, nullptr), SQLITE_OK);
        sqlite3_bind_text(stmt, 1, session_id.c_str(), -1, SQLITE_TRANSIENT);
        ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
        const auto* blob = static_cast<const uint8_t*>(sqlite3_column_blob(stmt, 0));
        std::vector<uint8_t> bytes(blob, blob + sqlite3_column_bytes(stmt, 0));
        sqlite3_finalize(stmt);
        ASSERT_LT(offset, bytes.size());
        bytes[offset] ^= 0x01;
        const char* update = "UPDATE sessions SET streams = ?1 WHERE session_id = ?2";
        ASSERT_EQ(sqlite3_prepare_v2(db, update, -1, &stmt, nullptr), SQLITE_OK);
        sqlite3_bind_blob(stmt, 1, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
        sqlite3_bind_text(stmt, 2, session_id.c_str(), -1, SQLITE_TRANSIENT);
        EXPECT_EQ(sqlite3_step(stmt), SQLITE_DONE);
        sqlite3_finalize(stmt);
        sqlite3_close(db);
    }

    void put_and_commit(Store& store, const ControlSession& session, bool unconfirmed = false) {
        StoreStatus s = store.put(session, unconfirmed);
        ASSERT_TRUE(s.ok()) << s.error;
        s = store.commit();
        ASSERT_TRUE(s.ok()) << s.error;
    }

    TempDir dir;
};

TEST_F(StoreTest, NewStoreCreatesA32ByteKeyFileAndDatabaseReadableOnlyByTheOwner) {
    ASSERT_NE(open_store(), nullptr);
    struct stat st {};
    ASSERT_EQ(::stat(options().key_path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    EXPECT_EQ(st.st_size, 32);
    ASSERT_EQ(::stat(options().database_path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    // Two stores get two different random keys.
    TempDir other;
    std::string error;
    ASSERT_NE(Store::open({other.file("s.db"), other.file("k")}, &error), nullptr) << error;
    EXPECT_NE(read_file(options().key_path), read_file(other.file("k")));
}

TEST_F(StoreTest, CommittedSessionsAndKeysSurviveReopen) {
    const ControlSession a = stored_session("pcscf;1;a", 1, 2, 1);
    const ControlSession b = stored_session("pcscf;1;b", 3, 1, 2);
    {
        std::unique_ptr<Store> store = open_store();
        put_and_commit(*store, b);
        put_and_commit(*store, a, true);
    }
    std::unique_ptr<Store> store = open_store();
    const std::vector<StoredSession> loaded = load(*store);
    ASSERT_EQ(loaded.size(), 2u);
    EXPECT_EQ(loaded[0].session, a);  // ordered by Session-Id
    EXPECT_TRUE(loaded[0].keys_unconfirmed);
    EXPECT_EQ(loaded[1].session, b);
    EXPECT_FALSE(loaded[1].keys_unconfirmed);
    EXPECT_EQ(loaded[0].session.streams[1].spec.to_ue.master_key, a.streams[1].spec.to_ue.master_key);
    StoreCounts counts;
    ASSERT_TRUE(store->count(&counts).ok());
    EXPECT_EQ(counts.sessions, 2u);
    EXPECT_EQ(counts.streams, 3u);
}

TEST_F(StoreTest, PutsWithoutCommitAreRolledBackWhenTheStoreCloses) {
    {
        std::unique_ptr<Store> store = open_store();
        put_and_commit(*store, stored_session("kept", 1));
        ASSERT_TRUE(store->put(stored_session("lost", 3)).ok());
        ASSERT_TRUE(store->remove("kept").ok());
        EXPECT_TRUE(store->in_transaction());
        // Reads in the same connection see the open transaction.
        EXPECT_EQ(load(*store).size(), 1u);
        EXPECT_EQ(load(*store)[0].session.session_id, "lost");
    }
    std::unique_ptr<Store> store = open_store();
    const std::vector<StoredSession> loaded = load(*store);
    ASSERT_EQ(loaded.size(), 1u);
    EXPECT_EQ(loaded[0].session.session_id, "kept");
}

TEST_F(StoreTest, PutReplacesAndRemoveDeletesBySessionId) {
    std::unique_ptr<Store> store = open_store();
    put_and_commit(*store, stored_session("s", 1, 2));
    ControlSession changed = stored_session("s", 7, 1, 9);
    changed.peer = "pcscf2.ims.example.org";
    put_and_commit(*store, changed);
    std::vector<StoredSession> loaded = load(*store);
    ASSERT_EQ(loaded.size(), 1u);
    EXPECT_EQ(loaded[0].session, changed);
    ASSERT_TRUE(store->remove("s").ok());
    ASSERT_TRUE(store->remove("never there").ok());
    ASSERT_TRUE(store->commit().ok());
    EXPECT_TRUE(load(*store).empty());
}

TEST_F(StoreTest, NextDataplaneIdStartsAtOneAndSurvivesReopen) {
    {
        std::unique_ptr<Store> store = open_store();
        EXPECT_EQ(store->next_dataplane_id(), 1u);
        ASSERT_TRUE(store->set_next_dataplane_id(8193).ok());
        ASSERT_TRUE(store->commit().ok());
        EXPECT_FALSE(store->set_next_dataplane_id(0).ok());
    }
    EXPECT_EQ(open_store()->next_dataplane_id(), 8193u);
}

TEST_F(StoreTest, MasterKeysAndSaltsNeverReachTheFilesInClear) {
    const ControlSession s = stored_session("pcscf;secret", 1, 2, 42);
    {
        std::unique_ptr<Store> store = open_store();
        put_and_commit(*store, s);
        // Still in the WAL (no checkpoint yet), then checkpointed into the database on close.
        std::vector<uint8_t> files = read_file(options().database_path);
        const std::vector<uint8_t> wal = read_file(options().database_path + "-wal");
        files.insert(files.end(), wal.begin(), wal.end());
        ASSERT_TRUE(contains(files, std::vector<uint8_t>{'p', 'c', 's', 'c', 'f', ';', 's'}));  // the probe works
        for (const MediaStream& m : s.streams)
            for (const auto* bytes : {&m.spec.from_ue.master_key, &m.spec.from_ue.master_salt,
                                      &m.spec.to_ue.master_key, &m.spec.to_ue.master_salt})
                EXPECT_FALSE(contains(files, *bytes));
    }
    const std::vector<uint8_t> db = read_file(options().database_path);
    for (const MediaStream& m : s.streams) EXPECT_FALSE(contains(db, m.spec.from_ue.master_key));
}

TEST_F(StoreTest, KeyFileThatGroupOrOthersMayReadIsRefused) {
    open_store();
    ASSERT_EQ(::chmod(options().key_path.c_str(), 0640), 0);
    EXPECT_THAT(open_error(), HasSubstr("mode 0640"));
    ASSERT_EQ(::chmod(options().key_path.c_str(), 0604), 0);
    EXPECT_THAT(open_error(), HasSubstr("group or others"));
    ASSERT_EQ(::chmod(options().key_path.c_str(), 0400), 0);
    EXPECT_NE(open_store(), nullptr);
}

TEST_F(StoreTest, KeyFileThatIsNot32BytesIsRefused) {
    {
        std::ofstream key(options().key_path, std::ios::binary);
        key << std::string(31, 'k');
    }
    ASSERT_EQ(::chmod(options().key_path.c_str(), 0600), 0);
    EXPECT_THAT(open_error(), HasSubstr("is 31 bytes; a store key is exactly 32"));
    {
        std::ofstream key(options().key_path, std::ios::binary);
        key << std::string(33, 'k');
    }
    EXPECT_THAT(open_error(), HasSubstr("is 33 bytes"));
}

TEST_F(StoreTest, KeyFileOwnedByAnotherUserIsRefused) {
    if (::geteuid() != 0) GTEST_SKIP() << "chown to another user needs root";
    open_store();
    ASSERT_EQ(::chown(options().key_path.c_str(), 65534, 65534), 0);
    EXPECT_THAT(open_error(), HasSubstr("owned by uid 65534"));
}

TEST_F(StoreTest, KeyPathThatIsADirectoryIsRefused) {
    std::filesystem::create_directory(options().key_path);
    EXPECT_THAT(open_error(), HasSubstr(options().key_path));
}

TEST_F(StoreTest, WrongKeyFileIsReportedAtOpenNamingTheSessionThatDoesNotDecrypt) {
    {
        std::unique_ptr<Store> store = open_store();
        put_and_commit(*store, stored_session("pcscf;17;call", 5, 1));
    }
    {
        std::ofstream other(options().key_path, std::ios::binary | std::ios::trunc);
        other << std::string(32, 'w');
    }
    const std::string error = open_error();
    EXPECT_THAT(error, HasSubstr("session 'pcscf;17;call'"));
    EXPECT_THAT(error, HasSubstr("stream 5"));
    EXPECT_THAT(error, HasSubstr("does not decrypt"));
    EXPECT_THAT(error, HasSubstr(options().key_path));
}

TEST_F(StoreTest, MissingKeyFileOfAStoreWithSessionsIsNotReplacedByANewOne) {
    {
        std::unique_ptr<Store> store = open_store();
        put_and_commit(*store, stored_session("sealed", 1, 1));
    }
    std::filesystem::remove(options().key_path);
    EXPECT_THAT(open_error(), HasSubstr("store key " + options().key_path + " is missing, but"));
    EXPECT_FALSE(std::filesystem::exists(options().key_path));
    // A new, empty store starts with a new key.
    std::filesystem::remove(options().database_path);
    EXPECT_NE(open_store(), nullptr);
    EXPECT_TRUE(std::filesystem::exists(options().key_path));
}

TEST_F(StoreTest, AlteredRecordIsRefusedNamingItsSession) {
    {
        std::unique_ptr<Store> store = open_store();
        put_and_commit(*store, stored_session("a-first", 1, 1));
        put_and_commit(*store, stored_session("b-altered", 2, 1));
    }
    // One ciphertext byte (past format, count, id, length and nonce) of the second session.
    flip_streams_byte("b-altered", 1 + 2 + 8 + 4 + 12 + 5);
    std::unique_ptr<Store> store = open_store();  // the first session still opens
    ASSERT_NE(store, nullptr);
    std::vector<StoredSession> out;
    const StoreStatus s = store->load_all(&out);
    EXPECT_THAT(s.error, HasSubstr("session 'b-altered'"));
    EXPECT_THAT(s.error, HasSubstr("stream 2"));
    EXPECT_TRUE(out.empty());
}

TEST_F(StoreTest, RecordMovedToAnotherSessionDoesNotOpen) {
    {
        std::unique_ptr<Store> store = open_store();
        put_and_commit(*store, stored_session("victim", 1, 1));
        put_and_commit(*store, stored_session("thief", 1, 1, 7));
    }
    // Same dataplane id in both: only the Session-Id in the AAD tells the records apart.
    sql("UPDATE sessions SET streams = (SELECT streams FROM sessions WHERE session_id = 'victim') "
        "WHERE session_id = 'thief'");
    std::unique_ptr<Store> store = open_store();
    std::vector<StoredSession> out;
    EXPECT_THAT(store->load_all(&out).error, HasSubstr("session 'thief': stream 1: does not decrypt"));
}

TEST_F(StoreTest, FileThatIsNotADatabaseIsRefusedWithAClearError) {
    {
        std::ofstream db(options().database_path, std::ios::binary);
        db << std::string(8192, 'x');
    }
    const std::string error = open_error();
    EXPECT_THAT(error, HasSubstr(options().database_path));
    EXPECT_THAT(error, HasSubstr("not a database"));
    EXPECT_THAT(error, HasSubstr("corrupted or is not an msf sessions store"));
}

TEST_F(StoreTest, DatabaseWithDamagedPagesIsRefusedWithAClearError) {
    {
        std::unique_ptr<Store> store = open_store();
        for (int i = 0; i < 200; ++i) ASSERT_TRUE(store->put(stored_session(numbered("s", i), 1 + 2 * i)).ok());
        ASSERT_TRUE(store->commit().ok());
    }
    sql("PRAGMA wal_checkpoint(TRUNCATE)");
    std::vector<uint8_t> bytes = read_file(options().database_path);
    ASSERT_GT(bytes.size(), 5 * 4096u);
    // Scribble over the page headers of pages 2..4 (b-tree pages of the sessions table).
    for (size_t page = 1; page < 4; ++page)
        for (size_t i = 0; i < 64; ++i) bytes[page * 4096 + i] = static_cast<uint8_t>(0xA5 ^ i);
    std::ofstream(options().database_path, std::ios::binary | std::ios::trunc)
        .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    const std::string error = open_error();
    EXPECT_THAT(error, HasSubstr(options().database_path));
    EXPECT_THAT(error, HasSubstr("corrupt"));
}

TEST_F(StoreTest, NewerSchemaVersionIsRefused) {
    open_store();
    sql("PRAGMA user_version = 3");
    const std::string error = open_error();
    EXPECT_THAT(error, HasSubstr("schema version 3"));
    EXPECT_THAT(error, HasSubstr("newer than this msf-controld understands (2)"));
}

TEST_F(StoreTest, MsrpComponentsAndTheirPsksSurviveReopenSealed) {
    ControlSession s = stored_session("pcscf;msrp", 1, 1, 4);
    s.messages = {message(2, 7)};
    {
        std::unique_ptr<Store> store = open_store();
        put_and_commit(*store, s);
        std::vector<uint8_t> files = read_file(options().database_path);
        const std::vector<uint8_t> wal = read_file(options().database_path + "-wal");
        files.insert(files.end(), wal.begin(), wal.end());
        EXPECT_FALSE(contains(files, s.messages[0].psk));
    }
    const std::vector<StoredSession> loaded = load(*open_store());
    ASSERT_EQ(loaded.size(), 1u);
    EXPECT_EQ(loaded[0].session, s);
}

TEST_F(StoreTest, VersionOneStoreIsUpgradedInPlaceAndKeepsItsSessions) {
    const ControlSession s = stored_session("pcscf;old", 1, 2, 5);
    {
        std::unique_ptr<Store> store = open_store();
        put_and_commit(*store, s);
    }
    // What version 1 looked like: no messages column.
    sql("ALTER TABLE sessions DROP COLUMN messages; PRAGMA user_version = 1");
    {
        std::unique_ptr<Store> store = open_store();
        const std::vector<StoredSession> loaded = load(*store);
        ASSERT_EQ(loaded.size(), 1u);
        EXPECT_EQ(loaded[0].session, s);
        ControlSession with = s;
        with.messages = {message(3, 1)};
        put_and_commit(*store, with);
    }
    const std::vector<StoredSession> loaded = load(*open_store());
    ASSERT_EQ(loaded.size(), 1u);
    EXPECT_EQ(loaded[0].session.messages.size(), 1u);
}

TEST_F(StoreTest, ForeignDatabaseIsRefused) {
    sql("CREATE TABLE accounts(id INTEGER)");
    ::chmod(options().database_path.c_str(), 0600);
    EXPECT_THAT(open_error(), HasSubstr("not an msf sessions store"));
}

TEST_F(StoreTest, StoreUsesWalJournal) {
    open_store();
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(options().database_path.c_str(), &db), SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, nullptr), SQLITE_OK);
    ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
    EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "wal");
    sqlite3_finalize(stmt);
    sqlite3_close(db);
}

}  // namespace
}  // namespace msf::sessions
