#include "controlplane/pcscf/call_record.hpp"

#include <nlohmann/json.hpp>

#include "controlplane/keying/sdes.hpp"
#include "controlplane/pcscf/ue_security.hpp"
#include "dataplane/tools/cli_values.hpp"

namespace msf::pcscf {

using keying::ErrorCode;
using keying::Expected;
using keying::make_error;
using Json = nlohmann::json;

namespace {

constexpr size_t kMaxTextField = 1024;  // Call-ID, Session-Id, names, passwords

std::string hex(std::span<const uint8_t> bytes) { return tools::to_hex(bytes); }

// "\"name\"" without control characters, appended piecewise (GCC 12 -Wrestrict false positive on "\"" + std::string).
std::string in_quotes(std::string_view name) {
    std::string out;
    out += '"';
    for (const char c : name) out += static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? '?' : c;
    out += '"';
    return out;
}

keying::KeyingError bad(std::string_view field, const std::string& why) {
    return make_error(ErrorCode::malformed, "call record: " + std::string(field) + ": " + why);
}

Json sa_json(const keying::SecurityAssociation& sa) {
    struct Visitor {
        Json operator()(const keying::AkaKeys& k) const {
            return {{"source", "aka"}, {"ck", hex(k.ck.bytes())}, {"ik", hex(k.ik.bytes())}};
        }
        Json operator()(const keying::TlsExporter& k) const {
            return {{"source", "tls"}, {"label", keying::kTlsExporterLabel}, {"exporter", hex(k.secret.bytes())}};
        }
        Json operator()(const keying::TlsMasterSecret& k) const {
            return {{"source", "tls-master"}, {"master_secret", hex(k.secret.bytes())}};
        }
        Json operator()(const keying::DigestHA1& k) const {
            return {{"source", "digest-ha1"},
                    {"algorithm", keying::digest_algorithm_name(k.algorithm)},
                    {"ha1", hex(k.ha1.bytes())}};
        }
        Json operator()(const keying::DigestPassword& k) const {
            const auto p = k.password.bytes();
            return {{"source", "digest"},
                    {"username", k.username},
                    {"realm", k.realm},
                    {"password", std::string(p.begin(), p.end())},
                    {"algorithm", keying::digest_algorithm_name(k.algorithm)}};
        }
    };
    return std::visit(Visitor{}, sa);
}

// A string member of `object`, at most kMaxTextField bytes.
Expected<std::string> text_field(const Json& object, std::string_view name, std::string_view where) {
    const auto it = object.find(name);
    if (it == object.end()) return bad(where, "no " + in_quotes(name));
    if (!it->is_string()) return bad(where, in_quotes(name) + " is not a string");
    const auto& text = it->get_ref<const std::string&>();
    if (text.size() > kMaxTextField)
        return bad(where, in_quotes(name) + " is longer than " + std::to_string(kMaxTextField) + " bytes");
    return text;
}

Expected<keying::SecretBytes> hex_field(const Json& object, std::string_view name, size_t min_len, size_t max_len) {
    auto text = text_field(object, name, "ue_sa");
    if (!text) return text.error();
    const auto bytes = tools::parse_hex(*text, max_len);
    if (!bytes.ok()) return bad(std::string("ue_sa.") + std::string(name), bytes.error());
    if (bytes.value().size() < min_len)
        return bad(std::string("ue_sa.") + std::string(name),
                   std::to_string(bytes.value().size()) + " bytes, needs " +
                       (min_len == max_len ? std::to_string(min_len) : std::to_string(min_len) + ".." + std::to_string(max_len)));
    keying::SecretBytes out{std::span<const uint8_t>(bytes.value())};
    auto copy = bytes.value();
    keying::wipe(copy);
    return out;
}

Expected<keying::DigestAlgorithm> algorithm_field(const Json& object) {
    auto name = text_field(object, "algorithm", "ue_sa");
    if (!name) return name.error();
    auto algorithm = keying::digest_algorithm_from_name(*name);
    if (!algorithm) return bad("ue_sa.algorithm", algorithm.error().message);
    return algorithm.value();
}

Expected<keying::SecurityAssociation> parse_sa(const Json& sa) {
    if (!sa.is_object()) return bad("ue_sa", "not an object");
    auto source = text_field(sa, "source", "ue_sa");
    if (!source) return source.error();
    if (*source == "aka") {
        // TS 33.203 §6.1: 128-bit CK and IK.
        auto ck = hex_field(sa, "ck", 16, 16);
        if (!ck) return ck.error();
        auto ik = hex_field(sa, "ik", 16, 16);
        if (!ik) return ik.error();
        return keying::SecurityAssociation(keying::AkaKeys{std::move(ck.value()), std::move(ik.value())});
    }
    if (*source == "tls") {
        auto label = text_field(sa, "label", "ue_sa");
        if (!label) return label.error();
        if (*label != keying::kTlsExporterLabel)
            return bad("ue_sa.label", "not " + std::string(keying::kTlsExporterLabel));
        auto exporter = hex_field(sa, "exporter", 16, 255);  // RFC 5705 lengths keying accepts
        if (!exporter) return exporter.error();
        return keying::SecurityAssociation(keying::TlsExporter{std::move(exporter.value())});
    }
    if (*source == "tls-master") {
        auto secret = hex_field(sa, "master_secret", keying::kTlsMasterSecretLen, keying::kTlsMasterSecretLen);
        if (!secret) return secret.error();
        return keying::SecurityAssociation(keying::TlsMasterSecret{std::move(secret.value())});
    }
    if (*source == "digest") {
        auto username = text_field(sa, "username", "ue_sa");
        auto realm = text_field(sa, "realm", "ue_sa");
        auto password = text_field(sa, "password", "ue_sa");
        if (!username) return username.error();
        if (!realm) return realm.error();
        if (!password) return password.error();
        auto algorithm = algorithm_field(sa);
        if (!algorithm) return algorithm.error();
        return keying::SecurityAssociation(keying::DigestPassword{
            std::move(username.value()), std::move(realm.value()), keying::SecretBytes(std::string_view(*password)),
            algorithm.value()});
    }
    if (*source == "digest-ha1") {
        auto algorithm = algorithm_field(sa);
        if (!algorithm) return algorithm.error();
        const size_t length = keying::digest_length(algorithm.value());
        auto ha1 = hex_field(sa, "ha1", length, length);
        if (!ha1) return ha1.error();
        return keying::SecurityAssociation(keying::DigestHA1{algorithm.value(), std::move(ha1.value())});
    }
    return bad("ue_sa.source", in_quotes(source->substr(0, 32)) + " is not aka, tls, tls-master, digest or digest-ha1");
}

Expected<net::Endpoint> endpoint_field(const Json& record, std::string_view name) {
    auto text = text_field(record, name, name);
    if (!text) return text.error();
    const auto endpoint = net::Endpoint::parse(*text);
    if (!endpoint || endpoint->port == 0) return bad(name, "not IP:PORT with a port 1..65535");
    return *endpoint;
}

Expected<uint64_t> number_field(const Json& record, std::string_view name, uint64_t max) {
    const auto it = record.find(name);
    if (it == record.end()) return bad(name, "missing");
    if (!it->is_number_unsigned() || it->get<uint64_t>() > max)
        return bad(name, "not a whole number 0.." + std::to_string(max));
    return it->get<uint64_t>();
}

}  // namespace

std::string format_call_record(const CallRecord& record) {
    Json j;
    j["call_id"] = record.call_id;
    j["session_id"] = record.session_id;
    j["ue_user"] = record.ue_user;
    j["component"] = record.component;
    j["media_index"] = record.media_index;
    j["ue"] = record.ue.to_string();
    j["core"] = record.core.to_string();
    j["msf_access"] = record.msf_access.to_string();
    j["msf_core"] = record.msf_core.to_string();
    j["rtcp_mux"] = record.rtcp_mux;
    j["suite"] = srtp::suite_info(record.suite).name;
    j["ue_sa"] = sa_json(record.ue_sa);
    if (record.to_ue_crypto) {
        j["to_ue_key"] = "sdes";
        j["to_ue_crypto"] = *record.to_ue_crypto;
    } else {
        j["to_ue_key"] = "derived";
    }
    if (record.call_index) j["call_index"] = *record.call_index;
    if (record.from_ue_crypto) {
        j["from_ue_key"] = "paired";
        j["from_ue_crypto"] = *record.from_ue_crypto;
    }
    if (record.msrp) {
        const MsrpRecord& m = *record.msrp;
        j["msrp"] = {{"component", m.component},           {"media_index", m.media_index},
                     {"ue_path", m.ue_path},               {"core_path", m.core_path},
                     {"gw_access_path", m.gw_access_path}, {"gw_core_path", m.gw_core_path}};
    }
    // Replace invalid UTF-8 rather than throw: Call-IDs come from SIP text.
    return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Expected<CallRecord> parse_call_record(std::string_view line) {
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
    if (line.size() > kMaxCallRecordLen)
        return make_error(ErrorCode::too_large, "call record: longer than " + std::to_string(kMaxCallRecordLen) + " bytes");
    const Json j = Json::parse(line, nullptr, false);
    if (j.is_discarded()) return bad("line", "not JSON");
    if (!j.is_object()) return bad("line", "not a JSON object");

    CallRecord r;
    auto call_id = text_field(j, "call_id", "call_id");
    if (!call_id) return call_id.error();
    if (call_id->empty()) return bad("call_id", "empty");
    r.call_id = std::move(call_id.value());
    auto session_id = text_field(j, "session_id", "session_id");
    if (!session_id) return session_id.error();
    r.session_id = std::move(session_id.value());
    auto user = text_field(j, "ue_user", "ue_user");
    if (!user) return user.error();
    r.ue_user = std::move(user.value());
    auto component = number_field(j, "component", UINT32_MAX);
    if (!component) return component.error();
    r.component = static_cast<uint32_t>(*component);
    auto index = number_field(j, "media_index", UINT16_MAX);
    if (!index) return index.error();
    r.media_index = static_cast<uint16_t>(*index);
    for (auto [name, field] : {std::pair{"ue", &r.ue}, std::pair{"core", &r.core},
                               std::pair{"msf_access", &r.msf_access}, std::pair{"msf_core", &r.msf_core}}) {
        auto endpoint = endpoint_field(j, name);
        if (!endpoint) return endpoint.error();
        *field = *endpoint;
    }
    const auto mux = j.find("rtcp_mux");
    if (mux == j.end() || !mux->is_boolean()) return bad("rtcp_mux", "not true or false");
    r.rtcp_mux = mux->get<bool>();
    auto suite_name = text_field(j, "suite", "suite");
    if (!suite_name) return suite_name.error();
    const auto suite = tools::parse_suite(*suite_name);
    if (!suite.ok()) return bad("suite", suite.error());
    r.suite = suite.value();
    const auto sa = j.find("ue_sa");
    if (sa == j.end()) return bad("ue_sa", "missing");
    auto parsed_sa = parse_sa(*sa);
    if (!parsed_sa) return parsed_sa.error();
    r.ue_sa = std::move(parsed_sa.value());
    auto to_ue = text_field(j, "to_ue_key", "to_ue_key");
    if (!to_ue) return to_ue.error();
    if (*to_ue == "sdes") {
        auto crypto = text_field(j, "to_ue_crypto", "to_ue_crypto");
        if (!crypto) return crypto.error();
        auto attribute = keying::parse_crypto_attribute(*crypto);
        if (!attribute) return bad("to_ue_crypto", attribute.error().message);
        r.to_ue_crypto = std::move(crypto.value());
    } else if (*to_ue != "derived") {
        return bad("to_ue_key", "neither derived nor sdes");
    }
    if (j.contains("call_index")) {
        auto call_index = number_field(j, "call_index", UINT64_MAX);
        if (!call_index) return call_index.error();
        r.call_index = *call_index;
    }
    if (j.contains("from_ue_key")) {
        auto from_ue = text_field(j, "from_ue_key", "from_ue_key");
        if (!from_ue) return from_ue.error();
        if (*from_ue == "paired") {
            auto crypto = text_field(j, "from_ue_crypto", "from_ue_crypto");
            if (!crypto) return crypto.error();
            auto attribute = keying::parse_crypto_attribute(*crypto);
            if (!attribute) return bad("from_ue_crypto", attribute.error().message);
            r.from_ue_crypto = std::move(crypto.value());
        } else if (*from_ue != "derived") {
            return bad("from_ue_key", "neither derived nor paired");
        }
    }
    if (const auto msrp = j.find("msrp"); msrp != j.end()) {
        if (!msrp->is_object()) return bad("msrp", "not an object");
        MsrpRecord m;
        auto component = number_field(*msrp, "component", UINT32_MAX);
        if (!component) return bad("msrp.component", component.error().message);
        m.component = static_cast<uint32_t>(*component);
        auto index = number_field(*msrp, "media_index", UINT16_MAX);
        if (!index) return bad("msrp.media_index", index.error().message);
        m.media_index = static_cast<uint16_t>(*index);
        for (auto [name, field] : {std::pair{"ue_path", &m.ue_path}, std::pair{"core_path", &m.core_path},
                                   std::pair{"gw_access_path", &m.gw_access_path},
                                   std::pair{"gw_core_path", &m.gw_core_path}}) {
            auto text = text_field(*msrp, name, "msrp");
            if (!text) return text.error();
            if (text->empty()) return bad("msrp", in_quotes(name) + " is empty");
            *field = std::move(text.value());
        }
        r.msrp = std::move(m);
    }
    return r;
}

keying::Expected<keying::MsrpPsk> record_msrp_psk(const CallRecord& record) {
    if (!record.msrp) return bad("msrp", "the record has no MSRP component");
    return keying::derive_msrp_psk(record.ue_sa, keying::CallBinding{record.call_id, record.msrp->media_index});
}

keying::Expected<keying::MediaKeys> record_media_keys(const CallRecord& record, keying::Direction direction) {
    const auto& carried = direction == keying::Direction::network_to_ue ? record.to_ue_crypto : record.from_ue_crypto;
    if (carried) {
        auto attribute = keying::parse_crypto_attribute(*carried);
        if (!attribute) return attribute.error();
        auto keys = keying::media_keys(*attribute);
        if (!keys) return keys.error();
        if (keys->suite != record.suite)
            return bad(direction == keying::Direction::network_to_ue ? "to_ue_crypto" : "from_ue_crypto",
                       "suite differs from the record's");
        return keys;
    }
    return ue_media_keys(record.ue_sa, record.call_id, record.media_index, direction, record.suite);
}

}  // namespace msf::pcscf
