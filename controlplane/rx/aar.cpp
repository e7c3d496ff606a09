#include "controlplane/rx/aar.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <stdexcept>

#include "controlplane/diameter/ip_filter_rule.hpp"
#include "controlplane/keying/sdes.hpp"
#include "controlplane/keying/sdp.hpp"

namespace msf::rx {

namespace avp = diameter::avp;
using diameter::Avp;
using diameter::Message;
using diameter::ResultCode;

bool MediaPolicy::allows(srtp::Suite suite) const {
    return std::find(suites.begin(), suites.end(), suite) != suites.end();
}

bool MediaPolicy::protection_required(const std::string& origin_realm) const {
    return require_protection || std::find(require_protection_realms.begin(),
                                           require_protection_realms.end(),
                                           origin_realm) != require_protection_realms.end();
}

std::string to_string(const RxError& error) {
    std::string name;
    if (error.experimental) {
        switch (static_cast<RxExperimentalCode>(error.code)) {
            case RxExperimentalCode::invalid_service_information: name = "INVALID_SERVICE_INFORMATION"; break;
            case RxExperimentalCode::filter_restrictions: name = "FILTER_RESTRICTIONS"; break;
            case RxExperimentalCode::requested_service_not_authorized: name = "REQUESTED_SERVICE_NOT_AUTHORIZED"; break;
            case RxExperimentalCode::duplicated_af_session: name = "DUPLICATED_AF_SESSION"; break;
            case RxExperimentalCode::ip_can_session_not_available: name = "IP-CAN_SESSION_NOT_AVAILABLE"; break;
            case RxExperimentalCode::temporary_network_failure: name = "TEMPORARY_NETWORK_FAILURE"; break;
        }
    } else {
        for (const auto& info : diameter::kResultCodes)
            if (info.code == error.code) name = std::string(info.name);
    }
    if (name.empty()) name = "result";
    return name + " (" + std::to_string(error.code) + "): " + error.message;
}

namespace {

// TS 29.214 §5.3.19 Flow-Status, §5.3.12 Flow-Usage, §5.3.50 Rx-Request-Type.
constexpr uint32_t kFlowStatusRemoved = 4;
constexpr uint32_t kFlowUsageRtcp = 1;
constexpr uint32_t kRxRequestInitial = 0;
// MSF-Direction (our vendor AVP).
constexpr uint32_t kDirectionUeToNetwork = 0;
constexpr uint32_t kDirectionNetworkToUe = 1;
constexpr uint8_t kProtocolTcp = 6;

RxError invalid_service(uint32_t component, const std::string& what) {
    return RxError::rx(RxExperimentalCode::invalid_service_information,
                       "media component " + std::to_string(component) + ": " + what);
}

std::string media_type_name(uint32_t value) {
    for (const auto& v : diameter::kMediaType) {
        if (v.value != value) continue;
        std::string name(v.name);
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return name;
    }
    return "other";
}

net::IpAddr unspecified(net::Family family) {
    net::IpAddr a;
    a.family = family == net::Family::ipv6 ? net::Family::ipv6 : net::Family::ipv4;
    return a;
}

// One end of a flow as an IPFilterRule names it: an exact address and, if given, one port.
struct FlowEnd {
    net::IpAddr addr;
    uint16_t port = 0;  // 0: not given
};

FlowEnd flow_end(const diameter::FilterEndpoint& e) {
    FlowEnd end;
    const bool exact = e.kind == diameter::FilterEndpoint::Kind::address && !e.negated &&
                       (!e.prefix_length || *e.prefix_length == e.address.size() * 8);
    if (exact) end.addr = e.address;
    if (e.port_count == 1 && e.ports[0].first == e.ports[0].last) end.port = e.ports[0].first;
    return end;
}

// What one component says about where media goes, from its flows and its Codec-Data.
struct Observed {
    FlowEnd ue;
    FlowEnd remote;
    std::optional<bool> ue_mux;      // RTCP on the RTP port, as far as known
    std::optional<bool> remote_mux;
    bool tcp = false;                // a TCP flow: not SRTP (MSRP), not relayed as RTP
    bool message = false;            // an m=message section (MSRP, RFC 4975 §8.1)
    std::string ue_msrp_uri;         // the UE's own MSRP URI: last of its a=path (§8.2)
    std::string remote_msrp_uri;     // the other endpoint's
    bool ue_port_zero = false;       // the UE's m= port is 0: the stream is rejected
    std::vector<keying::CryptoAttribute> ue_crypto;      // the UE's SDP: its sending keys
    std::vector<keying::CryptoAttribute> remote_crypto;  // the other SDP: keys toward the UE
    std::vector<keying::KeyingError> crypto_errors;
};

// Flow-Descriptions of every Media-Sub-Component (TS 29.214 §5.3.8).
std::optional<RxError> read_flows(const Avp& mcd, uint32_t component,
                                  const std::optional<net::IpAddr>& ue_ip, Observed& seen) {
    // The UE's end and the other end of each flow, RTP flows first, then RTCP ones: two walks over
    // the rules validate() parsed and kept, instead of a list of them.
    const auto for_each_flow = [&](bool rtcp_pass, auto&& use) -> std::optional<RxError> {
        for (const Avp sub : mcd.find_all(avp::media_sub_component)) {
            const auto usage = sub.find(avp::flow_usage);
            const bool rtcp = usage && usage->enumerated() == kFlowUsageRtcp;
            if (rtcp_pass && !rtcp) continue;  // the first walk checked these rules already
            for (const Avp fd : sub.find_all(avp::flow_description)) {
                const diameter::IpFilterRule* rule = fd.parsed_ip_filter_rule();  // validate() parsed it
                if (rule == nullptr) {
                    RxError e = RxError::base(ResultCode::invalid_avp_value,
                                              "media component " + std::to_string(component) +
                                                  ": Flow-Description: " + fd.ip_filter_rule().error().message,
                                              fd.encode());
                    return e;
                }
                if (rtcp != rtcp_pass) continue;  // the first walk checks every rule, in order
                if (rule->protocol == kProtocolTcp) seen.tcp = true;
                FlowEnd src = flow_end(rule->source), dst = flow_end(rule->destination);
                // The UE is the end whose address is the AAR's Framed-IP-Address; otherwise "in"
                // is from the UE and "out" toward it (§5.3.8).
                bool src_is_ue = rule->direction == diameter::FilterDirection::in;
                if (ue_ip && src.addr == *ue_ip) src_is_ue = true;
                else if (ue_ip && dst.addr == *ue_ip) src_is_ue = false;
                use(src_is_ue ? src : dst, src_is_ue ? dst : src);
            }
        }
        return std::nullopt;
    };
    // RTP is the lowest port of the non-RTCP flows (Kamailio lists RTP and RTCP flows in one
    // sub-component, RTCP on port + 1).
    if (auto e = for_each_flow(false, [&](const FlowEnd& ue, const FlowEnd& remote) {
            if (seen.ue.addr.empty()) seen.ue.addr = ue.addr;
            if (seen.remote.addr.empty()) seen.remote.addr = remote.addr;
            if (ue.port && (!seen.ue.port || ue.port < seen.ue.port)) seen.ue.port = ue.port;
            if (remote.port && (!seen.remote.port || remote.port < seen.remote.port))
                seen.remote.port = remote.port;
        }))
        return e;
    return for_each_flow(true, [&](const FlowEnd& ue, const FlowEnd& remote) {
        if (seen.ue.addr.empty()) seen.ue.addr = ue.addr;
        if (seen.remote.addr.empty()) seen.remote.addr = remote.addr;
        if (ue.port && seen.ue.port) seen.ue_mux = ue.port == seen.ue.port;
        if (remote.port && seen.remote.port) seen.remote_mux = remote.port == seen.remote.port;
    });
}

// Codec-Data (TS 29.214 §5.3.7; Kamailio ims_qos: "uplink\noffer\n<m-section>").
std::optional<RxError> read_codec_data(const Avp& mcd, uint32_t component, Observed& seen) {
    std::optional<bool> ue_mux_sdp, remote_mux_sdp;
    for (const Avp cd : mcd.find_all(avp::codec_data)) {
        auto parsed = keying::codec_data_info(cd.text());
        if (!parsed) return invalid_service(component, "Codec-Data: " + parsed.error().message);
        keying::MediaInfo& info = parsed->media;
        const bool from_ue = parsed->direction == keying::LinkDirection::uplink;
        FlowEnd& end = from_ue ? seen.ue : seen.remote;
        if (end.addr.empty() && info.connection) end.addr = *info.connection;
        if (!end.port) end.port = info.port;
        if (from_ue && info.port == 0) seen.ue_port_zero = true;
        (from_ue ? ue_mux_sdp : remote_mux_sdp) = info.rtcp_mux;
        if (info.media == "message") seen.message = true;
        if (!info.msrp_path.empty()) (from_ue ? seen.ue_msrp_uri : seen.remote_msrp_uri) = info.msrp_path.back();
        auto& keys = from_ue ? seen.ue_crypto : seen.remote_crypto;
        for (auto& c : info.crypto) keys.push_back(std::move(c));
        for (auto& e : info.crypto_errors) seen.crypto_errors.push_back(std::move(e));
    }
    // RFC 5761 §5.1.1: RTCP is multiplexed only if both offer and answer ask for it.
    if (ue_mux_sdp && remote_mux_sdp) {
        const bool both = *ue_mux_sdp && *remote_mux_sdp;
        if (!seen.ue_mux) seen.ue_mux = both;
        if (!seen.remote_mux) seen.remote_mux = both;
    }
    return std::nullopt;
}

std::optional<srtp::Suite> suite_named(std::string_view name) {
    for (const auto& info : srtp::kSuites)
        if (info.name == name) return info.suite;
    return std::nullopt;
}

void wipe(api::KeySpec& spec) {
    api::wipe_bytes(spec.master_key);
    api::wipe_bytes(spec.master_salt);
}

RxResult<api::KeySpec> key_from_crypto(const keying::CryptoAttribute& crypto, uint32_t component) {
    auto keys = keying::media_keys(crypto, 0);
    if (!keys) return invalid_service(component, "a=crypto: " + keys.error().message);
    api::KeySpec spec;
    spec.suite = keys->suite;
    spec.master_key = keys->master_key;
    spec.master_salt = keys->master_salt;
    const keying::SdesKey& first = crypto.keys.front();
    if (first.mki) {
        if (first.mki->length > srtp::kMaxMkiLen)
            return invalid_service(component, "a=crypto MKI of " + std::to_string(first.mki->length) +
                                                  " bytes; at most " + std::to_string(srtp::kMaxMkiLen));
        spec.mki = first.mki->bytes();
    }
    if (first.lifetime) spec.lifetime = first.lifetime->packets;
    return spec;
}

// One MSF-Media-Protection group: keys as fields or as a whole a=crypto value.
RxResult<api::KeySpec> key_from_protection(const Avp& group, uint32_t component) {
    if (auto sdes = group.find(avp::msf_sdes_crypto)) {
        auto crypto = keying::parse_crypto_attribute(sdes->text());
        if (!crypto) return invalid_service(component, "MSF-SDES-Crypto: " + crypto.error().message);
        return key_from_crypto(*crypto, component);
    }
    const auto suite_avp = group.find(avp::msf_crypto_suite);
    const auto key_avp = group.find(avp::msf_master_key);
    const auto salt_avp = group.find(avp::msf_master_salt);
    if (!suite_avp || !key_avp || !salt_avp)
        return invalid_service(component, "MSF-Media-Protection needs MSF-SDES-Crypto, or "
                                          "MSF-Crypto-Suite, MSF-Master-Key and MSF-Master-Salt");
    const auto suite = suite_named(suite_avp->text());
    if (!suite) {
        return RxError::rx(RxExperimentalCode::requested_service_not_authorized,
                           "media component " + std::to_string(component) + ": suite '" +
                               std::string(suite_avp->text()) + "' is not implemented");
    }
    const auto& info = srtp::suite_info(*suite);
    api::KeySpec spec;
    spec.suite = *suite;
    spec.master_key.assign(key_avp->data().begin(), key_avp->data().end());
    spec.master_salt.assign(salt_avp->data().begin(), salt_avp->data().end());
    if (spec.master_key.size() != info.key_len || spec.master_salt.size() != info.salt_len) {
        const size_t key_len = spec.master_key.size(), salt_len = spec.master_salt.size();
        wipe(spec);
        return invalid_service(component, std::string(info.name) + " needs a " +
                                              std::to_string(info.key_len) + "-byte key and a " +
                                              std::to_string(info.salt_len) + "-byte salt, got " +
                                              std::to_string(key_len) + " and " + std::to_string(salt_len));
    }
    if (auto mki = group.find(avp::msf_mki)) {
        if (mki->data().empty() || mki->data().size() > srtp::kMaxMkiLen) {
            wipe(spec);
            return invalid_service(component, "MSF-MKI must be 1.." + std::to_string(srtp::kMaxMkiLen) + " bytes");
        }
        spec.mki.assign(mki->data().begin(), mki->data().end());
    }
    if (auto lifetime = group.find(avp::msf_key_lifetime)) spec.lifetime = lifetime->unsigned64().value_or(0);
    return spec;
}

struct Keys {
    std::optional<api::KeySpec> from_ue;
    std::optional<api::KeySpec> to_ue;
};

std::optional<RxError> read_protection(const Avp& group, uint32_t component, Keys& keys) {
    const auto direction = group.find(avp::msf_direction);
    const uint32_t dir = direction ? direction->enumerated().value_or(99) : 99;
    if (dir != kDirectionUeToNetwork && dir != kDirectionNetworkToUe)
        return invalid_service(component, "MSF-Media-Protection without a valid MSF-Direction");
    auto spec = key_from_protection(group, component);
    if (!spec) return spec.error();
    (dir == kDirectionUeToNetwork ? keys.from_ue : keys.to_ue) = std::move(spec.value());
    return std::nullopt;
}

// Keys for one component: vendor AVPs first, then Codec-Data's a=crypto lines.
std::optional<RxError> choose_keys(const Message& aar, const Avp& mcd, uint32_t component,
                                   const Observed& seen, const MediaPolicy& policy, Keys& keys) {
    for (const Avp group : aar.find_all(avp::msf_media_protection)) {
        const auto number = group.find(avp::media_component_number);
        if (number && number->unsigned32() != component) continue;
        if (auto e = read_protection(group, component, keys)) return e;
    }
    for (const Avp group : mcd.find_all(avp::msf_media_protection))
        if (auto e = read_protection(group, component, keys)) return e;

    const auto allowed = [&](const keying::CryptoAttribute& c) { return policy.allows(c.suite); };
    const keying::CryptoAttribute* to_ue = nullptr;
    const keying::CryptoAttribute* from_ue = nullptr;
    if (!keys.to_ue) {
        auto it = std::find_if(seen.remote_crypto.begin(), seen.remote_crypto.end(), allowed);
        if (it != seen.remote_crypto.end()) to_ue = &*it;
    }
    if (!keys.from_ue) {
        // The answer's a=crypto names the offer's tag it accepted (RFC 4568 §7.1.3): prefer it.
        const auto match = [&](const keying::CryptoAttribute& c) {
            return allowed(c) && to_ue && c.tag == to_ue->tag && c.suite == to_ue->suite;
        };
        auto it = std::find_if(seen.ue_crypto.begin(), seen.ue_crypto.end(), match);
        if (it == seen.ue_crypto.end()) it = std::find_if(seen.ue_crypto.begin(), seen.ue_crypto.end(), allowed);
        if (it != seen.ue_crypto.end()) from_ue = &*it;
    }
    if (from_ue) {
        auto spec = key_from_crypto(*from_ue, component);
        if (!spec) return spec.error();
        keys.from_ue = std::move(spec.value());
    }
    if (to_ue) {
        auto spec = key_from_crypto(*to_ue, component);
        if (!spec) return spec.error();
        keys.to_ue = std::move(spec.value());
    }
    for (const auto* k : {&keys.from_ue, &keys.to_ue}) {
        if (*k && !policy.allows((*k)->suite)) {
            return RxError::rx(RxExperimentalCode::requested_service_not_authorized,
                               "media component " + std::to_string(component) + ": suite " +
                                   std::string(srtp::suite_info((*k)->suite).name) +
                                   " is not allowed by policy");
        }
    }
    if (!keys.from_ue && (!seen.ue_crypto.empty() || !seen.crypto_errors.empty())) {
        std::string why = seen.ue_crypto.empty() ? seen.crypto_errors.front().message
                                                 : "no a=crypto suite allowed by policy";
        return RxError::rx(RxExperimentalCode::requested_service_not_authorized,
                           "media component " + std::to_string(component) + ": " + why);
    }
    return std::nullopt;
}

api::KeySpec generated_key(srtp::Suite suite) {
    const auto& info = srtp::suite_info(suite);
    api::KeySpec spec;
    spec.suite = suite;
    spec.master_key.resize(info.key_len);
    spec.master_salt.resize(info.salt_len);
    if (RAND_bytes(spec.master_key.data(), static_cast<int>(spec.master_key.size())) != 1 ||
        RAND_bytes(spec.master_salt.data(), static_cast<int>(spec.master_salt.size())) != 1) {
        // OpenSSL's CSPRNG failing is not something to carry on from with weak keys.
        throw std::runtime_error("RAND_bytes failed: cannot generate an SRTP master key");
    }
    return spec;
}

constexpr uint32_t kMediaTypeMessage = 6;  // TS 29.214 §5.3.19

// The MSF-MSRP-Protection for this component: inside its Media-Component-Description, else at
// the top of the AAR naming it, else at the top naming none.
std::optional<Avp> msrp_protection_for(const Message& aar, const Avp& mcd, uint32_t component) {
    if (auto inside = mcd.find(avp::msf_msrp_protection)) return inside;
    std::optional<Avp> unnumbered;
    for (const Avp p : aar.find_all(avp::msf_msrp_protection)) {
        const auto number = p.find(avp::media_component_number);
        if (!number) {
            if (!unnumbered) unnumbered = p;
        } else if (number->unsigned32() == component) {
            return p;
        }
    }
    return unnumbered;
}

// A fresh path segment for the gateway's URIs (RFC 4975 §9 session-id: unreserved characters).
std::string random_session_part() {
    std::array<uint8_t, 12> bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
        throw std::runtime_error("RAND_bytes failed: cannot name an MSRP session");
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (uint8_t b : bytes) {
        out += kHex[b >> 4];
        out += kHex[b & 15];
    }
    return out;
}

// An MSRP component: relayed by msf-msrpd with the PSK the P-CSCF derived from the UE's SA.
// nullopt when planned (or left out: `relayed` false), else why it is refused.
std::optional<RxError> plan_message(const Message& aar, const Avp& mcd, uint32_t number, const Observed& seen,
                                    const std::optional<net::IpAddr>& ue_ip, bool required, const MediaPolicy& policy,
                                    sessions::ControlSession& desired, bool& relayed) {
    relayed = false;
    auto current = std::find_if(desired.messages.begin(), desired.messages.end(),
                                [&](const sessions::MessageStream& m) { return m.component_number == number; });
    const bool updating = current != desired.messages.end();
    const std::optional<Avp> protection = msrp_protection_for(aar, mcd, number);
    if (!policy.msrp.enabled) {
        if (protection || required)
            return RxError::rx(RxExperimentalCode::requested_service_not_authorized,
                               "media component " + std::to_string(number) +
                                   ": MSRP, and this MSF has no MSRP relay (msrp.enabled is false)");
        return std::nullopt;
    }
    if (!protection && !updating) {
        if (required)
            return RxError::rx(RxExperimentalCode::requested_service_not_authorized,
                               "media component " + std::to_string(number) +
                                   ": MSRP without MSF-MSRP-Protection (TLS PSK), and policy requires "
                                   "media protection");
        return std::nullopt;
    }
    sessions::MessageStream message;
    if (updating) message = *current;
    message.component_number = number;
    if (protection) {
        const auto identity = protection->find(avp::msf_tls_psk_identity);
        const auto psk = protection->find(avp::msf_tls_psk);
        const std::string_view id_text = identity ? identity->text() : std::string_view();
        const std::span<const uint8_t> psk_bytes = psk ? psk->data() : std::span<const uint8_t>();
        if (id_text.empty() || id_text.size() > sessions::kMaxPskIdentityLen)
            return RxError::base(ResultCode::invalid_avp_value,
                                 "media component " + std::to_string(number) + ": MSF-TLS-PSK-Identity must be 1.." +
                                     std::to_string(sessions::kMaxPskIdentityLen) + " bytes",
                                 identity ? identity->encode() : std::vector<uint8_t>{});
        if (psk_bytes.size() < sessions::kMinPskLen || psk_bytes.size() > sessions::kMaxPskLen)
            return RxError::base(ResultCode::invalid_avp_value,
                                 "media component " + std::to_string(number) + ": MSF-TLS-PSK must be " +
                                     std::to_string(sessions::kMinPskLen) + ".." +
                                     std::to_string(sessions::kMaxPskLen) + " bytes");
        message.psk_identity = std::string(id_text);
        api::wipe_bytes(message.psk);
        message.psk.assign(psk_bytes.begin(), psk_bytes.end());
    }
    if (!seen.ue_msrp_uri.empty()) message.ue_path = seen.ue_msrp_uri;
    if (!seen.remote_msrp_uri.empty()) message.core_path = seen.remote_msrp_uri;
    for (const auto& [uri, side] : {std::pair{&message.ue_path, "UE's (uplink)"},
                                    std::pair{&message.core_path, "remote (downlink)"}}) {
        if (uri->empty())
            return invalid_service(number, std::string("MSRP without the ") + side + " a=path in Codec-Data");
        if (uri->size() > sessions::kMaxMsrpUriLen)
            return invalid_service(number, std::string("the ") + side + " a=path URI is longer than " +
                                               std::to_string(sessions::kMaxMsrpUriLen) + " bytes");
    }
    if (!updating) {
        const std::string part = random_session_part();
        message.gw_access_path = "msrps://" + policy.msrp.access_authority + "/" + part + ";tcp";
        message.gw_core_path = "msrp://" + policy.msrp.core_authority + "/" + part + ";tcp";
    }
    const std::optional<net::IpAddr> ue = ue_ip ? ue_ip : seen.ue.addr.empty() ? std::nullopt
                                                                              : std::optional<net::IpAddr>(seen.ue.addr);
    if (ue) message.ue_allow = ue->to_string();
    if (updating) *current = std::move(message);
    else desired.messages.push_back(std::move(message));
    relayed = true;
    return std::nullopt;
}

}  // namespace

RxResult<AarPlan> plan_aar(const Message& aar, const sessions::ControlSession* existing,
                           const MediaPolicy& policy) {
    AarPlan plan;
    plan.initial = existing == nullptr;
    sessions::ControlSession& desired = plan.desired;
    if (existing) {
        desired = *existing;
    } else {
        desired.session_id = std::string(aar.session_id());
    }
    if (auto host = aar.find(avp::origin_host)) desired.peer = std::string(host->text());
    if (auto realm = aar.find(avp::origin_realm)) desired.realm = std::string(realm->text());
    if (existing) {
        const auto type = aar.find(avp::rx_request_type);
        if (type && type->enumerated() == kRxRequestInitial && existing->peer != desired.peer) {
            return RxError::rx(RxExperimentalCode::duplicated_af_session,
                               "Session-Id is in use by peer " + existing->peer);
        }
    }

    std::optional<net::IpAddr> ue_ip;
    if (auto framed = aar.find(avp::framed_ip_address)) ue_ip = framed->address();
    const bool required = policy.protection_required(desired.realm);

    for (const Avp mcd : aar.find_all(avp::media_component_description)) {
        const uint32_t number = mcd.find(avp::media_component_number)->unsigned32().value_or(0);
        auto current = std::find_if(desired.streams.begin(), desired.streams.end(),
                                    [&](const sessions::MediaStream& s) { return s.component_number == number; });
        const auto status = mcd.find(avp::flow_status);
        if (status && status->enumerated() == kFlowStatusRemoved) {
            if (current != desired.streams.end()) {
                api::wipe_keys(current->spec);
                desired.streams.erase(current);
            }
            std::erase_if(desired.messages, [&](sessions::MessageStream& m) {
                if (m.component_number != number) return false;
                api::wipe_bytes(m.psk);
                return true;
            });
            continue;
        }

        // Codec-Data first: the UE's own SDP names its address, which tells the UE's end of
        // each Flow-Description apart when the AAR has no Framed-IP-Address. Flows win where
        // both say something; Codec-Data fills in the rest.
        Observed seen, sdp;
        if (auto e = read_codec_data(mcd, number, sdp)) return *e;
        const std::optional<net::IpAddr> ue_hint =
            ue_ip ? ue_ip : sdp.ue.addr.empty() ? std::nullopt : std::optional<net::IpAddr>(sdp.ue.addr);
        if (auto e = read_flows(mcd, number, ue_hint, seen)) return *e;
        for (auto [end, from] : {std::pair{&seen.ue, &sdp.ue}, std::pair{&seen.remote, &sdp.remote}}) {
            if (end->addr.empty()) end->addr = from->addr;
            if (!end->port) end->port = from->port;
        }
        if (!seen.ue_mux) seen.ue_mux = sdp.ue_mux;
        if (!seen.remote_mux) seen.remote_mux = sdp.remote_mux;
        seen.ue_port_zero = sdp.ue_port_zero;
        seen.ue_crypto = std::move(sdp.ue_crypto);
        seen.remote_crypto = std::move(sdp.remote_crypto);
        seen.crypto_errors = std::move(sdp.crypto_errors);
        seen.message = sdp.message;
        seen.ue_msrp_uri = std::move(sdp.ue_msrp_uri);
        seen.remote_msrp_uri = std::move(sdp.remote_msrp_uri);
        const auto type = mcd.find(avp::media_type);
        const bool msrp = seen.message || (type && type->enumerated() == kMediaTypeMessage);
        if (msrp && !seen.ue_port_zero && current == desired.streams.end()) {
            bool relayed = false;
            if (auto e = plan_message(aar, mcd, number, seen, ue_ip, required, policy, desired, relayed)) return *e;
            if (!relayed) plan.not_relayed.push_back(number);
            continue;
        }
        if (seen.tcp || seen.ue_port_zero) {
            plan.not_relayed.push_back(number);
            continue;
        }
        Keys keys;
        if (auto e = choose_keys(aar, mcd, number, seen, policy, keys)) return *e;

        const bool updating = current != desired.streams.end();
        if (!updating && !keys.from_ue) {
            if (required) {
                return RxError::rx(RxExperimentalCode::requested_service_not_authorized,
                                   "media component " + std::to_string(number) +
                                       ": no SRTP key (a=crypto or MSF-Media-Protection) and "
                                       "policy requires media protection");
            }
            plan.not_relayed.push_back(number);
            continue;
        }

        sessions::MediaStream stream;
        if (updating) stream = *current;
        stream.component_number = number;
        if (auto type = mcd.find(avp::media_type)) stream.media_type = media_type_name(type->enumerated().value_or(0xffffffff));
        else if (stream.media_type.empty()) stream.media_type = "audio";

        api::SessionSpec& spec = stream.spec;
        if (!updating) {
            spec.replay_window = policy.replay_window;
            spec.inactivity_timeout_ms = policy.inactivity_timeout_ms;
            // The access leg latches the UE (NAT in access networks); the UE's address family
            // picks the MSF's access address.
            const net::Family ue_family = !seen.ue.addr.empty() ? seen.ue.addr.family
                                          : !seen.remote.addr.empty() ? seen.remote.addr.family
                                                                       : net::Family::ipv4;
            spec.access.local = net::Endpoint{unspecified(ue_family), 0};
        }
        if (!seen.remote.addr.empty() && seen.remote.port) {
            spec.core.remote = net::Endpoint{seen.remote.addr, seen.remote.port};
            if (!updating || spec.core.local.addr.family != seen.remote.addr.family)
                spec.core.local = net::Endpoint{unspecified(seen.remote.addr.family), 0};
        } else if (!updating) {
            return invalid_service(number, "no core-side endpoint (address and port) in its "
                                           "Flow-Descriptions or Codec-Data");
        }
        bool mux = spec.access.rtcp_mux;
        switch (policy.rtcp_mux) {
            case RtcpMuxPolicy::always: mux = true; break;
            case RtcpMuxPolicy::never: mux = false; break;
            case RtcpMuxPolicy::from_request:
                if (seen.ue_mux || seen.remote_mux) {
                    const bool ue = seen.ue_mux ? *seen.ue_mux : *seen.remote_mux;
                    const bool remote = seen.remote_mux ? *seen.remote_mux : ue;
                    mux = ue && remote;
                }
                break;
        }
        spec.access.rtcp_mux = mux;
        spec.core.rtcp_mux = mux;

        if (keys.from_ue) {
            wipe(spec.from_ue);
            spec.from_ue = std::move(*keys.from_ue);
        }
        if (keys.to_ue) {
            wipe(spec.to_ue);
            spec.to_ue = std::move(*keys.to_ue);
            stream.to_ue_key_generated = false;
        } else if (!updating) {
            if (!policy.generate_to_ue_key) {
                return invalid_service(number, "no network-to-UE key, and the MSF is configured "
                                               "not to generate one");
            }
            const srtp::Suite suite = policy.allows(spec.from_ue.suite) ? spec.from_ue.suite : policy.default_suite;
            spec.to_ue = generated_key(suite);
            stream.to_ue_key_generated = true;
        }
        if (updating) *current = std::move(stream);
        else desired.streams.push_back(std::move(stream));
    }
    std::sort(desired.streams.begin(), desired.streams.end(),
              [](const auto& a, const auto& b) { return a.component_number < b.component_number; });
    std::sort(desired.messages.begin(), desired.messages.end(),
              [](const auto& a, const auto& b) { return a.component_number < b.component_number; });
    if (desired.streams.empty() && desired.messages.empty() && plan.initial && plan.not_relayed.empty())
        return RxError::base(ResultCode::missing_avp, "AAR has no Media-Component-Description");
    return plan;
}

}  // namespace msf::rx
