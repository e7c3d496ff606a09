// The control socket of msf-msrpd: newline-delimited JSON (RFC 8259) over a Unix stream socket,
// one request line in, one response line out, in order (the style of controlplane/cli).
//
// Requests:
//   {"op":"add_session","session":"<id>","psk_identity":"...","psk":"<hex, 16..64 bytes>",
//    "ue_path":"msrps://...;tcp","core_path":"msrp://ip:port/id;tcp","ue_allow":"ip" (optional),
//    "gw_access_path":"msrps://...;tcp","gw_core_path":"msrp://...;tcp" (optional: the relay's
//    own URIs as the controller chose them; absent, the relay makes them up and answers them)}
//       -> {"ok":true,"gw_access_path":"msrps://...;tcp","gw_core_path":"msrp://...;tcp"}
//   {"op":"remove_session","session":"<id>"}     -> {"ok":true}
//   {"op":"get_session","session":"<id>"}        -> {"ok":true,"session":SESSION}
//   {"op":"list_sessions"}                       -> {"ok":true,"sessions":[SESSION...]}
//   {"op":"stats"}                               -> {"ok":true,"stats":{...}}
//   SESSION = {"session","psk_identity","ue_path","core_path","gw_access_path","gw_core_path",
//              "ue_allow" (string or null),"counters":{kSessionCounters}}
// Errors: {"ok":false,"error":"one line"}. The PSK is never sent back.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "dataplane/msrp/relay.hpp"

namespace msf::msrp {

inline constexpr std::string_view kDefaultControlSocket = "/run/msf/msrpd.sock";
inline constexpr size_t kMaxControlLine = 64 * 1024;  // bytes, the newline not counted
inline constexpr size_t kMaxControlClients = 64;

// Handles one request line (without its newline) and returns the response object. Never throws.
nlohmann::json handle_control_request(Relay& relay, std::string_view line);

// Serves the control socket on the relay's event loop.
class ControlServer {
public:
    // Creates the socket (mode 0660, a stale socket file replaced); throws std::runtime_error.
    ControlServer(Relay& relay, std::string path);
    ~ControlServer();
    ControlServer(const ControlServer&) = delete;
    ControlServer& operator=(const ControlServer&) = delete;

private:
    struct Client {
        std::string in;
        std::string out;
    };
    void accept_clients();
    void handle_client(int fd, uint32_t events);
    void drop_client(int fd);

    Relay& relay_;
    std::string path_;
    int listen_fd_ = -1;
    std::unordered_map<int, Client> clients_;
};

// The client msf-controld (and the tests) use. Blocking, one request at a time; connects on
// first use and again after a failure. Errors are values.
class ControlClient {
public:
    explicit ControlClient(std::string path, int timeout_ms = 5000);
    ~ControlClient();
    ControlClient(const ControlClient&) = delete;
    ControlClient& operator=(const ControlClient&) = delete;

    Outcome<AddedSession> add_session(const SessionSpec& spec);
    Outcome<bool> remove_session(std::string_view id);           // false: no such session
    Outcome<nlohmann::json> get_session(std::string_view id);    // the SESSION object
    Outcome<nlohmann::json> list_sessions();                     // the array of SESSION
    Outcome<nlohmann::json> stats();
    // Any request; the whole response object (ok true or false).
    Outcome<nlohmann::json> request(const nlohmann::json& request);

private:
    bool ensure_connected(std::string& error);
    void disconnect();

    std::string path_;
    int timeout_ms_;
    int fd_ = -1;
    std::string buffer_;
};

}  // namespace msf::msrp
