#include "controlplane/pcscf/registration.hpp"

#include <vector>

namespace msf::pcscf {

using keying::ErrorCode;
using keying::Expected;
using keying::make_error;

namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i])) return false;
    return true;
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

// Splits at `separator` outside double-quoted strings (RFC 3261 §25.1 quoted-string, with
// backslash escapes): Security-Client parameters such as d-ver="..." may hold commas.
std::vector<std::string_view> split_outside_quotes(std::string_view text, char separator) {
    std::vector<std::string_view> parts;
    bool quoted = false;
    size_t start = 0;
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (quoted && c == '\\') {
            ++i;
            continue;
        }
        if (c == '"') quoted = !quoted;
        else if (!quoted && c == separator) {
            parts.push_back(text.substr(start, i - start));
            start = i + 1;
        }
    }
    parts.push_back(text.substr(start));
    return parts;
}

keying::KeyingError sip_error(std::string message) { return make_error(ErrorCode::malformed, "SIP: " + message); }

// The URI inside "<...>" of a name-addr, or the addr-spec up to its first ';'.
std::string uri_of(std::string_view value) {
    const size_t open = value.find('<');
    const size_t close = value.find('>');
    if (open != std::string_view::npos && close != std::string_view::npos && close > open)
        return std::string(value.substr(open + 1, close - open - 1));
    return std::string(trim(value.substr(0, value.find(';'))));
}

}  // namespace

std::string format_e2ae_mechanism(SaKind key_source) {
    return std::string(kE2aeMechanism) + ";" + std::string(kE2aeKeySourceParameter) + "=" +
           std::string(sa_kind_name(key_source));
}

Expected<std::optional<SaKind>> read_e2ae_mechanism(const SipMessage& message, std::string_view header_name) {
    std::optional<SaKind> found;
    for (std::string_view field : message.headers(header_name)) {
        for (std::string_view mechanism : split_outside_quotes(field, ',')) {
            const auto parts = split_outside_quotes(mechanism, ';');
            if (!iequals(trim(parts[0]), kE2aeMechanism)) continue;
            if (found) return sip_error(std::string(header_name) + " names " + std::string(kE2aeMechanism) + " twice");
            std::optional<std::string_view> source;
            for (size_t i = 1; i < parts.size(); ++i) {
                const std::string_view param = trim(parts[i]);
                const size_t eq = param.find('=');
                if (eq == std::string_view::npos) continue;
                if (iequals(trim(param.substr(0, eq)), kE2aeKeySourceParameter)) source = trim(param.substr(eq + 1));
            }
            if (!source)
                return sip_error(std::string(header_name) + ": " + std::string(kE2aeMechanism) + " without " +
                                 std::string(kE2aeKeySourceParameter) + "=aka|tls|digest");
            const auto kind = sa_kind_from_name(*source);
            if (!kind) {
                std::string value(source->substr(0, 32));
                for (char& c : value)
                    if (static_cast<unsigned char>(c) < 0x20) c = '?';
                return sip_error(std::string(header_name) + ": " + std::string(kE2aeMechanism) + " key source '" +
                                 value + "' is not aka, tls or digest");
            }
            found = *kind;
        }
    }
    return found;
}

SipMessage build_register(const UeIdentity& ue, const TransactionIds& ids, SaKind key_source, bool announce_e2ae) {
    // RFC 3261 §10.2: Request-URI is the registrar's domain, To and From the address of record.
    SipMessage m = SipMessage::request("REGISTER", "sip:" + ue.domain);
    m.add_header("Via", "SIP/2.0/UDP " + ue.sip.to_string() + ";branch=" + ids.branch)
        .add_header("Max-Forwards", "70")
        .add_header("From", name_addr(ue.aor()) + ";tag=" + ids.from_tag)
        .add_header("To", name_addr(ue.aor()))
        .add_header("Call-ID", ids.call_id)
        .add_header("CSeq", std::to_string(ids.cseq) + " REGISTER")
        .add_header("Contact", name_addr("sip:" + ue.user + "@" + ue.sip.to_string()))
        .add_header("Expires", "600000");
    if (announce_e2ae) m.add_header("Security-Client", format_e2ae_mechanism(key_source));
    return m;
}

Expected<RegistrationDecision> decide_registration(const SipMessage& request, bool policy_acknowledges_e2ae) {
    if (!request.is_request() || request.method() != "REGISTER")
        return sip_error("expected a REGISTER, got " + (request.is_request() ? request.method() : std::string("a response")));
    auto announced = read_e2ae_mechanism(request, "Security-Client");
    if (!announced) return announced.error();
    RegistrationDecision decision;
    decision.aor = uri_of(*request.header("To"));
    decision.announced = announced.value();
    decision.acknowledged = decision.announced.has_value() && policy_acknowledges_e2ae;
    return decision;
}

SipMessage response_to(const SipMessage& request, uint16_t status_code, std::string_view to_tag) {
    SipMessage r = SipMessage::response(status_code, std::string(reason_phrase_for(status_code)));
    for (std::string_view via : request.headers("Via")) r.add_header("Via", via);
    r.add_header("From", request.header("From").value_or(""));
    std::string to(request.header("To").value_or(""));
    if (!header_parameter(to, "tag")) to += ";tag=" + std::string(to_tag);
    r.add_header("To", to).add_header("Call-ID", request.call_id()).add_header("CSeq", request.header("CSeq").value_or(""));
    return r;
}

SipMessage build_register_ok(const SipMessage& request, const RegistrationDecision& decision, std::string_view to_tag,
                             uint32_t expires_s) {
    SipMessage ok = response_to(request, 200, to_tag);
    // RFC 3261 §10.3 step 8: the 200 OK lists the current bindings with their expiry.
    for (std::string_view contact : request.headers("Contact")) {
        const size_t close = contact.find('>');
        const std::string_view binding =
            close == std::string_view::npos ? trim(contact.substr(0, contact.find(';'))) : contact.substr(0, close + 1);
        ok.add_header("Contact", std::string(binding) + ";expires=" + std::to_string(expires_s));
    }
    if (decision.acknowledged && decision.announced)
        ok.add_header("Security-Server", format_e2ae_mechanism(*decision.announced));
    return ok;
}

Expected<bool> read_register_ok(const SipMessage& response, const TransactionIds& ids, SaKind announced) {
    if (response.is_request()) return sip_error("expected the REGISTER's response, got " + response.method());
    if (response.status_code() != 200)
        return sip_error("REGISTER answered " + std::to_string(response.status_code()) + " " + response.reason_phrase());
    if (response.call_id() != ids.call_id) return sip_error("200 OK Call-ID is not the REGISTER's");
    const CSeq cseq = response.cseq();
    if (cseq.method != "REGISTER" || cseq.number != ids.cseq) return sip_error("200 OK CSeq is not the REGISTER's");
    auto acknowledged = read_e2ae_mechanism(response, "Security-Server");
    if (!acknowledged) return acknowledged.error();
    if (!acknowledged.value()) return false;
    if (*acknowledged.value() != announced)
        return sip_error("the network acknowledged e2ae with key source " + std::string(sa_kind_name(*acknowledged.value())) +
                         ", the UE announced " + std::string(sa_kind_name(announced)));
    return true;
}

}  // namespace msf::pcscf
