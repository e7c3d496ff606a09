#include "controlplane/diameter/peer_capabilities.hpp"

#include <algorithm>

namespace msf::diameter {

namespace {

template <class T>
void add_bounded(std::vector<T>& list, const T& value) {
    if (list.size() < kMaxAdvertised && std::find(list.begin(), list.end(), value) == list.end())
        list.push_back(value);
}

void add_application(PeerCapabilities& caps, const Avp& avp, uint32_t vendor_id) {
    if (auto id = avp.unsigned32()) add_bounded(caps.applications, Application{*id, vendor_id});
}

// The AVPs every CER and CEA of ours carries after Origin-Host and Origin-Realm (§5.3.1, §5.3.2).
void add_local(Message& m, const LocalCapabilities& local, const net::IpAddr& local_address) {
    if (!local.host_addresses.empty()) {
        for (const net::IpAddr& address : local.host_addresses) m.add(avp::host_ip_address, address);
    } else if (!local_address.empty()) {
        m.add(avp::host_ip_address, local_address);
    }
    m.add(avp::vendor_id, local.vendor_id).add(avp::product_name, local.product_name);
    m.add(avp::origin_state_id, local.origin_state_id);
}

void add_applications(Message& m, const LocalCapabilities& local) {
    for (uint32_t vendor : local.supported_vendor_ids) m.add(avp::supported_vendor_id, vendor);
    for (const Application& application : local.auth_applications) {
        // Both forms: peers that only look at one of them (older cdp, freeDiameter's default
        // dictionary) find it.
        m.add(avp::auth_application_id, application.id);
        if (application.vendor_id != 0) {
            m.add_group(avp::vendor_specific_application_id)
                .add(avp::vendor_id, application.vendor_id)
                .add(avp::auth_application_id, application.id);
        }
    }
    if (local.firmware_revision != 0) m.add(avp::firmware_revision, local.firmware_revision);
}

}  // namespace

PeerCapabilities read_capabilities(const Message& m) {
    PeerCapabilities caps;
    if (auto a = m.find(avp::origin_host)) caps.origin_host = a->text();
    if (auto a = m.find(avp::origin_realm)) caps.origin_realm = a->text();
    if (auto a = m.find(avp::vendor_id)) caps.vendor_id = a->unsigned32().value_or(0);
    if (auto a = m.find(avp::product_name)) caps.product_name = a->text();
    if (auto a = m.find(avp::origin_state_id)) caps.origin_state_id = a->unsigned32();
    if (auto a = m.find(avp::firmware_revision)) caps.firmware_revision = a->unsigned32();
    for (const Avp a : m.find_all(avp::host_ip_address))
        if (auto address = a.address()) add_bounded(caps.host_addresses, *address);
    for (const Avp a : m.find_all(avp::supported_vendor_id))
        if (auto id = a.unsigned32()) add_bounded(caps.supported_vendor_ids, *id);
    for (const Avp a : m.find_all(avp::auth_application_id)) add_application(caps, a, 0);
    for (const Avp a : m.find_all(avp::acct_application_id)) add_application(caps, a, 0);
    for (const Avp group : m.find_all(avp::vendor_specific_application_id)) {
        // §6.11: one Vendor-Id (RFC 3588 allowed several; the first names the vendor).
        uint32_t vendor = 0;
        if (auto v = group.find(avp::vendor_id)) vendor = v->unsigned32().value_or(0);
        if (auto a = group.find(avp::auth_application_id)) add_application(caps, *a, vendor);
        if (auto a = group.find(avp::acct_application_id)) add_application(caps, *a, vendor);
    }
    for (const Avp a : m.find_all(avp::inband_security_id))
        if (auto id = a.unsigned32()) add_bounded(caps.inband_security_ids, *id);
    return caps;
}

Message make_cer(const LocalCapabilities& local, const net::IpAddr& local_address, uint32_t msf_vendor_id) {
    Message cer = Message::request(cmd::cer, msf_vendor_id);
    cer.add(avp::origin_host, local.origin_host).add(avp::origin_realm, local.origin_realm);
    add_local(cer, local, local_address);
    add_applications(cer, local);
    return cer;
}

Message make_cea(const Message& cer, ResultCode result, const LocalCapabilities& local,
                 const net::IpAddr& local_address, std::string_view error_message) {
    if (result != ResultCode::success) {
        Error error;
        error.result_code = result;
        error.message = std::string(error_message);
        Message cea = error_answer(cer, error, local.origin_host, local.origin_realm);
        if (!cea.is_error()) complete_error_cea(cea, local, local_address);
        return cea;
    }
    Message cea = Message::answer_to(cer);
    cea.add(avp::result_code, static_cast<uint32_t>(result))
        .add(avp::origin_host, local.origin_host)
        .add(avp::origin_realm, local.origin_realm);
    add_local(cea, local, local_address);
    add_applications(cea, local);
    return cea;
}

void complete_error_cea(Message& cea, const LocalCapabilities& local, const net::IpAddr& local_address) {
    add_local(cea, local, local_address);
}

bool advertises(const PeerCapabilities& peer, uint32_t application) {
    return std::any_of(peer.applications.begin(), peer.applications.end(), [&](const Application& a) {
        return a.id == application || a.id == app::relay;
    });
}

std::optional<CapabilityMismatch> check_capabilities(const PeerCapabilities& peer, const LocalCapabilities& local) {
    const bool common = std::any_of(local.auth_applications.begin(), local.auth_applications.end(),
                                    [&](const Application& a) { return advertises(peer, a.id); });
    if (!common) {
        std::string listed;
        for (const Application& a : peer.applications)
            listed += (listed.empty() ? "" : ", ") + std::to_string(a.id);
        return CapabilityMismatch{ResultCode::no_common_application,
                                  "no common application (it advertises: " +
                                      (listed.empty() ? std::string("none") : listed) + ")"};
    }
    if (!peer.inband_security_ids.empty() &&
        std::find(peer.inband_security_ids.begin(), peer.inband_security_ids.end(), 0u) ==
            peer.inband_security_ids.end())
        return CapabilityMismatch{ResultCode::no_common_security,
                                  "it offers only in-band TLS (Inband-Security-Id), not supported"};
    return std::nullopt;
}

}  // namespace msf::diameter
