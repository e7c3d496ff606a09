// The persistent store of msf-controld: every installed session, so that the daemon can restart
// at any time and find them again. SQLite in WAL mode with synchronous=NORMAL: a commit is durable
// against a crash of the process as soon as it returns (power loss may take the last commits).
//
// Group commit: put() and remove() join the current transaction (one is begun when needed) and
// commit() ends it. The daemon calls commit() once per event-loop iteration, before it sends the
// answers of that iteration, so many installs share one commit. What is not committed when the
// store is closed is rolled back.
//
// Schema (PRAGMA user_version = kSchemaVersion; a newer version is refused):
//   sessions(session_id TEXT PRIMARY KEY, peer, realm, created_ms, updated_ms, keys_unconfirmed,
//            stream_count, streams BLOB, messages BLOB)   both: store_record.hpp, sealed with the
//            store key; messages (MSRP components) came with version 2, and a version 1 store
//            is upgraded in place when opened (the column is added, empty)
//   meta(name TEXT PRIMARY KEY, value INTEGER)   next_dataplane_id
//
// The store key (32 bytes, AES-256-GCM) lives in its own file, root-only: created with mode 0600
// from RAND_bytes if absent and the store holds no sessions; refused if group or others may read
// or write it, if another user owns it, or if it is not exactly 32 bytes. A wrong key is reported
// at open, naming the session that does not decrypt. Keys are never logged.
#pragma once

#include <sqlite3.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/sessions/model.hpp"
#include "controlplane/sessions/store_record.hpp"

namespace msf::sessions {

struct StoreOptions {
    std::string database_path;  // e.g. /var/lib/msf/sessions.db (created 0600 if absent)
    std::string key_path;       // e.g. /var/lib/msf/store.key
};

// Empty on success, else what failed, naming the store and the session.
struct StoreStatus {
    std::string error;
    bool ok() const { return error.empty(); }
};

struct StoredSession {
    ControlSession session;
    // The dataplane may hold other keys for this session than the store: a re-key was persisted
    // but not yet confirmed by the dataplane. Reconciliation re-sends the keys and clears it.
    bool keys_unconfirmed = false;
};

struct StoreCounts {
    size_t sessions = 0;
    size_t streams = 0;
};

class Store {
public:
    static constexpr int kSchemaVersion = 2;

    // Opens (creating if needed) the database and the key file. nullptr and *error on failure:
    // unreadable or corrupted database, newer schema, key file with a bad mode, owner or size,
    // a key that does not decrypt the stored sessions.
    static std::unique_ptr<Store> open(const StoreOptions& options, std::string* error);
    ~Store();
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    // Inserts or replaces the session (keyed by session_id).
    StoreStatus put(const ControlSession& session, bool keys_unconfirmed = false);
    // Deletes the session; not an error if there is none.
    StoreStatus remove(std::string_view session_id);
    // The next dataplane id the manager may hand out (meta table); 1 in a new store.
    uint64_t next_dataplane_id() const { return next_dataplane_id_; }
    StoreStatus set_next_dataplane_id(uint64_t id);
    // Ends the current transaction; nothing to do if none is open.
    StoreStatus commit();
    bool in_transaction() const { return in_transaction_; }

    // Every session, ordered by session_id, keys decrypted (the caller wipes them).
    StoreStatus load_all(std::vector<StoredSession>* out);
    StoreStatus count(StoreCounts* out);

    const StoreOptions& options() const { return options_; }

private:
    Store() = default;
    StoreStatus begin();
    StoreStatus failed(std::string_view what, int rc) const;
    StoreStatus open_database();
    StoreStatus check_key_opens_first_session();

    StoreOptions options_;
    sqlite3* db_ = nullptr;
    std::unique_ptr<RecordCipher> cipher_;
    bool in_transaction_ = false;
    uint64_t next_dataplane_id_ = 1;
    std::vector<uint8_t> column_;           // reused for the streams column of each put
    std::vector<uint8_t> messages_column_;  // and for its messages column

    // Prepared once at open.
    sqlite3_stmt* begin_ = nullptr;
    sqlite3_stmt* commit_ = nullptr;
    sqlite3_stmt* put_ = nullptr;
    sqlite3_stmt* remove_ = nullptr;
    sqlite3_stmt* set_meta_ = nullptr;
};

}  // namespace msf::sessions
