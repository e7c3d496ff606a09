// msf-controld's side of msf-msrpd (dataplane/msrp): keeps msf-msrpd's sessions equal to the MSRP
// components the session manager holds, the way the manager keeps msf-dataplane equal to its
// media streams. One msf-msrpd session per component, named "<Session-Id>#<component number>".
//
// The store is the truth. A change msf-msrpd does not take (not running, refused) is logged and
// leaves the link out of sync; the next sync() (the daemon calls it on a timer) lists what
// msf-msrpd holds and adds, replaces or removes until both agree. So msf-msrpd may restart at any
// time: it gets every session back, with the same URIs and PSKs, from the store.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "controlplane/sessions/manager.hpp"
#include "controlplane/sessions/model.hpp"
#include "dataplane/msrp/control.hpp"

namespace msf::controld {

class MsrpLink {
public:
    using Log = std::function<void(const std::string&)>;

    MsrpLink(std::string socket_path, Log log, int timeout_ms = 2000);

    static std::string relay_id(const std::string& session_id, uint32_t component);

    // After the manager took a change: msf-msrpd gets `after`'s components and loses those of
    // `before` that `after` does not have (nullptr: none). A component whose PSK, identity or
    // paths changed is replaced (its live connection closes; the UE connects again).
    void apply(const sessions::ControlSession* before, const sessions::ControlSession* after);

    // In sync: checks msf-msrpd is still the one it synced (one request). Not in sync (never was,
    // a request failed, or msf-msrpd restarted): lists msf-msrpd's sessions and makes them those
    // of `sessions`. True when in sync afterwards.
    bool sync(const std::vector<const sessions::ControlSession*>& sessions);

    // msf-msrpd's counters of each MSRP component of the session (those it knows).
    std::vector<sessions::MessageCounters> counters(const sessions::ControlSession& session);

    bool in_sync() const { return in_sync_; }
    uint64_t failures() const { return failures_; }
    const std::string& last_error() const { return last_error_; }

private:
    bool add(const std::string& session_id, const sessions::MessageStream& message);
    bool remove(const std::string& relay_id);
    void failed(const std::string& what, const std::string& error);

    msrp::ControlClient client_;
    Log log_;
    bool in_sync_ = false;
    std::set<std::string> dirty_;  // relay ids changed while out of sync: replaced by sync()
    uint64_t failures_ = 0;
    std::string last_error_;
};

}  // namespace msf::controld
