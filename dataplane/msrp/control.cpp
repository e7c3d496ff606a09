#include "dataplane/msrp/control.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <set>
#include <stdexcept>

namespace msf::msrp {
namespace {

using nlohmann::json;

json error_response(std::string error) { return json{{"ok", false}, {"error", std::move(error)}}; }

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string to_hex(const std::vector<uint8_t>& bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (const uint8_t b : bytes) {
        out += digits[b >> 4];
        out += digits[b & 15];
    }
    return out;
}

json session_json(const Session& session) {
    json counters = json::object();
    for (const auto& [name, member] : kSessionCounters) counters[std::string(name)] = session.counters.*member;
    json ue_allow = nullptr;
    if (session.ue_allow) ue_allow = session.ue_allow_text;
    return json{{"session", session.id},
                {"psk_identity", session.psk_identity},
                {"ue_path", session.ue_path},
                {"core_path", session.core_path},
                {"gw_access_path", session.gw_access_path},
                {"gw_core_path", session.gw_core_path},
                {"ue_allow", ue_allow},
                {"counters", counters}};
}

// The members each op takes; anything else is refused (a typo must not pass silently).
const std::set<std::string>& members_of(const std::string& op) {
    static const std::map<std::string, std::set<std::string>> table = {
        {"add_session",
         {"op", "session", "psk_identity", "psk", "ue_path", "core_path", "ue_allow", "gw_access_path",
          "gw_core_path"}},
        {"remove_session", {"op", "session"}},
        {"get_session", {"op", "session"}},
        {"list_sessions", {"op"}},
        {"stats", {"op"}},
    };
    static const std::set<std::string> none;
    const auto it = table.find(op);
    return it == table.end() ? none : it->second;
}

std::optional<std::string> string_member(const json& request, const char* name, std::string& error) {
    const auto it = request.find(name);
    if (it == request.end()) {
        error = std::string("\"") + name + "\" is missing";
        return std::nullopt;
    }
    if (!it->is_string()) {
        error = std::string("\"") + name + "\" is not a string";
        return std::nullopt;
    }
    return it->get<std::string>();
}

json add_session(Relay& relay, const json& request) {
    std::string error;
    SessionSpec spec;
    const auto id = string_member(request, "session", error);
    const auto identity = id ? string_member(request, "psk_identity", error) : std::nullopt;
    const auto ue_path = identity ? string_member(request, "ue_path", error) : std::nullopt;
    const auto core_path = ue_path ? string_member(request, "core_path", error) : std::nullopt;
    auto psk_hex = core_path ? string_member(request, "psk", error) : std::nullopt;
    if (!psk_hex) return error_response(error);
    struct HexWipe {
        std::string& text;
        ~HexWipe() { OPENSSL_cleanse(text.data(), text.size()); }
    } wipe_hex{*psk_hex};
    spec.id = *id;
    spec.psk_identity = *identity;
    spec.ue_path = *ue_path;
    spec.core_path = *core_path;
    if (request.contains("ue_allow")) {
        const auto allow = string_member(request, "ue_allow", error);
        if (!allow) return error_response(error);
        spec.ue_allow = *allow;
    }
    for (const auto& [name, member] : {std::pair{"gw_access_path", &SessionSpec::gw_access_path},
                                       std::pair{"gw_core_path", &SessionSpec::gw_core_path}}) {
        if (!request.contains(name)) continue;
        const auto path = string_member(request, name, error);
        if (!path) return error_response(error);
        if (path->empty()) return error_response(std::string(name) + " is empty");
        spec.*member = *path;
    }
    if (psk_hex->size() % 2 != 0 || psk_hex->size() < 2 * kMinPskBytes || psk_hex->size() > 2 * kMaxPskBytes)
        return error_response("psk: " + std::to_string(2 * kMinPskBytes) + ".." +
                              std::to_string(2 * kMaxPskBytes) + " hex digits");
    spec.psk.reserve(psk_hex->size() / 2);  // no reallocation leaves a copy behind
    for (size_t i = 0; i < psk_hex->size(); i += 2) {
        const int high = hex_value((*psk_hex)[i]);
        const int low = hex_value((*psk_hex)[i + 1]);
        if (high < 0 || low < 0) {
            OPENSSL_cleanse(spec.psk.data(), spec.psk.size());
            return error_response("psk: not hex");
        }
        spec.psk.push_back(static_cast<uint8_t>(high * 16 + low));
    }
    const Outcome<AddedSession> added = relay.add_session(std::move(spec));
    if (!added) return error_response(added.error());
    return json{{"ok", true}, {"gw_access_path", added->gw_access_path}, {"gw_core_path", added->gw_core_path}};
}

}  // namespace

// The hex PSK of an add_session request, overwritten before the request is freed.
class PskWipe {
public:
    explicit PskWipe(json& request) : request_(request) {}
    ~PskWipe() {
        if (!request_.is_object()) return;
        const auto it = request_.find("psk");
        if (it != request_.end() && it->is_string()) {
            std::string& text = it->get_ref<std::string&>();
            OPENSSL_cleanse(text.data(), text.size());
        }
    }
    PskWipe(const PskWipe&) = delete;
    PskWipe& operator=(const PskWipe&) = delete;

private:
    json& request_;
};

json handle_control_request(Relay& relay, std::string_view line) {
    json request;
    const PskWipe wipe(request);
    try {
        request = json::parse(line);
    } catch (const json::exception&) {
        return error_response("not JSON");
    }
    if (!request.is_object()) return error_response("the request is not a JSON object");
    const auto op_it = request.find("op");
    if (op_it == request.end() || !op_it->is_string()) return error_response("\"op\" is missing or not a string");
    const std::string op = op_it->get<std::string>();
    const std::set<std::string>& allowed = members_of(op);
    if (allowed.empty()) return error_response("unknown op \"" + op.substr(0, 64) + "\"");
    for (const auto& [name, value] : request.items()) {
        if (allowed.count(name) == 0) return error_response("unknown member \"" + name.substr(0, 64) + "\"");
    }
    try {
        if (op == "add_session") return add_session(relay, request);
        if (op == "list_sessions") {
            json sessions = json::array();
            relay.for_each_session([&](const Session& session) { sessions.push_back(session_json(session)); });
            return json{{"ok", true}, {"sessions", sessions}};
        }
        if (op == "stats") {
            json stats = json::object();
            size_t sessions = 0;
            relay.for_each_session([&](const Session&) { ++sessions; });
            stats["sessions"] = sessions;
            stats["connections"] = relay.connection_count();
            stats["buffered_bytes"] = relay.buffered_bytes();
            for (const auto& [name, member] : kGlobalCounters) stats[std::string(name)] = relay.counters().*member;
            return json{{"ok", true}, {"stats", stats}};
        }
        std::string error;
        const auto id = string_member(request, "session", error);
        if (!id) return error_response(error);
        if (op == "remove_session") {
            if (!relay.remove_session(*id)) return error_response("no session " + id->substr(0, 256));
            return json{{"ok", true}};
        }
        const Session* session = relay.find_session(*id);
        if (session == nullptr) return error_response("no session " + id->substr(0, 256));
        return json{{"ok", true}, {"session", session_json(*session)}};
    } catch (const std::exception& e) {
        // Only resource exhaustion gets here (JSON values are checked above).
        return error_response(std::string("internal: ") + e.what());
    }
}

// ---- server ------------------------------------------------------------------------------

ControlServer::ControlServer(Relay& relay, std::string path) : relay_(relay), path_(std::move(path)) {
    sockaddr_un address{};
    if (path_.empty() || path_.size() >= sizeof address.sun_path)
        throw std::runtime_error("control socket path is empty or too long: " + path_);
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, path_.c_str(), path_.size() + 1);
    struct stat info {};
    if (lstat(path_.c_str(), &info) == 0 && S_ISSOCK(info.st_mode)) unlink(path_.c_str());
    listen_fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0 || bind(listen_fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
        chmod(path_.c_str(), 0660) != 0 || listen(listen_fd_, 64) != 0) {
        const std::string why = strerror(errno);
        if (listen_fd_ >= 0) close(listen_fd_);
        throw std::runtime_error("control socket " + path_ + ": " + why);
    }
    relay_.watch(listen_fd_, EPOLLIN, [this](uint32_t) { accept_clients(); });
}

ControlServer::~ControlServer() {
    for (const auto& [fd, client] : clients_) {
        relay_.unwatch(fd);
        close(fd);
    }
    relay_.unwatch(listen_fd_);
    close(listen_fd_);
    unlink(path_.c_str());
}

void ControlServer::accept_clients() {
    for (;;) {
        const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) return;
        if (clients_.size() >= kMaxControlClients) {
            const std::string line = error_response("too many control clients").dump() + "\n";
            [[maybe_unused]] const ssize_t n = send(fd, line.data(), line.size(), MSG_NOSIGNAL);
            close(fd);
            continue;
        }
        clients_.emplace(fd, Client{});
        relay_.watch(fd, EPOLLIN, [this, fd](uint32_t events) { handle_client(fd, events); });
    }
}

void ControlServer::drop_client(int fd) {
    relay_.unwatch(fd);
    close(fd);
    clients_.erase(fd);
}

void ControlServer::handle_client(int fd, uint32_t events) {
    const auto it = clients_.find(fd);
    if (it == clients_.end()) return;
    Client& client = it->second;
    bool peer_closed = (events & (EPOLLERR | EPOLLHUP)) != 0;
    if ((events & EPOLLIN) != 0) {
        char buffer[16 * 1024];
        const ssize_t n = recv(fd, buffer, sizeof buffer, 0);
        if (n > 0) client.in.append(buffer, static_cast<size_t>(n));
        else if (n == 0 || (errno != EAGAIN && errno != EINTR)) peer_closed = true;
    }
    for (size_t newline; !peer_closed && (newline = client.in.find('\n')) != std::string::npos;) {
        if (newline > kMaxControlLine) break;
        std::string line = client.in.substr(0, newline);
        // The line may carry a PSK: overwrite both copies once it is handled.
        OPENSSL_cleanse(client.in.data(), newline + 1);
        client.in.erase(0, newline + 1);
        client.out += handle_control_request(relay_, line).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
        OPENSSL_cleanse(line.data(), line.size());
    }
    if (std::min(client.in.find('\n'), client.in.size()) > kMaxControlLine) {
        client.out += error_response("request line longer than " + std::to_string(kMaxControlLine) + " bytes").dump() + "\n";
        client.in.clear();
        peer_closed = true;  // after the answer below
    }
    while (!client.out.empty()) {
        const ssize_t n = send(fd, client.out.data(), client.out.size(), MSG_NOSIGNAL);
        if (n > 0) {
            client.out.erase(0, static_cast<size_t>(n));
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) break;
        drop_client(fd);
        return;
    }
    if (peer_closed) {
        drop_client(fd);
        return;
    }
    relay_.modify_watch(fd, client.out.empty() ? EPOLLIN : (EPOLLIN | EPOLLOUT));
}

// ---- client ------------------------------------------------------------------------------

ControlClient::ControlClient(std::string path, int timeout_ms) : path_(std::move(path)), timeout_ms_(timeout_ms) {}

ControlClient::~ControlClient() { disconnect(); }

void ControlClient::disconnect() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
    buffer_.clear();
}

bool ControlClient::ensure_connected(std::string& error) {
    if (fd_ >= 0) return true;
    sockaddr_un address{};
    if (path_.size() >= sizeof address.sun_path) {
        error = "control socket path too long";
        return false;
    }
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, path_.c_str(), path_.size() + 1);
    fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0 || connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
        error = "connect to " + path_ + ": " + strerror(errno);
        disconnect();
        return false;
    }
    return true;
}

Outcome<json> ControlClient::request(const json& request) {
    std::string error;
    if (!ensure_connected(error)) return Outcome<json>::failure(error);
    std::string line = request.dump(-1, ' ', false, json::error_handler_t::replace);
    line.push_back('\n');
    struct LineWipe {
        std::string& text;
        ~LineWipe() { OPENSSL_cleanse(text.data(), text.size()); }  // it may carry a PSK
    } wipe_line{line};
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms_);
    auto remaining_ms = [&] {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        return static_cast<int>(std::max<int64_t>(left.count(), 0));
    };
    for (size_t sent = 0; sent < line.size();) {
        const ssize_t n = send(fd_, line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            error = std::string("send: ") + strerror(errno);
            disconnect();
            return Outcome<json>::failure(error);
        }
        sent += static_cast<size_t>(n);
    }
    for (;;) {
        if (const size_t newline = buffer_.find('\n'); newline != std::string::npos) {
            const std::string response = buffer_.substr(0, newline);
            buffer_.erase(0, newline + 1);
            try {
                json parsed = json::parse(response);
                if (!parsed.is_object() || !parsed.contains("ok") || !parsed["ok"].is_boolean())
                    return Outcome<json>::failure("response without \"ok\"");
                return parsed;
            } catch (const json::exception&) {
                disconnect();
                return Outcome<json>::failure("response is not JSON");
            }
        }
        if (buffer_.size() > 64u * 1024 * 1024) {
            disconnect();
            return Outcome<json>::failure("response too long");
        }
        pollfd poll_fd{fd_, POLLIN, 0};
        const int ready = poll(&poll_fd, 1, remaining_ms());
        if (ready <= 0) {
            disconnect();
            return Outcome<json>::failure("no answer from msf-msrpd within the timeout");
        }
        char chunk[16 * 1024];
        const ssize_t n = recv(fd_, chunk, sizeof chunk, 0);
        if (n <= 0) {
            if (n < 0 && errno == EINTR) continue;
            disconnect();
            return Outcome<json>::failure("msf-msrpd closed the control connection");
        }
        buffer_.append(chunk, static_cast<size_t>(n));
    }
}

namespace {
std::string response_error(const json& response) {
    const auto it = response.find("error");
    return it != response.end() && it->is_string() ? it->get<std::string>() : "request failed";
}
}  // namespace

Outcome<AddedSession> ControlClient::add_session(const SessionSpec& spec) {
    json request{{"op", "add_session"},
                 {"session", spec.id},
                 {"psk_identity", spec.psk_identity},
                 {"ue_path", spec.ue_path},
                 {"core_path", spec.core_path}};
    request["psk"] = to_hex(spec.psk);  // moved in, so the only copy is the one wiped below
    if (spec.ue_allow) request["ue_allow"] = *spec.ue_allow;
    if (!spec.gw_access_path.empty()) request["gw_access_path"] = spec.gw_access_path;
    if (!spec.gw_core_path.empty()) request["gw_core_path"] = spec.gw_core_path;
    const Outcome<json> response = this->request(request);
    {
        std::string& psk_hex = request["psk"].get_ref<std::string&>();
        OPENSSL_cleanse(psk_hex.data(), psk_hex.size());
    }
    if (!response) return Outcome<AddedSession>::failure(response.error());
    const json& answer = response.value();
    if (!answer["ok"].get<bool>()) return Outcome<AddedSession>::failure(response_error(answer));
    if (!answer.contains("gw_access_path") || !answer["gw_access_path"].is_string() ||
        !answer.contains("gw_core_path") || !answer["gw_core_path"].is_string())
        return Outcome<AddedSession>::failure("add_session answer without the gateway paths");
    return AddedSession{answer["gw_access_path"].get<std::string>(), answer["gw_core_path"].get<std::string>()};
}

Outcome<bool> ControlClient::remove_session(std::string_view id) {
    const Outcome<json> response = request(json{{"op", "remove_session"}, {"session", std::string(id)}});
    if (!response) return Outcome<bool>::failure(response.error());
    if (response.value()["ok"].get<bool>()) return true;
    const std::string error = response_error(response.value());
    if (error.rfind("no session", 0) == 0) return false;
    return Outcome<bool>::failure(error);
}

Outcome<json> ControlClient::get_session(std::string_view id) {
    const Outcome<json> response = request(json{{"op", "get_session"}, {"session", std::string(id)}});
    if (!response) return response;
    if (!response.value()["ok"].get<bool>()) return Outcome<json>::failure(response_error(response.value()));
    return response.value()["session"];
}

Outcome<json> ControlClient::list_sessions() {
    const Outcome<json> response = request(json{{"op", "list_sessions"}});
    if (!response) return response;
    if (!response.value()["ok"].get<bool>()) return Outcome<json>::failure(response_error(response.value()));
    return response.value()["sessions"];
}

Outcome<json> ControlClient::stats() {
    const Outcome<json> response = request(json{{"op", "stats"}});
    if (!response) return response;
    if (!response.value()["ok"].get<bool>()) return Outcome<json>::failure(response_error(response.value()));
    return response.value()["stats"];
}

}  // namespace msf::msrp
