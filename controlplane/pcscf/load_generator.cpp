#include "controlplane/pcscf/load_generator.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <deque>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "controlplane/diameter/node.hpp"
#include "controlplane/keying/sdes.hpp"
#include "controlplane/keying/sdp.hpp"
#include "controlplane/pcscf/call_record.hpp"
#include "controlplane/pcscf/call_signalling.hpp"
#include "controlplane/pcscf/registration.hpp"
#include "controlplane/pcscf/rx_call.hpp"
#include "controlplane/pcscf/sdp_rewrite.hpp"
#include "controlplane/pcscf/ue_security.hpp"

namespace msf::pcscf {

using Clock = std::chrono::steady_clock;

namespace {

constexpr size_t kMaxErrorsKept = 10;
constexpr uint32_t kComponent = 1;   // one m=audio per call: Media-Component-Number 1 ...
constexpr uint16_t kMediaIndex = 0;  // ... the SDP's first m-line
constexpr uint32_t kMsrpComponent = 2;   // --msrp: an m=message after it, component 2
constexpr uint16_t kMsrpMediaIndex = 1;
constexpr uint16_t kUeMsrpPort = 2855;   // RFC 4975 §15.5, the UE's own (it only connects out)
constexpr int64_t kDprWaitMs = 2000;
constexpr uint16_t kSipPort = 5060;
constexpr size_t kCallsOutFlushBytes = 64 * 1024;

uint64_t micros(Clock::duration d) {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(d).count());
}
double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

std::string hex32(uint32_t value) {
    char text[9];
    std::snprintf(text, sizeof text, "%08x", value);
    return text;
}

// Tags this run's Call-IDs and Session-Ids, so a rerun never reuses a kept session's id.
uint32_t random32() {
    uint32_t value = 0;
    if (RAND_bytes(reinterpret_cast<unsigned char*>(&value), sizeof value) != 1)
        value = static_cast<uint32_t>(std::time(nullptr)) ^ static_cast<uint32_t>(getpid());
    return value;
}

// The SDP with the MSRP section's a=path replaced by the relay's URI (and its version bumped).
keying::Expected<std::string> with_msrp_path(std::string_view sdp_text, const std::string& uri) {
    auto sdp = keying::SessionDescription::parse(sdp_text);
    if (!sdp) return sdp.error();
    if (auto ok = sdp->set_msrp_path(kMsrpMediaIndex, uri); !ok) return ok.error();
    if (auto ok = sdp->bump_origin_version(); !ok) return ok.error();
    return sdp->to_string();
}

// --rx-only's keys: OpenSSL DRBG output drawn a page at a time (one RAND_bytes call per key was
// a quarter of the load client's time per call); bytes handed out are wiped from the pool.
class RandomPool {
public:
    RandomPool() = default;
    RandomPool(const RandomPool&) = delete;
    RandomPool& operator=(const RandomPool&) = delete;
    ~RandomPool() { OPENSSL_cleanse(pool_.data(), pool_.size()); }

    bool fill(std::span<uint8_t> out) {
        for (size_t done = 0; done < out.size();) {
            if (used_ == pool_.size()) {
                if (RAND_bytes(pool_.data(), static_cast<int>(pool_.size())) != 1) return false;
                used_ = 0;
            }
            const size_t n = std::min(out.size() - done, pool_.size() - used_);
            std::memcpy(out.data() + done, pool_.data() + used_, n);
            OPENSSL_cleanse(pool_.data() + used_, n);
            used_ += n;
            done += n;
        }
        return true;
    }

private:
    std::array<uint8_t, 4096> pool_{};
    size_t used_ = pool_.size();
};

// A suite-sized master key and salt from the pool.
keying::Expected<keying::MediaKeys> random_media_keys(RandomPool& pool, srtp::Suite suite) {
    const auto& info = srtp::suite_info(suite);
    keying::MediaKeys keys(suite, std::vector<uint8_t>(info.key_len), std::vector<uint8_t>(info.salt_len));
    if (!pool.fill(keys.master_key) || !pool.fill(keys.master_salt))
        return keying::make_error(keying::ErrorCode::crypto_failure, "RAND_bytes failed");
    return keys;
}

struct SimulatedUe {
    UeIdentity identity;
    UeSecurity security;
    bool e2ae = false;  // registered with e2ae acknowledged
};

struct Call {
    uint64_t index = 0;
    uint32_t ue = 0;
    TransactionIds invite_ids;  // the UE's
    std::string to_tag;
    std::string session_id;
    net::Endpoint ue_media;
    net::Endpoint core_media;
    SipMessage invite;          // as the P-CSCF parsed it
    std::string ue_offer;
    std::string core_answer;
    keying::MediaKeys from_ue;  // derived by the P-CSCF from the network's copy of the SA
    std::optional<keying::MediaKeys> to_ue;
    bool paired_from_ue = false;  // --hairpin-pairs, odd call: from_ue is call index-1's to_ue
    std::string msrp_ue_path;     // --msrp: the UE's and the core endpoint's MSRP URIs
    std::string msrp_core_path;
    std::optional<keying::MsrpPsk> msrp_psk;  // derived by the P-CSCF from the network's copy of the SA
    Clock::time_point sent;     // the pending AAR's or STR's
};

}  // namespace

struct LoadGenerator::State final : diameter::ApplicationHandler {
    State(controld::EventLoop& l, PcscfOptions o, std::function<void(std::string_view)> lg)
        : loop(l), options(std::move(o)), log(std::move(lg)), run_tag(random32()) {}
    ~State() override {
        for (const auto& [index, timer] : hold_timers) loop.cancel_timer(timer);
        if (pump_timer) loop.cancel_timer(*pump_timer);
        node.reset();
        close_calls_out();
    }

    controld::EventLoop& loop;
    PcscfOptions options;
    std::function<void(std::string_view)> log;
    const uint32_t run_tag;
    RunReport report;

    std::unique_ptr<diameter::Node> node;
    bool peer_open = false;
    bool stopping = false;  // our own DPR: the connection closing is no news
    std::string destination_realm;

    std::vector<SimulatedUe> ues;  // none with --rx-only
    RandomPool key_pool;           // --rx-only's keys
    const UeIdentity rx_only_ue{"ue", options.realm, {options.ue_base.addr, kSipPort}};  // its SDPs' o= line
    std::unique_ptr<TlsHandshaker> tls;

    std::unordered_map<uint64_t, std::unique_ptr<Call>> active;
    std::unordered_map<uint64_t, controld::EventLoop::TimerId> hold_timers;
    std::deque<uint64_t> pending_str;
    std::optional<controld::EventLoop::TimerId> pump_timer;
    uint64_t started = 0;
    uint64_t finished = 0;
    uint32_t in_flight = 0;
    bool pumping = false;
    Clock::time_point rate_start;

    std::vector<uint64_t> aar_samples;
    std::vector<uint64_t> str_samples;
    std::optional<Clock::time_point> first_aar, last_aaa, first_str, last_sta;

    int calls_out_fd = -1;
    std::string calls_out_buffer;
    // --hairpin-pairs: call 2k's network->UE key until call 2k+1 takes it as its UE->network key.
    std::unordered_map<uint64_t, keying::MediaKeys> hairpin_keys;

    // ---- diameter::ApplicationHandler: the MSF's own requests ----

    void on_request(diameter::PeerRef, diameter::Message&& request, diameter::Responder responder) override {
        // RAR (bearer event) and ASR (the MSF drops the session): acknowledge and count; this
        // generator does not act on them (a call torn down by ASR gets 5002 for its STR later).
        if (request.command_code() == diameter::cmd::rar.code) ++report.rar_received;
        if (request.command_code() == diameter::cmd::asr.code) ++report.asr_received;
        say("MSF sent " + request.name() + " for " + std::string(request.session_id()));
        responder.answer(node->make_answer(request, diameter::ResultCode::success));
    }

    void on_peer_state(diameter::PeerRef, bool open) override {
        peer_open = open;
        if (!open && !stopping) say("the Diameter connection to " + options.msf_identity + " closed");
    }

    void say(const std::string& line) {
        if (log) log(line);
    }

    void note_error(const std::string& message) {
        if (report.errors.size() < kMaxErrorsKept) {
            report.errors.push_back(message);
            say("error: " + message);
        }
    }

    // A step of a call failed locally (SIP, SDP, keys, an answer that does not read).
    bool call_error(const Call& c, const std::string& message) {
        ++report.call_errors;
        note_error("call " + c.invite_ids.call_id + ": " + message);
        return false;
    }

    void end_call(uint64_t index, bool ok) {
        if (ok) ++report.calls_ok;
        ++finished;
        active.erase(index);
    }

    // ---- set-up ----

    bool open_calls_out() {
        if (options.calls_out.empty()) return true;
        // The records hold the UEs' SAs: owner only.
        calls_out_fd = ::open(options.calls_out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (calls_out_fd < 0 || ::fchmod(calls_out_fd, 0600) != 0) {
            report.fatal = "--calls-out " + options.calls_out + ": " + std::strerror(errno);
            return false;
        }
        return true;
    }

    void flush_calls_out() {
        size_t done = 0;
        while (calls_out_fd >= 0 && done < calls_out_buffer.size()) {
            const ssize_t n = ::write(calls_out_fd, calls_out_buffer.data() + done, calls_out_buffer.size() - done);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                note_error("--calls-out " + options.calls_out + ": " + std::strerror(errno));
                ++report.call_errors;
                ::close(calls_out_fd);
                calls_out_fd = -1;
                break;
            }
            done += static_cast<size_t>(n);
        }
        keying::wipe(calls_out_buffer);
    }

    void close_calls_out() {
        if (calls_out_fd < 0) return;
        flush_calls_out();
        if (calls_out_fd >= 0) ::close(calls_out_fd);
        calls_out_fd = -1;
    }

    bool register_ues() {
        bool need_tls = false;
        for (uint32_t u = 0; u < options.ues; ++u) need_tls |= sa_kind_for_ue(options.key_source, u) == SaKind::tls;
        if (need_tls) {
            auto handshaker = TlsHandshaker::create();
            if (!handshaker) {
                report.fatal = handshaker.error().message;
                return false;
            }
            tls = std::move(handshaker.value());
        }
        ues.reserve(options.ues);
        for (uint32_t u = 0; u < options.ues; ++u) {
            SimulatedUe ue;
            ue.identity = UeIdentity{"ue" + std::to_string(u + 1), options.realm, {options.ue_base.addr, kSipPort}};
            const SaKind kind = sa_kind_for_ue(options.key_source, u);
            // The digest username is the private identity, user@realm (TS 24.229 §5.1.1.2).
            auto security = establish_ue_security(kind, ue.identity.user + "@" + options.realm, options.realm, tls.get());
            if (!security) {
                report.fatal = "UE " + ue.identity.user + ": " + security.error().message;
                return false;
            }
            ue.security = std::move(security.value());

            const TransactionIds ids{"reg-" + hex32(run_tag) + "-" + std::to_string(u + 1) + "@" +
                                         options.ue_base.addr.to_string(),
                                     std::string("r") + std::to_string(u + 1), "z9hG4bKr" + hex32(run_tag) + std::to_string(u + 1), 1};
            const std::string register_text = build_register(ue.identity, ids, kind, true).to_string();
            // The P-CSCF's side: the text is all it has.
            auto request = SipMessage::parse(register_text);
            if (!request) return fatal_registration(ue, request.error().message);
            auto decision = decide_registration(*request, options.acknowledge_e2ae);
            if (!decision) return fatal_registration(ue, decision.error().message);
            const std::string ok_text = build_register_ok(*request, *decision, "reg" + std::to_string(u + 1)).to_string();
            // The UE's side.
            auto ok = SipMessage::parse(ok_text);
            if (!ok) return fatal_registration(ue, ok.error().message);
            auto acknowledged = read_register_ok(*ok, ids, kind);
            if (!acknowledged) return fatal_registration(ue, acknowledged.error().message);
            ue.e2ae = acknowledged.value();
            ++report.registered;
            if (ue.e2ae) ++report.e2ae_acknowledged;
            ues.push_back(std::move(ue));
        }
        return true;
    }

    bool fatal_registration(const SimulatedUe& ue, const std::string& message) {
        report.fatal = "registration of " + ue.identity.aor() + ": " + message;
        return false;
    }

    bool connect() {
        diameter::NodeSettings settings;
        settings.identity = options.identity;
        settings.realm = options.realm;
        settings.product_name = "msf-pcscf";
        settings.codec.msf_vendor_id = options.msf_vendor_id;
        const auto timeout = static_cast<int64_t>(options.timeout_ms);
        settings.connect_timeout_ms = timeout;
        settings.cea_timeout_ms = timeout;
        settings.reconnect_ms = std::min<int64_t>(1000, timeout);
        diameter::PeerSettings msf;
        msf.identity = options.msf_identity;
        msf.connect = options.msf;
        msf.realm = options.msf_realm;
        settings.peers.push_back(msf);
        if (options.verbose) settings.log = [this](std::string_view line) { say("diameter: " + std::string(line)); };
        else settings.log = [](std::string_view) {};
        try {
            node = std::make_unique<diameter::Node>(loop, std::move(settings), *this);
        } catch (const diameter::NodeError& e) {
            report.fatal = e.what();
            return false;
        }
        const auto deadline = Clock::now() + std::chrono::milliseconds(options.timeout_ms);
        while (!peer_open && Clock::now() < deadline) loop.run_once(10);
        if (!peer_open) {
            report.fatal = "no Diameter connection to " + options.msf_identity + " at " + options.msf.to_string() +
                           " within " + std::to_string(options.timeout_ms) +
                           " ms (does msf-controld listen there and list --diameter.peer=" + options.identity + "?)";
            return false;
        }
        destination_realm = options.msf_realm;
        if (destination_realm.empty()) {
            if (auto peer = node->find_peer(options.msf_identity)) destination_realm = std::string(peer->realm());
        }
        if (destination_realm.empty()) destination_realm = options.realm;
        say("connected to " + options.msf_identity + " (realm " + destination_realm + ")");
        return true;
    }

    void disconnect() {
        if (!node) return;
        stopping = true;
        bool closed = false;
        node->shutdown([&closed] { closed = true; });
        const auto deadline = Clock::now() + std::chrono::milliseconds(kDprWaitMs);
        while (!closed && Clock::now() < deadline) loop.run_once(10);
        node.reset();
    }

    // ---- calls ----

    void run_calls() {
        rate_start = Clock::now();
        pump();
        while (finished < options.calls) {
            loop.run_once(10);
            // Every unfinished call waits for an answer, a hold timer, an STR slot or the rate
            // timer; if none does, a bug lost one: stop instead of spinning forever.
            if (finished < options.calls && in_flight == 0 && pending_str.empty() && hold_timers.empty() &&
                !pump_timer && started >= options.calls) {
                report.fatal = "internal: " + std::to_string(options.calls - finished) + " calls left unfinished";
                return;
            }
        }
    }

    // Sends what the limits allow: pending STRs first, then new calls.
    void pump() {
        if (pumping) return;
        pumping = true;
        while (in_flight < options.concurrency) {
            if (!pending_str.empty()) {
                const uint64_t index = pending_str.front();
                pending_str.pop_front();
                send_str(index);
                continue;
            }
            if (started >= options.calls) break;
            if (options.rate > 0) {
                const auto due = rate_start + std::chrono::duration_cast<Clock::duration>(
                                                  std::chrono::duration<double>(static_cast<double>(started) / options.rate));
                const auto now = Clock::now();
                if (now < due) {
                    arm_pump_timer(due - now);
                    break;
                }
            }
            start_call(started++);
        }
        pumping = false;
    }

    void arm_pump_timer(Clock::duration wait) {
        if (pump_timer) return;
        const auto ms = std::max<int64_t>(1, std::chrono::ceil<std::chrono::milliseconds>(wait).count());
        pump_timer = loop.add_timer(ms, [this] {
            pump_timer.reset();
            pump();
        });
    }

    std::string callee_uri() const { return "sip:core-peer@" + options.realm; }

    void start_call(uint64_t index) {
        auto owned = std::make_unique<Call>();
        Call& c = *owned;
        c.index = index;
        c.ue = ues.empty() ? 0 : static_cast<uint32_t>(index % ues.size());
        const std::string serial = hex32(run_tag) + "-" + std::to_string(index + 1);
        const net::IpAddr& sip_addr = ues.empty() ? options.ue_base.addr : ues[c.ue].identity.sip.addr;
        c.invite_ids = TransactionIds{serial + "@" + sip_addr.to_string(), "f" + serial, "z9hG4bKi" + serial, 1};
        c.to_tag = "t" + serial;
        c.session_id = make_session_id(options.identity, run_tag, static_cast<uint32_t>(index));
        c.ue_media = stepped_endpoint(options.ue_base, index);
        c.core_media = stepped_endpoint(options.core_base, index);
        if (options.rx_only) return start_rx_only_call(std::move(owned));
        const SimulatedUe& ue = ues[c.ue];

        // The UE sends its INVITE.
        std::string offer = build_ue_offer_sdp(ue.identity, c.ue_media, index + 1, ue.e2ae);
        if (options.msrp_core) {
            c.msrp_ue_path = "msrps://" + net::Endpoint{c.ue_media.addr, kUeMsrpPort}.to_string() + "/ue-" + serial + ";tcp";
            c.msrp_core_path = "msrp://" + options.msrp_core->to_string() + "/core-" + serial + ";tcp";
            offer += msrp_media_section({c.ue_media.addr, kUeMsrpPort}, c.msrp_ue_path, true);
        }
        const std::string invite_text = build_invite(ue.identity, callee_uri(), c.invite_ids, offer).to_string();
        ++report.invites;

        // The P-CSCF reads it and decides.
        auto invite = SipMessage::parse(invite_text);
        if (!invite) return fail_start(std::move(owned), "INVITE: " + invite.error().message);
        auto body = sdp_body(*invite);
        if (!body) return fail_start(std::move(owned), body.error().message);
        auto sdp = keying::SessionDescription::parse(*body);
        if (!sdp) return fail_start(std::move(owned), "offer: " + sdp.error().message);
        auto media = sdp->media_info(kMediaIndex);
        if (!media) return fail_start(std::move(owned), "offer: " + media.error().message);
        c.ue_offer = std::string(*body);
        c.core_answer = build_core_answer_sdp(c.core_media, index + 1);
        if (options.msrp_core) c.core_answer += msrp_media_section(*options.msrp_core, c.msrp_core_path, false);
        c.invite = std::move(invite.value());
        // e2ae only for a UE whose capability was acknowledged, and that asks for it.
        const bool e2ae = ue.e2ae && media->e2ae == keying::E2aeIndication::requested;
        if (!e2ae) return answer_plain(std::move(owned));
        ++report.invites_e2ae;

        auto from_ue = ue_media_keys(ue.security.network_side, c.invite.call_id(), kMediaIndex,
                                     keying::Direction::ue_to_network, options.suite);
        if (!from_ue) return fail_start(std::move(owned), "UE->network key: " + from_ue.error().message);
        c.from_ue = std::move(from_ue.value());
        if (options.to_ue_key == ToUeKey::derived) {
            auto to_ue = ue_media_keys(ue.security.network_side, c.invite.call_id(), kMediaIndex,
                                       keying::Direction::network_to_ue, options.suite);
            if (!to_ue) return fail_start(std::move(owned), "network->UE key: " + to_ue.error().message);
            c.to_ue = std::move(to_ue.value());
        }
        if (options.hairpin_pairs) {
            // Calls start in index order, so call 2k's key is here when call 2k+1 starts.
            if (index % 2 == 0) {
                hairpin_keys[index] = *c.to_ue;
            } else {
                const auto partner = hairpin_keys.find(index - 1);
                if (partner == hairpin_keys.end())
                    return fail_start(std::move(owned), "hairpin partner call " + std::to_string(index - 1) + " has no key");
                c.from_ue = std::move(partner->second);
                c.paired_from_ue = true;
                hairpin_keys.erase(partner);
            }
        }

        send_aar(std::move(owned), &ue);
    }

    // --rx-only: the AAR a full call would send for these endpoints (its SDPs in Codec-Data), with
    // random keys in place of keys derived from a UE's SA.
    void start_rx_only_call(std::unique_ptr<Call> owned) {
        Call& c = *owned;
        auto from_ue = random_media_keys(key_pool, options.suite);
        if (!from_ue) return fail_start(std::move(owned), "UE->network key: " + from_ue.error().message);
        c.from_ue = std::move(from_ue.value());
        if (options.to_ue_key == ToUeKey::derived) {
            auto to_ue = random_media_keys(key_pool, options.suite);
            if (!to_ue) return fail_start(std::move(owned), "network->UE key: " + to_ue.error().message);
            c.to_ue = std::move(to_ue.value());
        }
        c.ue_offer = build_ue_offer_sdp(rx_only_ue, c.ue_media, c.index + 1, true);
        c.core_answer = build_core_answer_sdp(c.core_media, c.index + 1);
        send_aar(std::move(owned), nullptr);
    }

    // The call's AAR, sent; `ue` (none with --rx-only) gives the MSRP component's PSK.
    void send_aar(std::unique_ptr<Call> owned, const SimulatedUe* ue) {
        Call& c = *owned;
        const uint64_t index = c.index;
        AarRequest request;
        request.session_id = c.session_id;
        request.origin_host = options.identity;
        request.origin_realm = options.realm;
        request.destination_realm = destination_realm;
        request.destination_host = options.msf_identity;
        request.ue_ip = c.ue_media.addr;
        request.ue_offer_sdp = c.ue_offer;
        request.core_answer_sdp = c.core_answer;
        request.keys_in = options.keys_in;
        request.msf_vendor_id = options.msf_vendor_id;
        MediaComponent component;
        component.number = kComponent;
        component.media_index = kMediaIndex;
        component.ue = c.ue_media;
        component.core = c.core_media;
        component.from_ue = c.from_ue;
        component.to_ue = c.to_ue;
        request.components.push_back(std::move(component));
        if (options.msrp_core && ue) {
            auto psk = keying::derive_msrp_psk(ue->security.network_side,
                                               keying::CallBinding{std::string(c.invite.call_id()), kMsrpMediaIndex});
            if (!psk) return fail_start(std::move(owned), "MSRP PSK: " + psk.error().message);
            MsrpComponent msrp;
            msrp.number = kMsrpComponent;
            msrp.media_index = kMsrpMediaIndex;
            msrp.ue = {c.ue_media.addr, kUeMsrpPort};
            msrp.core = *options.msrp_core;
            msrp.psk_identity = psk->identity;
            msrp.psk.assign(psk->psk.bytes().begin(), psk->psk.bytes().end());
            request.msrp_components.push_back(std::move(msrp));
            c.msrp_psk = std::move(psk.value());
        }
        auto aar = build_aar(request);
        for (MsrpComponent& m : request.msrp_components) keying::wipe(m.psk);
        if (!aar) return fail_start(std::move(owned), "AAR: " + aar.error().message);

        const auto now = Clock::now();
        c.sent = now;
        active.emplace(index, std::move(owned));
        const auto failure = node->send_request(
            options.msf_identity, std::move(aar.value()),
            [this, index](diameter::RequestOutcome&& outcome) { on_aaa(index, std::move(outcome)); },
            static_cast<int64_t>(options.timeout_ms));
        if (failure != diameter::RequestFailure::none) {
            ++report.aar_failures[std::string(diameter::request_failure_name(failure))];
            note_error("AAR not sent: " + std::string(diameter::request_failure_name(failure)));
            end_call(index, false);
            return;
        }
        ++report.aar_sent;
        ++in_flight;
        if (!first_aar) first_aar = now;
    }

    void fail_start(std::unique_ptr<Call> call, const std::string& message) {
        call_error(*call, message);
        ++finished;
    }

    // No e2ae: the P-CSCF does not involve the MSF; the core's answer goes to the UE as it is.
    void answer_plain(std::unique_ptr<Call> call) {
        Call& c = *call;
        ++report.invites_plain;
        const std::string ok_text = build_invite_ok(c.invite, c.to_tag, {c.core_media.addr, kSipPort}, c.core_answer).to_string();
        auto ok = SipMessage::parse(ok_text);
        if (!ok) return fail_start(std::move(call), "200 OK: " + ok.error().message);
        auto body = sdp_body(*ok);
        if (!body) return fail_start(std::move(call), "200 OK: " + body.error().message);
        auto media = read_answer_for_ue(*body, kMediaIndex);
        if (!media) return fail_start(std::move(call), "200 OK: " + media.error().message);
        ++report.calls_ok;
        ++finished;
    }

    void on_aaa(uint64_t index, diameter::RequestOutcome&& outcome) {
        --in_flight;
        const auto now = Clock::now();
        auto it = active.find(index);
        if (it == active.end()) return;  // cannot happen: a call waits for its one AAA
        Call& c = *it->second;
        aar_samples.push_back(micros(now - c.sent));
        if (!outcome.ok()) {
            const std::string name(diameter::request_failure_name(outcome.failure));
            ++report.aar_failures[name];
            note_error("AAR " + c.session_id + ": no answer (" + name + (outcome.detail.empty() ? "" : ": " + outcome.detail) + ")");
            end_call(index, false);
            return pump();
        }
        auto aaa = read_aaa(*outcome.answer);
        if (!aaa) {
            call_error(c, "AAA: " + aaa.error().message);
            end_call(index, false);
            return pump();
        }
        ++report.aaa_results[result_label(aaa->result_code, aaa->experimental)];
        if (!aaa->success()) {
            note_error("AAA " + c.session_id + ": " + result_label(aaa->result_code, aaa->experimental) + " " +
                       std::string(result_name(aaa->result_code, aaa->experimental)) +
                       (aaa->error_message.empty() ? "" : ": " + aaa->error_message));
            end_call(index, false);
            return pump();
        }
        ++report.aaa_ok;
        last_aaa = now;
        if (!(options.rx_only ? check_rx_only_answer(c, *aaa) : complete_setup(c, *aaa))) {
            end_call(index, false);
        } else if (options.keep) {
            end_call(index, true);
        } else if (options.hold_ms == 0) {
            begin_bye(index);
        } else {
            hold_timers[index] = loop.add_timer(static_cast<int64_t>(options.hold_ms), [this, index] {
                hold_timers.erase(index);
                begin_bye(index);
            });
        }
        pump();
    }

    // After AAA 2001: rewrite both SDPs, answer the UE, and let the UE check its own keys.
    bool complete_setup(Call& c, const AaaResult& aaa) {
        const MsfMediaAddress* address = aaa.address_of(kComponent);
        if (!address) return call_error(c, "AAA 2001 without MSF-Media-Address for component 1");
        const bool generated = options.to_ue_key == ToUeKey::generated;
        keying::MediaKeys to_ue;
        if (generated) {
            const GeneratedToUeKey* key = aaa.to_ue_key_of(kComponent);
            if (!key) return call_error(c, "AAA 2001 has no NETWORK_TO_UE key, and the AAR carried none");
            to_ue = key->keys;
        } else {
            to_ue = *c.to_ue;
        }

        const MsrpRelay* relay = nullptr;
        if (options.msrp_core) {
            relay = aaa.msrp_relay_of(kMsrpComponent);
            if (!relay) return call_error(c, "AAA 2001 without MSF-MSRP-Relay for the MSRP component");
        }

        const CoreLegRewrite core_leg{kMediaIndex, address->core};
        auto core_offer = offer_for_core(c.ue_offer, std::span(&core_leg, 1));
        if (!core_offer) return call_error(c, core_offer.error().message);
        if (relay) {
            // The core sends its MSRP to the relay: the UE's a=path becomes the relay's core URI.
            auto rewritten = with_msrp_path(*core_offer, relay->core_path);
            if (!rewritten) return call_error(c, "offer for the core: " + rewritten.error().message);
            core_offer = std::move(rewritten);
        }
        // What the core peer would get: the MSF's core address, plain RTP, nothing of e2ae.
        auto core_view = keying::SessionDescription::parse(*core_offer);
        if (!core_view) return call_error(c, "offer for the core: " + core_view.error().message);
        auto core_media = core_view->media_info(kMediaIndex);
        if (!core_media || core_media->connection != address->core.addr || core_media->port != address->core.port ||
            core_media->proto_kind != keying::MediaProto::rtp_avp || !core_media->crypto.empty() || core_media->e2ae)
            return call_error(c, "the offer for the core does not point plain RTP at the MSF's core side");

        const AccessLegRewrite access_leg{kMediaIndex, address->access, to_ue};
        auto ue_answer = answer_for_ue(c.core_answer, std::span(&access_leg, 1));
        if (!ue_answer) return call_error(c, ue_answer.error().message);
        if (relay) {
            auto rewritten = with_msrp_path(*ue_answer, relay->access_path);
            if (!rewritten) return call_error(c, "answer for the UE: " + rewritten.error().message);
            ue_answer = std::move(rewritten);
        }
        ++report.sdp_rewritten;

        // The 200 OK goes back to the UE, which reads it.
        const std::string ok_text =
            build_invite_ok(c.invite, c.to_tag, {c.core_media.addr, kSipPort}, std::move(ue_answer.value())).to_string();
        auto ok = SipMessage::parse(ok_text);
        if (!ok) return call_error(c, "200 OK: " + ok.error().message);
        if (ok->status_code() != 200 || ok->call_id() != c.invite_ids.call_id)
            return call_error(c, "200 OK is not the answer to the UE's INVITE");
        auto body = sdp_body(*ok);
        if (!body) return call_error(c, "200 OK: " + body.error().message);
        auto media = read_answer_for_ue(*body, kMediaIndex);
        if (!media) return call_error(c, "UE: " + media.error().message);
        if (!media->secure || !media->e2ae_applied || media->remote != address->access || !media->to_ue_key)
            return call_error(c, "UE: the answer is not RTP/SAVP to the MSF's access side with a=crypto and "
                                 "a=3ge2ae:applied");

        // The UE derives its keys from its own copy of the SA: they must be the MSF's.
        const SimulatedUe& ue = ues[c.ue];
        auto ue_from = ue_media_keys(ue.security.ue_side, c.invite_ids.call_id, kMediaIndex,
                                     keying::Direction::ue_to_network, options.suite);
        if (!ue_from) return call_error(c, "UE: " + ue_from.error().message);
        // A paired UE was handed its partner's key by the benchmark instead of deriving it.
        bool agree = c.paired_from_ue || *ue_from == c.from_ue;
        if (generated) {
            agree = agree && *media->to_ue_key == to_ue;
        } else {
            auto ue_to = ue_media_keys(ue.security.ue_side, c.invite_ids.call_id, kMediaIndex,
                                       keying::Direction::network_to_ue, options.suite);
            if (!ue_to) return call_error(c, "UE: " + ue_to.error().message);
            agree = agree && *ue_to == *media->to_ue_key;
        }
        if (!agree) return call_error(c, "the UE's own keys differ from those the MSF was given");
        if (relay) {
            // The UE's PSK, from its own SA, must be what the MSF was given; it sends to the relay.
            auto ue_psk = keying::derive_msrp_psk(ue.security.ue_side, keying::CallBinding{c.invite_ids.call_id, kMsrpMediaIndex});
            if (!ue_psk || ue_psk->identity != c.msrp_psk->identity ||
                !std::equal(ue_psk->psk.bytes().begin(), ue_psk->psk.bytes().end(), c.msrp_psk->psk.bytes().begin(),
                            c.msrp_psk->psk.bytes().end()))
                return call_error(c, "the UE's own MSRP PSK differs from the one the MSF was given");
            auto answer_sdp = keying::SessionDescription::parse(*body);
            auto msrp_media = answer_sdp ? answer_sdp->media_info(kMsrpMediaIndex) : keying::Expected<keying::MediaInfo>(answer_sdp.error());
            if (!msrp_media || msrp_media->msrp_path.empty() || msrp_media->msrp_path.back() != relay->access_path)
                return call_error(c, "UE: the answer's a=path is not the MSF's MSRP relay");
        }
        ++report.ue_keys_agree;

        if (calls_out_fd >= 0) {
            CallRecord record;
            record.call_id = c.invite_ids.call_id;
            record.session_id = c.session_id;
            record.ue_user = ue.identity.user;
            record.component = kComponent;
            record.media_index = kMediaIndex;
            record.ue = c.ue_media;
            record.core = c.core_media;
            record.msf_access = address->access;
            record.msf_core = address->core;
            record.rtcp_mux = address->rtcp_mux;
            record.suite = options.suite;
            record.ue_sa = ue.security.ue_side;
            if (generated)
                record.to_ue_crypto = keying::format_crypto_value(keying::crypto_attribute_for(kAnswerCryptoTag, *media->to_ue_key));
            if (options.hairpin_pairs) record.call_index = c.index;
            if (c.paired_from_ue)
                record.from_ue_crypto = keying::format_crypto_value(keying::crypto_attribute_for(kAnswerCryptoTag, c.from_ue));
            if (relay)
                record.msrp = MsrpRecord{kMsrpComponent, kMsrpMediaIndex, c.msrp_ue_path, c.msrp_core_path,
                                         relay->access_path, relay->core_path};
            calls_out_buffer += format_call_record(record);
            calls_out_buffer += '\n';
            ++report.calls_out_written;
            // A held call is used while it is up (the UE sends media, opens its MSRP connection):
            // its record must be readable now, not at the end of the run.
            if (calls_out_buffer.size() >= kCallsOutFlushBytes || options.hold_ms > 0) flush_calls_out();
        }
        return true;
    }

    // --rx-only: no SDP to rewrite, but the AAA must still give what a P-CSCF would need.
    bool check_rx_only_answer(Call& c, const AaaResult& aaa) {
        if (!aaa.address_of(kComponent)) return call_error(c, "AAA 2001 without MSF-Media-Address for component 1");
        if (options.to_ue_key == ToUeKey::generated) {
            const GeneratedToUeKey* key = aaa.to_ue_key_of(kComponent);
            if (!key) return call_error(c, "AAA 2001 has no NETWORK_TO_UE key, and the AAR carried none");
            if (key->keys.suite != options.suite) return call_error(c, "AAA 2001's NETWORK_TO_UE key is of another suite");
        }
        return true;
    }

    void begin_bye(uint64_t index) {
        if (options.rx_only) {  // no SIP: the call ends with its STR
            pending_str.push_back(index);
            return pump();
        }
        auto it = active.find(index);
        if (it == active.end()) return;
        Call& c = *it->second;
        const SimulatedUe& ue = ues[c.ue];
        TransactionIds ids = c.invite_ids;
        ids.cseq = c.invite_ids.cseq + 1;  // RFC 3261 §12.2.1.1: one more than the INVITE's
        ids.branch += "b";
        const std::string bye_text = build_bye(ue.identity, callee_uri(), ids, c.to_tag).to_string();
        // The P-CSCF finds the call by the BYE's Call-ID.
        auto bye = SipMessage::parse(bye_text);
        if (!bye || bye->method() != "BYE" || bye->call_id() != c.invite.call_id()) {
            call_error(c, "BYE: " + (bye ? std::string("not this call's") : bye.error().message));
            end_call(index, false);
            return;
        }
        ++report.bye;
        pending_str.push_back(index);
        pump();
    }

    void send_str(uint64_t index) {
        auto it = active.find(index);
        if (it == active.end()) return;
        Call& c = *it->second;
        StrRequest request;
        request.session_id = c.session_id;
        request.origin_host = options.identity;
        request.origin_realm = options.realm;
        request.destination_realm = destination_realm;
        request.destination_host = options.msf_identity;
        request.msf_vendor_id = options.msf_vendor_id;
        const auto now = Clock::now();
        c.sent = now;
        const auto failure = node->send_request(
            options.msf_identity, build_str(request),
            [this, index](diameter::RequestOutcome&& outcome) { on_sta(index, std::move(outcome)); },
            static_cast<int64_t>(options.timeout_ms));
        if (failure != diameter::RequestFailure::none) {
            ++report.str_failures[std::string(diameter::request_failure_name(failure))];
            note_error("STR not sent: " + std::string(diameter::request_failure_name(failure)));
            end_call(index, false);
            return;
        }
        ++report.str_sent;
        ++in_flight;
        if (!first_str) first_str = now;
    }

    void on_sta(uint64_t index, diameter::RequestOutcome&& outcome) {
        --in_flight;
        const auto now = Clock::now();
        auto it = active.find(index);
        if (it == active.end()) return;
        Call& c = *it->second;
        str_samples.push_back(micros(now - c.sent));
        if (!outcome.ok()) {
            const std::string name(diameter::request_failure_name(outcome.failure));
            ++report.str_failures[name];
            note_error("STR " + c.session_id + ": no answer (" + name + (outcome.detail.empty() ? "" : ": " + outcome.detail) + ")");
            end_call(index, false);
            return pump();
        }
        auto sta = read_sta(*outcome.answer);
        if (!sta) {
            call_error(c, "STA: " + sta.error().message);
            end_call(index, false);
            return pump();
        }
        ++report.sta_results[result_label(sta->result_code, sta->experimental)];
        if (!sta->success()) {
            note_error("STA " + c.session_id + ": " + result_label(sta->result_code, sta->experimental) + " " +
                       std::string(result_name(sta->result_code, sta->experimental)) +
                       (sta->error_message.empty() ? "" : ": " + sta->error_message));
            end_call(index, false);
            return pump();
        }
        ++report.sta_ok;
        last_sta = now;
        end_call(index, true);
        pump();
    }

    // ---- the report ----

    void fill_settings() {
        report.msf = options.msf_identity + " at " + options.msf.to_string();
        report.ues = options.rx_only ? 0 : options.ues;  // --rx-only registers none
        report.calls = options.calls;
        report.key_source = std::string(key_source_choice_name(options.key_source));
        report.keys_in = options.keys_in == KeysIn::avp ? "avp" : "sdes";
        report.to_ue_key = options.to_ue_key == ToUeKey::derived ? "derived" : "generated";
        report.suite = std::string(srtp::suite_info(options.suite).name);
        report.keep = options.keep;
        report.rx_only = options.rx_only;
    }

    void finish_report(Clock::duration wall) {
        report.aar_latency = summarize_latencies(std::move(aar_samples));
        report.str_latency = summarize_latencies(std::move(str_samples));
        if (first_aar && last_aaa && *last_aaa > *first_aar) {
            report.install_window_s = seconds(*last_aaa - *first_aar);
            report.installs_per_s = static_cast<double>(report.aaa_ok) / report.install_window_s;
        }
        if (first_str && last_sta && *last_sta > *first_str) {
            report.removal_window_s = seconds(*last_sta - *first_str);
            report.removals_per_s = static_cast<double>(report.sta_ok) / report.removal_window_s;
        }
        report.wall_s = seconds(wall);
    }
};

LoadGenerator::LoadGenerator(controld::EventLoop& loop, PcscfOptions options, std::function<void(std::string_view)> log)
    : state_(std::make_unique<State>(loop, std::move(options), std::move(log))) {}

LoadGenerator::~LoadGenerator() = default;

RunReport LoadGenerator::run() {
    State& s = *state_;
    const auto start = Clock::now();
    s.fill_settings();
    if (s.open_calls_out() && (s.options.rx_only || s.register_ues()) && s.connect()) s.run_calls();
    s.disconnect();
    s.close_calls_out();
    s.finish_report(Clock::now() - start);
    return s.report;
}

}  // namespace msf::pcscf
