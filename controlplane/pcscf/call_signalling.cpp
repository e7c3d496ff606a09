#include "controlplane/pcscf/call_signalling.hpp"

namespace msf::pcscf {

using keying::ErrorCode;
using keying::Expected;
using keying::make_error;

namespace {

// RFC 8866 §5.7 connection data: "IN IP4 192.0.2.1" / "IN IP6 2001:db8::1".
std::string connection(const net::IpAddr& addr) {
    return std::string(addr.is_v6() ? "IN IP6 " : "IN IP4 ") + addr.to_string();
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

std::string build_ue_offer_sdp(const UeIdentity& ue, const net::Endpoint& media, uint64_t session_id, bool e2ae) {
    const std::string c = connection(media.addr);
    std::string sdp = "v=0\r\n";
    sdp += "o=" + ue.user + " " + std::to_string(session_id) + " 1 " + c + "\r\n";
    sdp += "s=-\r\n";
    sdp += "t=0 0\r\n";
    sdp += "m=audio " + std::to_string(media.port) + (e2ae ? " RTP/SAVP" : " RTP/AVP") + " 0 8\r\n";
    sdp += "c=" + c + "\r\n";
    sdp += "a=rtpmap:0 PCMU/8000\r\n";
    sdp += "a=rtpmap:8 PCMA/8000\r\n";
    sdp += "a=ptime:20\r\n";
    if (e2ae) sdp += "a=3ge2ae:requested\r\n";
    return sdp;
}

std::string build_core_answer_sdp(const net::Endpoint& media, uint64_t session_id) {
    const std::string c = connection(media.addr);
    std::string sdp = "v=0\r\n";
    sdp += "o=core " + std::to_string(session_id) + " 1 " + c + "\r\n";
    sdp += "s=-\r\n";
    sdp += "t=0 0\r\n";
    sdp += "m=audio " + std::to_string(media.port) + " RTP/AVP 0\r\n";
    sdp += "c=" + c + "\r\n";
    sdp += "a=rtpmap:0 PCMU/8000\r\n";
    sdp += "a=ptime:20\r\n";
    return sdp;
}

std::string msrp_media_section(const net::Endpoint& at, std::string_view path_uri, bool tls) {
    std::string m = "m=message " + std::to_string(at.port) + (tls ? " TCP/TLS/MSRP *" : " TCP/MSRP *") + "\r\n";
    m += "c=" + connection(at.addr) + "\r\n";
    m += "a=accept-types:text/plain\r\n";
    m += "a=path:" + std::string(path_uri) + "\r\n";
    return m;
}

SipMessage build_invite(const UeIdentity& ue, std::string_view callee_uri, const TransactionIds& ids,
                        std::string sdp_offer) {
    SipMessage m = SipMessage::request("INVITE", std::string(callee_uri));
    m.add_header("Via", "SIP/2.0/UDP " + ue.sip.to_string() + ";branch=" + ids.branch)
        .add_header("Max-Forwards", "70")
        .add_header("From", name_addr(ue.aor()) + ";tag=" + ids.from_tag)
        .add_header("To", name_addr(callee_uri))
        .add_header("Call-ID", ids.call_id)
        .add_header("CSeq", std::to_string(ids.cseq) + " INVITE")
        .add_header("Contact", name_addr("sip:" + ue.user + "@" + ue.sip.to_string()))
        .set_body(kSdpContentType, std::move(sdp_offer));
    return m;
}

SipMessage build_invite_ok(const SipMessage& invite, std::string_view to_tag, const net::Endpoint& contact,
                           std::string sdp_answer) {
    SipMessage ok = response_to(invite, 200, to_tag);
    ok.add_header("Contact", name_addr("sip:" + contact.to_string())).set_body(kSdpContentType, std::move(sdp_answer));
    return ok;
}

SipMessage build_bye(const UeIdentity& ue, std::string_view callee_uri, const TransactionIds& ids,
                     std::string_view to_tag) {
    SipMessage m = SipMessage::request("BYE", std::string(callee_uri));
    m.add_header("Via", "SIP/2.0/UDP " + ue.sip.to_string() + ";branch=" + ids.branch)
        .add_header("Max-Forwards", "70")
        .add_header("From", name_addr(ue.aor()) + ";tag=" + ids.from_tag)
        .add_header("To", name_addr(callee_uri) + ";tag=" + std::string(to_tag))
        .add_header("Call-ID", ids.call_id)
        .add_header("CSeq", std::to_string(ids.cseq) + " BYE");
    return m;
}

Expected<std::string_view> sdp_body(const SipMessage& message) {
    const auto type = message.header("Content-Type");
    if (!type) return make_error(ErrorCode::malformed, "SIP: no Content-Type, so no SDP");
    // media-type compares case-insensitively; parameters (";charset=...") may follow (§20.15).
    std::string base(type->substr(0, type->find(';')));
    while (!base.empty() && (base.back() == ' ' || base.back() == '\t')) base.pop_back();
    for (char& c : base) c = lower(c);
    if (base != kSdpContentType)
        return make_error(ErrorCode::malformed, "SIP: Content-Type '" + base.substr(0, 48) + "' is not application/sdp");
    if (message.body().empty()) return make_error(ErrorCode::malformed, "SIP: application/sdp with an empty body");
    return std::string_view(message.body());
}

}  // namespace msf::pcscf
