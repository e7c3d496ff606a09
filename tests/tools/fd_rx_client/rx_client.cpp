#include "tests/tools/fd_rx_client/rx_client.hpp"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <span>
#include <thread>

#include "dataplane/tools/json_writer.hpp"
#include "tests/tools/fd_rx_client/message_report.hpp"
#include "tests/tools/fd_rx_client/rx_media.hpp"
#include "tests/tools/fd_rx_client/utf8_text.hpp"

namespace msf::fdrx {

namespace {

// TS 29.214 §5.3.50 Rx-Request-Type.
constexpr int32_t kInitialRequest = 0;
constexpr int32_t kUpdateRequest = 1;
// RFC 6733 §8.47 Termination-Cause.
constexpr uint32_t kDiameterLogout = 1;
constexpr uint32_t kDiameterAdministrative = 4;
// MSF-Direction.
constexpr int32_t kUeToNetwork = 0;
constexpr int32_t kNetworkToUe = 1;

// Builds AVPs into a message or group. The first failing libfdproto call is remembered and every
// later call does nothing, so a builder is checked once, at the end.
class MessageBuilder {
public:
    explicit MessageBuilder(const RxDictionary& dict) : dict_(dict) {}

    struct avp* group(msg_or_avp* parent, AvpId id) { return add(parent, id, nullptr); }
    void u32(msg_or_avp* parent, AvpId id, uint32_t v) {
        union avp_value value{};
        value.u32 = v;
        add(parent, id, &value);
    }
    void u64(msg_or_avp* parent, AvpId id, uint64_t v) {
        union avp_value value{};
        value.u64 = v;
        add(parent, id, &value);
    }
    void i32(msg_or_avp* parent, AvpId id, int32_t v) {
        union avp_value value{};
        value.i32 = v;
        add(parent, id, &value);
    }
    void bytes(msg_or_avp* parent, AvpId id, std::span<const uint8_t> data) {
        union avp_value value{};
        // libfdproto copies the bytes; it only reads through this pointer.
        value.os.data = const_cast<uint8_t*>(data.data());
        value.os.len = data.size();
        add(parent, id, &value);
    }
    void text(msg_or_avp* parent, AvpId id, std::string_view s) {
        bytes(parent, id, {reinterpret_cast<const uint8_t*>(s.data()), s.size()});
    }
    // Session-Id goes first (RFC 6733 §8.8: "< Session-Id >" is a fixed head).
    void session_id(struct msg* m, std::string_view sid) { add(m, AvpId::session_id, nullptr, sid, true); }

    bool ok() const { return error_ == 0; }
    std::string error() const { return where_ + ": " + std::strerror(error_); }
    void fail(int error, std::string where) {
        if (error_ == 0 && error != 0) {
            error_ = error;
            where_ = std::move(where);
        }
    }

private:
    struct avp* add(msg_or_avp* parent, AvpId id, union avp_value* value, std::string_view text = {},
                    bool first = false) {
        if (error_ != 0 || !parent) return nullptr;
        struct avp* a = nullptr;
        const std::string name(avp_info(id).name);
        int rc = fd_msg_avp_new(dict_.avp(id), 0, &a);
        if (rc != 0) {
            fail(rc, "new " + name);
            return nullptr;
        }
        union avp_value text_value{};
        if (!text.empty()) {
            text_value.os.data = reinterpret_cast<uint8_t*>(const_cast<char*>(text.data()));
            text_value.os.len = text.size();
            value = &text_value;
        }
        if (value && (rc = fd_msg_avp_setvalue(a, value)) != 0) {
            fd_msg_free(a);
            fail(rc, "value of " + name);
            return nullptr;
        }
        if ((rc = fd_msg_avp_add(parent, first ? MSG_BRW_FIRST_CHILD : MSG_BRW_LAST_CHILD, a)) != 0) {
            fd_msg_free(a);
            fail(rc, "adding " + name);
            return nullptr;
        }
        return a;
    }

    const RxDictionary& dict_;
    int error_ = 0;
    std::string where_;
};

std::string_view peer_name(struct peer_hdr* peer) {
    return peer && peer->info.pi_diamid ? std::string_view(peer->info.pi_diamid, peer->info.pi_diamidlen)
                                        : std::string_view();
}

struct msg_hdr* header_of(struct msg* m) {
    struct msg_hdr* hdr = nullptr;
    return m && fd_msg_hdr(m, &hdr) == 0 ? hdr : nullptr;
}

// The first AVP of a message, if it is a Session-Id with a parsed value.
std::string session_id_of(struct msg* m) {
    struct avp* first = browse_avp(m, MSG_BRW_FIRST_CHILD);
    struct avp_hdr* hdr = nullptr;
    if (!first) return {};
    if (fd_msg_avp_hdr(first, &hdr) != 0 || !hdr || !hdr->avp_value) return {};
    if (hdr->avp_code != avp_info(AvpId::session_id).code || (hdr->avp_flags & AVP_FLAG_VENDOR)) return {};
    return std::string(reinterpret_cast<const char*>(hdr->avp_value->os.data), hdr->avp_value->os.len);
}

// TS 29.214 §5.6.1 AAR after its Session-Id: one Media-Component-Description (§5.3.10), the UE's
// address, and the MSF-Media-Protection of each direction the spec has keys for.
void add_aar_body(MessageBuilder& b, struct msg* m, const SessionSpec& spec, const ClientOptions& options) {
    b.u32(m, AvpId::auth_application_id, kRxApplicationId);
    if (fd_msg_add_origin(m, 0) != 0) b.fail(EINVAL, "Origin-Host/Realm");
    b.text(m, AvpId::destination_realm, options.peer_realm);
    b.text(m, AvpId::destination_host, options.peer);
    if (spec.framed_ip) {
        if (spec.ue.addr.is_v4()) b.bytes(m, AvpId::framed_ip_address, framed_ipv4_address(spec.ue.addr));
        else b.bytes(m, AvpId::framed_ipv6_prefix, framed_ipv6_prefix(spec.ue.addr));
    }
    struct avp* mcd = b.group(m, AvpId::media_component_description);
    b.u32(mcd, AvpId::media_component_number, spec.media_component_number);
    for (const SubComponent& sub : media_sub_components(spec)) {
        struct avp* msc = b.group(mcd, AvpId::media_sub_component);
        b.u32(msc, AvpId::flow_number, sub.flow_number);
        for (const std::string& rule : sub.flow_descriptions) b.text(msc, AvpId::flow_description, rule);
        b.i32(msc, AvpId::flow_usage, static_cast<int32_t>(sub.usage));
    }
    b.i32(mcd, AvpId::media_type, static_cast<int32_t>(static_cast<uint32_t>(spec.media_type)));
    for (const std::string& codec : codec_data(spec)) b.text(mcd, AvpId::codec_data, codec);

    auto protection = [&](const std::optional<DirectionKeys>& keys, int32_t direction) {
        if (!keys) return;
        struct avp* p = b.group(m, AvpId::msf_media_protection);
        b.u32(p, AvpId::media_component_number, spec.media_component_number);
        b.i32(p, AvpId::msf_direction, direction);
        b.text(p, AvpId::msf_crypto_suite, srtp::suite_info(keys->suite).name);
        b.bytes(p, AvpId::msf_master_key, keys->key);
        b.bytes(p, AvpId::msf_master_salt, keys->salt);
    };
    protection(spec.from_ue, kUeToNetwork);
    protection(spec.to_ue, kNetworkToUe);
}

void log_to_stderr(int level, const char* format, va_list args) {
    if (level < fd_g_debug_lvl) return;
    std::vfprintf(stderr, format, args);
    std::fputc('\n', stderr);
}

}  // namespace

void JsonLines::write(const std::string& line) {
    std::lock_guard lock(mutex_);
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
}

RxClient* RxClient::instance_ = nullptr;

RxClient::RxClient(const ClientOptions& options, JsonLines& out) : options_(options), out_(out) {}

void RxClient::event(std::string_view name, std::string_view detail_key, std::string_view detail) {
    tools::JsonWriter json;
    json.begin_object().member("event", name);
    if (!detail_key.empty()) json.member(detail_key, printable_utf8(detail));
    json.end_object();
    out_.write(json.str());
}

std::optional<std::string> RxClient::start(const std::string& config_path) {
    if (instance_) return "libfdcore runs once per process";
    instance_ = this;
    fd_log_handler_register(log_to_stderr);
    fd_g_debug_lvl = options_.log == LogLevel::debug     ? FD_LOG_DEBUG
                     : options_.log == LogLevel::verbose ? FD_LOG_NOTICE
                                                         : FD_LOG_ERROR;
    int rc = fd_core_initialize();
    if (rc != 0) return "fd_core_initialize: " + std::string(std::strerror(rc));
    if ((rc = fd_core_parseconf(config_path.c_str())) != 0)
        return "fd_core_parseconf " + config_path + ": " + std::strerror(rc);
    if (auto error = dict_.define(fd_g_config->cnf_dict, options_.msf_vendor_id)) return "dictionary: " + *error;

    const uint32_t hooks = fd_hook_mask_helper(0, HOOK_MESSAGE_RECEIVED, HOOK_MESSAGE_SENT, HOOK_MESSAGE_DROPPED,
                                               HOOK_MESSAGE_PARSING_ERROR, HOOK_PEER_CONNECT_FAILED,
                                               HOOK_PEER_CONNECT_SUCCESS, -1);
    struct fd_hook_hdl* hook = nullptr;
    if ((rc = fd_hook_register(hooks, on_hook, this, nullptr, &hook)) != 0)
        return "fd_hook_register: " + std::string(std::strerror(rc));
    for (struct dict_object* command : {dict_.re_auth_request, dict_.abort_session_request}) {
        struct disp_when when{};
        when.app = dict_.rx_application;
        when.command = command;
        if ((rc = fd_disp_register(on_request, DISP_HOW_CC, &when, this, nullptr)) != 0)
            return "fd_disp_register: " + std::string(std::strerror(rc));
    }
    const bool vendor_specific = options_.cer_application == CerApplication::vendor_specific;
    if ((rc = fd_disp_app_support(dict_.rx_application, vendor_specific ? dict_.vendor_3gpp : nullptr, 1, 0)) != 0)
        return "fd_disp_app_support: " + std::string(std::strerror(rc));
    if ((rc = fd_core_start()) != 0) return "fd_core_start: " + std::string(std::strerror(rc));
    if ((rc = fd_core_waitstartcomplete()) != 0) return "fd_core_waitstartcomplete: " + std::string(std::strerror(rc));
    return std::nullopt;
}

bool RxClient::wait_for(std::string_view action, uint64_t timeout_ms, const std::function<bool()>& done) {
    std::unique_lock lock(mutex_);
    if (changed_.wait_for(lock, std::chrono::milliseconds(timeout_ms), done)) return true;
    lock.unlock();
    tools::JsonWriter json;
    json.begin_object().member("event", "timeout").member("action", action).member("after_ms", timeout_ms).end_object();
    out_.write(json.str());
    return false;
}

bool RxClient::wait_open() {
    // The state machine is libfdcore's; poll it (CER/CEA take milliseconds on loopback).
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.timeout_ms);
    std::string peer = options_.peer;
    while (std::chrono::steady_clock::now() < deadline) {
        struct peer_hdr* hdr = nullptr;
        if (fd_peer_getbyid(peer.data(), peer.size(), 0, &hdr) == 0 && hdr && fd_peer_get_state(hdr) == STATE_OPEN)
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    tools::JsonWriter json;
    json.begin_object()
        .member("event", "timeout")
        .member("action", "connect")
        .member("after_ms", options_.timeout_ms)
        .end_object();
    out_.write(json.str());
    return false;
}

bool RxClient::send_and_wait(struct msg* request, std::string_view action) {
    struct msg_hdr* hdr = header_of(request);
    if (!hdr) {
        fd_msg_free(request);
        event("error", "reason", std::string(action) + ": no message header");
        return false;
    }
    hdr->msg_appl = kRxApplicationId;
    const uint32_t e2e = hdr->msg_eteid;
    {
        std::lock_guard lock(mutex_);
        pending_[e2e] = Pending{};
    }
    // The End-to-End Identifier rides along as the callback's data: nothing to free or outlive.
    const int rc = fd_msg_send(&request, on_answer, reinterpret_cast<void*>(static_cast<uintptr_t>(e2e)));
    if (rc != 0) {
        if (request) fd_msg_free(request);
        event("error", "reason", std::string(action) + ": fd_msg_send: " + std::strerror(rc));
        return false;
    }
    bool answered = false;
    const bool ended = wait_for(action, options_.timeout_ms, [&] {
        const Pending& p = pending_[e2e];
        answered = p.answered;
        return p.answered || p.dropped;
    });
    return ended && answered;
}

bool RxClient::aar(const SessionSpec& spec, bool update) {
    const std::string_view action = update ? "--aar-update" : "--aar";
    MessageBuilder b(dict_);
    struct msg* m = nullptr;
    int rc = fd_msg_new(dict_.aa_request, MSGFL_ALLOC_ETEID, &m);
    if (rc != 0) {
        event("error", "reason", std::string(action) + ": fd_msg_new: " + std::strerror(rc));
        return false;
    }
    if (update) {
        b.session_id(m, open_sessions_.back());
    } else {
        static constexpr char kSessionTag[] = "rx";
        rc = fd_msg_new_session(m, reinterpret_cast<os0_t>(const_cast<char*>(kSessionTag)), sizeof kSessionTag - 1);
        if (rc != 0) b.fail(rc, "fd_msg_new_session");
    }
    add_aar_body(b, m, spec, options_);
    b.i32(m, AvpId::rx_request_type, update ? kUpdateRequest : kInitialRequest);
    if (!b.ok()) {
        fd_msg_free(m);
        event("error", "reason", std::string(action) + ": " + b.error());
        return false;
    }
    if (!update) {
        const std::string sid = session_id_of(m);
        if (sid.empty()) {
            fd_msg_free(m);
            event("error", "reason", std::string(action) + ": no Session-Id");
            return false;
        }
        open_sessions_.push_back(sid);
    }
    return send_and_wait(m, action);
}

bool RxClient::str(const std::string& session_id, uint32_t termination_cause, std::string_view action) {
    MessageBuilder b(dict_);
    struct msg* m = nullptr;
    const int rc = fd_msg_new(dict_.session_termination_request, MSGFL_ALLOC_ETEID, &m);
    if (rc != 0) {
        event("error", "reason", std::string(action) + ": fd_msg_new: " + std::strerror(rc));
        return false;
    }
    // TS 29.214 §5.6.5 STR.
    b.session_id(m, session_id);
    if (fd_msg_add_origin(m, 0) != 0) b.fail(EINVAL, "Origin-Host/Realm");
    b.text(m, AvpId::destination_realm, options_.peer_realm);
    b.text(m, AvpId::destination_host, options_.peer);
    b.u32(m, AvpId::auth_application_id, kRxApplicationId);
    b.i32(m, AvpId::termination_cause, static_cast<int32_t>(termination_cause));
    if (!b.ok()) {
        fd_msg_free(m);
        event("error", "reason", std::string(action) + ": " + b.error());
        return false;
    }
    return send_and_wait(m, action);
}

bool RxClient::run(const Action& action) {
    const std::string_view name = action_name(action.kind);
    // The argument parser checks the script, but an --str-aborted may have ended the session
    // an --aar-update or --str was meant for: that only shows now.
    if ((action.kind == ActionKind::aar_update || action.kind == ActionKind::str) && open_sessions_.empty()) {
        event("error", "reason", std::string(name) + ": no open session left");
        return false;
    }
    switch (action.kind) {
        case ActionKind::aar: return aar(action.spec, false);
        case ActionKind::aar_update: return aar(action.spec, true);
        case ActionKind::str: {
            const std::string sid = open_sessions_.back();
            open_sessions_.pop_back();
            return str(sid, kDiameterLogout, name);
        }
        case ActionKind::str_aborted: {
            std::string sid;
            {
                std::lock_guard lock(mutex_);
                if (!aborted_sessions_.empty()) {
                    sid = aborted_sessions_.front();
                    aborted_sessions_.pop_front();
                }
            }
            if (sid.empty()) {
                event("error", "reason", "--str-aborted: the ASR carried no Session-Id");
                return false;
            }
            std::erase(open_sessions_, sid);
            return str(sid, kDiameterAdministrative, name);
        }
        case ActionKind::wait_dwa: {
            // Our DWR goes out after Tw of silence, with up to 2 s of jitter (RFC 3539 §3.4.1).
            const uint64_t timeout = std::max<uint64_t>(options_.timeout_ms, (uint64_t{options_.tw_s} + 4) * 1000);
            if (!wait_for(name, timeout, [&] { return dwa_exchanges_ > dwa_waited_; })) return false;
            ++dwa_waited_;
            return true;
        }
        case ActionKind::wait_rar:
            if (!wait_for(name, options_.timeout_ms, [&] { return raa_sent_ > raa_waited_; })) return false;
            ++raa_waited_;
            return true;
        case ActionKind::wait_asr:
            if (!wait_for(name, options_.timeout_ms, [&] { return asa_sent_ > asa_waited_; })) return false;
            ++asa_waited_;
            return true;
        case ActionKind::sleep: std::this_thread::sleep_for(std::chrono::milliseconds(action.sleep_ms)); return true;
        case ActionKind::dpr: return shutdown(true);
    }
    return false;
}

bool RxClient::shutdown(bool expect_dpa) {
    int rc = fd_core_shutdown();
    if (rc != 0) {
        event("error", "reason", "fd_core_shutdown: " + std::string(std::strerror(rc)));
        return false;
    }
    bool dpa = true;
    if (expect_dpa) dpa = wait_for("--dpr", options_.timeout_ms, [&] { return dpa_received_ > 0; });
    if ((rc = fd_core_wait_shutdown_complete()) != 0) {
        event("error", "reason", "fd_core_wait_shutdown_complete: " + std::string(std::strerror(rc)));
        return false;
    }
    return dpa;
}

void RxClient::on_hook(enum fd_hook_type type, struct msg* msg, struct peer_hdr* peer, void* other,
                       struct fd_hook_permsgdata* pmd, void* regdata) {
    (void)pmd;
    auto* self = static_cast<RxClient*>(regdata);
    const std::string_view peer_id = peer_name(peer);
    struct msg_hdr* hdr = header_of(msg);
    const bool request = hdr && (hdr->msg_flags & CMD_FLAG_REQUEST);
    const uint32_t code = hdr ? hdr->msg_code : 0;

    switch (type) {
        case HOOK_MESSAGE_RECEIVED: {
            // Not yet dictionary-resolved here. This is the peer's state machine thread, which
            // owns the message until the hook returns; libfdcore resolves it again (cached) later.
            (void)fd_msg_parse_dict(msg, fd_g_config->cnf_dict, nullptr);
            self->out_.write(message_json(msg, self->dict_, "received", peer_id));
            std::lock_guard lock(self->mutex_);
            if (!request && code == kCodeDeviceWatchdog) ++self->dwa_exchanges_;
            if (!request && code == kCodeDisconnectPeer) ++self->dpa_received_;
            break;
        }
        case HOOK_MESSAGE_SENT: {
            // Messages built locally carry their dictionary objects and values already; a sent
            // request may be matched with its answer by another thread, so it is not touched.
            self->out_.write(message_json(msg, self->dict_, "sent", peer_id));
            std::lock_guard lock(self->mutex_);
            if (!request && code == kCodeDeviceWatchdog) ++self->dwa_exchanges_;
            if (!request && code == kCodeReAuth) ++self->raa_sent_;
            if (!request && code == kCodeAbortSession) ++self->asa_sent_;
            break;
        }
        case HOOK_MESSAGE_DROPPED:
        case HOOK_MESSAGE_PARSING_ERROR: {
            // PARSING_ERROR without a message: {other} is the raw buffer, not a reason.
            const bool has_reason = msg != nullptr || type == HOOK_MESSAGE_DROPPED;
            const char* reason = has_reason && other ? static_cast<const char*>(other) : "unparsable message";
            tools::JsonWriter json;
            json.begin_object().member("event", type == HOOK_MESSAGE_DROPPED ? "dropped" : "parsing_error");
            if (hdr) {
                const auto name = command_abbreviation(code, request);
                json.member("command", name ? std::string(*name) : "CMD" + std::to_string(code))
                    .member("end_to_end", hdr->msg_eteid);
            }
            if (!peer_id.empty()) json.member("peer", printable_utf8(peer_id));
            json.member("reason", printable_utf8(reason)).end_object();
            self->out_.write(json.str());
            if (type == HOOK_MESSAGE_DROPPED && hdr) {
                std::lock_guard lock(self->mutex_);
                const auto it = self->pending_.find(hdr->msg_eteid);
                if (it != self->pending_.end()) it->second.dropped = true;
                self->changed_.notify_all();
            }
            return;
        }
        case HOOK_PEER_CONNECT_FAILED: {
            tools::JsonWriter json;
            json.begin_object().member("event", "connect_failed");
            if (!peer_id.empty()) json.member("peer", printable_utf8(peer_id));
            json.member("reason", printable_utf8(other ? static_cast<const char*>(other) : "")).end_object();
            self->out_.write(json.str());
            return;
        }
        case HOOK_PEER_CONNECT_SUCCESS: {
            tools::JsonWriter json;
            json.begin_object().member("event", "connected").member("peer", printable_utf8(peer_id)).end_object();
            self->out_.write(json.str());
            return;
        }
        default: return;
    }
    self->changed_.notify_all();
}

int RxClient::on_request(struct msg** msg, struct avp* avp, struct session* session, void* opaque,
                         enum disp_action* action) {
    (void)avp;
    (void)session;
    auto* self = static_cast<RxClient*>(opaque);
    struct msg_hdr* hdr = header_of(*msg);
    if (hdr && hdr->msg_code == kCodeAbortSession) {
        // TS 29.214 §4.4.4: the AF answers, then ends the session with an STR (--str-aborted).
        const std::string sid = session_id_of(*msg);
        std::lock_guard lock(self->mutex_);
        self->aborted_sessions_.push_back(sid);
    }
    // RAA (TS 29.214 §5.6.4) and ASA (§5.6.8): Session-Id, Origin-Host/Realm, Result-Code.
    int rc = fd_msg_new_answer_from_req(fd_g_config->cnf_dict, msg, 0);
    if (rc != 0) return rc;
    static char kSuccess[] = "DIAMETER_SUCCESS";
    if ((rc = fd_msg_rescode_set(*msg, kSuccess, nullptr, nullptr, 1)) != 0) return rc;
    *action = DISP_ACT_SEND;
    return 0;
}

void RxClient::on_answer(void* data, struct msg** answer) {
    // Answers we receive are printed by the RECEIVED hook; one libfdcore made up itself (no
    // route to the peer, for instance) has no source and is printed here.
    RxClient* self = instance_;
    const auto e2e = static_cast<uint32_t>(reinterpret_cast<uintptr_t>(data));
    DiamId_t source = nullptr;
    size_t source_len = 0;
    if (fd_msg_source_get(*answer, &source, &source_len) == 0 && source == nullptr) {
        (void)fd_msg_parse_dict(*answer, fd_g_config->cnf_dict, nullptr);
        self->out_.write(message_json(*answer, self->dict_, "local", {}));
    }
    fd_msg_free(*answer);
    *answer = nullptr;
    std::lock_guard lock(self->mutex_);
    if (auto it = self->pending_.find(e2e); it != self->pending_.end()) it->second.answered = true;
    self->changed_.notify_all();
}

}  // namespace msf::fdrx
