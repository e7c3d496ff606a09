#include "controlplane/keying/sdes.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <set>

namespace msf::keying {

namespace {

constexpr std::string_view kLinePrefix = "a=crypto:";
constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

KeyingError malformed(std::string message) {
    return make_error(ErrorCode::malformed, "a=crypto: " + std::move(message));
}

KeyingError invalid(std::string message) {
    return make_error(ErrorCode::invalid_argument, "a=crypto: " + std::move(message));
}

bool is_digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Decimal digits only, no sign, value <= max; nullopt otherwise (overflow included).
std::optional<uint64_t> parse_decimal(std::string_view s, uint64_t max) {
    if (!is_digits(s)) return std::nullopt;
    uint64_t value = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc() || end != s.data() + s.size() || value > max) return std::nullopt;
    return value;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
               return lower(x) == lower(y);
           });
}

// "NAME=value" with NAME matched case-insensitively (RFC 5234 §2.3: ABNF strings are).
std::optional<std::string_view> param_value(std::string_view token, std::string_view name) {
    if (token.size() <= name.size() || token[name.size()] != '=') return std::nullopt;
    if (!iequals(token.substr(0, name.size()), name)) return std::nullopt;
    return token.substr(name.size() + 1);
}

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> parts;
    size_t start = 0;
    for (;;) {
        const size_t at = s.find(sep, start);
        parts.push_back(s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
        if (at == std::string_view::npos) break;
        start = at + 1;
    }
    return parts;
}

// RFC 4568 §9.1: fields are separated by 1*WSP.
std::vector<std::string_view> split_wsp(std::string_view s) {
    std::vector<std::string_view> tokens;
    size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
        const size_t start = i;
        while (i < s.size() && s[i] != ' ' && s[i] != '\t') ++i;
        if (i > start) tokens.push_back(s.substr(start, i - start));
    }
    return tokens;
}

std::string quoted(std::string_view s) {
    // Error texts quote what they saw, cut short so a 4 KiB token does not flood a log.
    constexpr size_t kMax = 64;
    // Appended piecewise: GCC 12 warns (-Wrestrict, a false positive) on "'" + std::string.
    std::string out;
    out.reserve(kMax + 5);
    out += '\'';
    out += s.substr(0, kMax);
    out += s.size() > kMax ? "...'" : "'";
    return out;
}

std::optional<srtp::Suite> suite_by_name(std::string_view name) {
    // Case-sensitive, as RFC 4568 §9.2 registers the names.
    for (const srtp::SuiteInfo& info : srtp::kSuites)
        if (info.name == name) return info.suite;
    return std::nullopt;
}

Expected<Lifetime> parse_lifetime(std::string_view text) {
    // RFC 4568 §9.1: lifetime = ["2^"] 1*(DIGIT).
    if (text.substr(0, 2) == "2^") {
        const auto n = parse_decimal(text.substr(2), kMaxLifetimeLog2);
        if (!n || text.size() > 4)
            return malformed("lifetime " + quoted(text) + " is not 2^N with N at most " +
                             std::to_string(kMaxLifetimeLog2));
        return Lifetime{uint64_t{1} << *n, true};
    }
    const auto packets = parse_decimal(text, uint64_t{1} << kMaxLifetimeLog2);
    if (!packets || text.size() > 20)
        return malformed("lifetime " + quoted(text) + " is not a number of packets up to 2^" +
                         std::to_string(kMaxLifetimeLog2) + " or 2^N");
    if (*packets == 0) return malformed("lifetime 0 allows no packet");
    return Lifetime{*packets, false};
}

Expected<Mki> parse_mki(std::string_view text) {
    // RFC 4568 §9.1: mki = mki-value ":" mki-length; mki-length = 1*3DIGIT, 1..128.
    const size_t colon = text.find(':');
    if (colon == std::string_view::npos) return malformed("MKI " + quoted(text) + " lacks ':<length>'");
    const std::string_view value_text = text.substr(0, colon), length_text = text.substr(colon + 1);
    const auto length = parse_decimal(length_text, kMaxSdesMkiLen);
    if (!length || length_text.size() > 3 || *length == 0)
        return malformed("MKI length " + quoted(length_text) + " is not 1..128");
    if (!is_digits(value_text)) return malformed("MKI value " + quoted(value_text) + " is not a decimal number");
    const auto value = parse_decimal(value_text, UINT64_MAX);
    if (!value) return malformed("MKI value " + quoted(value_text) + " exceeds 2^64-1, the most this library holds");
    return Mki{*value, static_cast<uint8_t>(*length)};
}

Expected<SdesKey> parse_key_param(std::string_view text, srtp::Suite suite) {
    // RFC 4568 §9.1: key-param = key-method ":" key-info; SRTP defines only "inline" (§6.1).
    const size_t colon = text.find(':');
    if (colon == std::string_view::npos) return malformed("key-param " + quoted(text) + " lacks a key method");
    if (!iequals(text.substr(0, colon), "inline"))
        return malformed("key method " + quoted(text.substr(0, colon)) + " is not supported (only inline)");
    const auto parts = split(text.substr(colon + 1), '|');
    if (parts.size() > 3) return malformed("key-info " + quoted(text) + " has more than key|lifetime|MKI");

    SdesKey key;
    const srtp::SuiteInfo& info = srtp::suite_info(suite);
    auto blob = base64_decode(parts[0]);
    if (!blob) return malformed("inline key " + quoted(parts[0]) + " is not valid base64");
    const size_t need = size_t{info.key_len} + info.salt_len;
    if (blob->size() != need) {
        const size_t got = blob->size();
        wipe(*blob);
        return malformed("inline key is " + std::to_string(got) + " bytes, " + std::string(info.name) +
                         " needs " + std::to_string(need));
    }
    key.master_key = SecretBytes(std::span<const uint8_t>(blob->data(), info.key_len));
    key.master_salt = SecretBytes(std::span<const uint8_t>(blob->data() + info.key_len, info.salt_len));
    wipe(*blob);

    // ["|" lifetime] ["|" mki]: with one field, the MKI is the one with a ':'.
    for (size_t i = 1; i < parts.size(); ++i) {
        const bool is_mki = parts[i].find(':') != std::string_view::npos;
        if (is_mki) {
            if (key.mki) return malformed("key-info " + quoted(text) + " has two MKIs");
            auto mki = parse_mki(parts[i]);
            if (!mki) return mki.error();
            key.mki = *mki;
        } else {
            if (key.lifetime || key.mki)
                return malformed("key-info " + quoted(text) + ": lifetime must come once, before the MKI");
            auto lifetime = parse_lifetime(parts[i]);
            if (!lifetime) return lifetime.error();
            key.lifetime = *lifetime;
        }
    }
    return key;
}

Expected<void> parse_session_param(std::string_view token, SdesSessionParams& session) {
    auto duplicate = [&](std::string_view name) { return malformed("session parameter " + std::string(name) + " appears twice"); };
    if (iequals(token, "UNENCRYPTED_SRTP")) {
        if (session.unencrypted_srtp) return duplicate("UNENCRYPTED_SRTP");
        session.unencrypted_srtp = true;
    } else if (iequals(token, "UNENCRYPTED_SRTCP")) {
        if (session.unencrypted_srtcp) return duplicate("UNENCRYPTED_SRTCP");
        session.unencrypted_srtcp = true;
    } else if (iequals(token, "UNAUTHENTICATED_SRTP")) {
        if (session.unauthenticated_srtp) return duplicate("UNAUTHENTICATED_SRTP");
        session.unauthenticated_srtp = true;
    } else if (auto kdr = param_value(token, "KDR")) {
        // §6.3.1: KDR=1*2DIGIT, 0..24 (the rate is 2^value).
        if (session.kdr) return duplicate("KDR");
        const auto v = parse_decimal(*kdr, 24);
        if (!v || kdr->size() > 2) return malformed("KDR " + quoted(*kdr) + " is not 0..24");
        session.kdr = static_cast<uint8_t>(*v);
    } else if (auto fec = param_value(token, "FEC_ORDER")) {
        // §6.3.3
        if (session.fec_order) return duplicate("FEC_ORDER");
        if (iequals(*fec, "FEC_SRTP")) session.fec_order = FecOrder::fec_srtp;
        else if (iequals(*fec, "SRTP_FEC")) session.fec_order = FecOrder::srtp_fec;
        else return malformed("FEC_ORDER " + quoted(*fec) + " is neither FEC_SRTP nor SRTP_FEC");
    } else if (auto wsh = param_value(token, "WSH")) {
        // §6.3.6: WSH=2*DIGIT, at least 64.
        if (session.wsh) return duplicate("WSH");
        const auto v = parse_decimal(*wsh, UINT32_MAX);
        if (!v || wsh->size() < 2 || wsh->size() > 10 || *v < 64)
            return malformed("WSH " + quoted(*wsh) + " is not a window size of at least 64");
        session.wsh = static_cast<uint32_t>(*v);
    } else {
        // §9.1 srtp-session-extension = ["-"] 1*(VCHAR); FEC_KEY= lands here too, kept verbatim.
        session.extensions.emplace_back(token);
    }
    return {};
}

void append_lifetime(std::string& out, const Lifetime& lifetime) {
    out += '|';
    if (lifetime.power_of_two) {
        unsigned n = 0;
        while (n < 63 && (uint64_t{1} << n) != lifetime.packets) ++n;
        out += "2^" + std::to_string(n);
    } else {
        out += std::to_string(lifetime.packets);
    }
}

}  // namespace

// ---- base64 (RFC 4648 §4) ----

std::string base64_encode(std::span<const uint8_t> bytes) {
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        const uint32_t v = uint32_t{bytes[i]} << 16 | uint32_t{bytes[i + 1]} << 8 | bytes[i + 2];
        for (int shift = 18; shift >= 0; shift -= 6) out += kBase64Alphabet[(v >> shift) & 63];
    }
    const size_t rest = bytes.size() - i;
    if (rest > 0) {
        uint32_t v = uint32_t{bytes[i]} << 16;
        if (rest == 2) v |= uint32_t{bytes[i + 1]} << 8;
        out += kBase64Alphabet[(v >> 18) & 63];
        out += kBase64Alphabet[(v >> 12) & 63];
        out += rest == 2 ? kBase64Alphabet[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

std::optional<std::vector<uint8_t>> base64_decode(std::string_view text) {
    if (text.empty() || text.size() % 4 != 0) return std::nullopt;
    size_t padding = 0;
    if (text.back() == '=') padding = text[text.size() - 2] == '=' ? 2 : 1;
    std::vector<uint8_t> out;
    out.reserve(text.size() / 4 * 3);
    for (size_t i = 0; i < text.size(); i += 4) {
        uint32_t v = 0;
        const bool last = i + 4 == text.size();
        for (size_t j = 0; j < 4; ++j) {
            const char c = text[i + j];
            uint32_t sextet = 0;
            if (c == '=') {
                if (!last || j < 4 - padding) return std::nullopt;  // '=' only as final padding
            } else {
                const size_t at = kBase64Alphabet.find(c);
                if (at == std::string_view::npos) return std::nullopt;
                sextet = static_cast<uint32_t>(at);
            }
            v = v << 6 | sextet;
        }
        const size_t n = last ? 3 - padding : 3;
        // RFC 4648 §3.5: the bits padding leaves unused must be zero, so each byte string has
        // exactly one encoding and format(parse(x)) == x.
        if (last && padding == 1 && (v & 0xFF) != 0) return std::nullopt;
        if (last && padding == 2 && (v & 0xFFFF) != 0) return std::nullopt;
        for (size_t k = 0; k < n; ++k) out.push_back(static_cast<uint8_t>(v >> (16 - 8 * k)));
    }
    return out;
}

// ---- Mki ----

std::vector<uint8_t> Mki::bytes() const {
    std::vector<uint8_t> out(length, 0);
    for (size_t i = 0; i < length && i < 8; ++i) out[length - 1 - i] = static_cast<uint8_t>(value >> (8 * i));
    return out;
}

// ---- a=crypto ----

Expected<void> validate_crypto_attribute(const CryptoAttribute& a) {
    if (a.tag > kMaxCryptoTag) return invalid("tag " + std::to_string(a.tag) + " is longer than 9 digits");
    if (static_cast<size_t>(a.suite) >= srtp::kSuiteCount)
        return make_error(ErrorCode::unknown_suite, "a=crypto: suite " + std::to_string(static_cast<unsigned>(a.suite)) + " is unknown");
    const srtp::SuiteInfo& info = srtp::suite_info(a.suite);
    if (a.keys.empty()) return invalid("no inline key");
    if (a.keys.size() > kMaxKeyParams)
        return make_error(ErrorCode::too_large, "a=crypto: " + std::to_string(a.keys.size()) +
                                                    " keys exceed " + std::to_string(kMaxKeyParams));
    std::set<uint64_t> mki_values;
    for (size_t i = 0; i < a.keys.size(); ++i) {
        const SdesKey& k = a.keys[i];
        const std::string which = a.keys.size() > 1 ? "key " + std::to_string(i + 1) + ": " : "";
        if (k.master_key.size() != info.key_len || k.master_salt.size() != info.salt_len)
            return invalid(which + "master key and salt are " + std::to_string(k.master_key.size()) +
                           "+" + std::to_string(k.master_salt.size()) + " bytes, " +
                           std::string(info.name) + " needs " + std::to_string(info.key_len) + "+" +
                           std::to_string(info.salt_len));
        if (k.lifetime) {
            const uint64_t p = k.lifetime->packets;
            if (p == 0 || p > uint64_t{1} << kMaxLifetimeLog2 || (k.lifetime->power_of_two && (p & (p - 1)) != 0))
                return invalid(which + "lifetime " + std::to_string(p) + " is out of range");
        }
        if (k.mki) {
            if (k.mki->length == 0 || k.mki->length > kMaxSdesMkiLen)
                return invalid(which + "MKI length " + std::to_string(k.mki->length) + " is not 1..128");
            if (k.mki->length < 8 && k.mki->value >> (8 * k.mki->length) != 0)
                return invalid(which + "MKI value " + std::to_string(k.mki->value) + " does not fit in " +
                               std::to_string(k.mki->length) + (k.mki->length == 1 ? " byte" : " bytes"));
            // RFC 4568 §6.1: the MKI length is the same for all keys of one attribute.
            if (k.mki->length != a.keys[0].mki.value_or(Mki{}).length)
                return invalid(which + "MKI length " + std::to_string(k.mki->length) +
                               " differs from the first key's");
            if (!mki_values.insert(k.mki->value).second)
                return invalid(which + "MKI value " + std::to_string(k.mki->value) + " is used twice");
        } else if (a.keys.size() > 1) {
            // RFC 3711 §3.1: only the MKI tells a receiver which of several master keys a packet used.
            return invalid(which + "several keys need an MKI on every key");
        }
    }
    const SdesSessionParams& s = a.session;
    if (s.kdr && *s.kdr > 24) return invalid("KDR " + std::to_string(*s.kdr) + " is not 0..24");
    if (s.wsh && *s.wsh < 64) return invalid("WSH " + std::to_string(*s.wsh) + " is below 64");
    for (const std::string& e : s.extensions) {
        const bool visible = !e.empty() && std::all_of(e.begin(), e.end(), [](char c) {
            return static_cast<unsigned char>(c) > 0x20 && c != 0x7f;
        });
        if (!visible) return invalid("session parameter " + quoted(e) + " is not one visible token");
    }
    return {};
}

Expected<CryptoAttribute> parse_crypto_attribute(std::string_view text) {
    if (text.size() > kMaxCryptoLineLen + 2)
        return make_error(ErrorCode::too_large, "a=crypto: line of " + std::to_string(text.size()) +
                                                    " bytes exceeds " + std::to_string(kMaxCryptoLineLen));
    if (text.ends_with("\r\n")) text.remove_suffix(2);
    else if (text.ends_with('\n')) text.remove_suffix(1);
    if (text.starts_with(kLinePrefix)) text.remove_prefix(kLinePrefix.size());
    for (size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return malformed("control character " + std::to_string(c) + " at offset " + std::to_string(i));
    }

    const auto tokens = split_wsp(text);
    if (tokens.empty()) return malformed("empty attribute");
    CryptoAttribute a;
    // §9.1: tag = 1*9DIGIT
    if (!is_digits(tokens[0])) return malformed("tag " + quoted(tokens[0]) + " is not a decimal number");
    if (tokens[0].size() > 9) return malformed("tag " + quoted(tokens[0]) + " is longer than 9 digits");
    a.tag = static_cast<uint32_t>(*parse_decimal(tokens[0], kMaxCryptoTag));

    if (tokens.size() < 2) return malformed("missing crypto-suite after tag " + std::to_string(a.tag));
    // §9.1: crypto-suite = 1*(ALPHA / DIGIT / "_")
    const bool suite_chars = std::all_of(tokens[1].begin(), tokens[1].end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    });
    if (!suite_chars) return malformed("crypto-suite " + quoted(tokens[1]) + " has characters outside A-Z a-z 0-9 _");
    const auto suite = suite_by_name(tokens[1]);
    if (!suite)
        return make_error(ErrorCode::unknown_suite,
                          "a=crypto: suite " + quoted(tokens[1]) + " is not supported");
    a.suite = *suite;

    if (tokens.size() < 3) return malformed("missing key-params after " + std::string(tokens[1]));
    const auto key_params = split(tokens[2], ';');
    if (key_params.size() > kMaxKeyParams)
        return make_error(ErrorCode::too_large, "a=crypto: " + std::to_string(key_params.size()) +
                                                    " keys exceed " + std::to_string(kMaxKeyParams));
    for (std::string_view kp : key_params) {
        auto key = parse_key_param(kp, a.suite);
        if (!key) return key.error();
        a.keys.push_back(std::move(*key));
    }

    if (tokens.size() - 3 > kMaxSessionParams)
        return make_error(ErrorCode::too_large, "a=crypto: " + std::to_string(tokens.size() - 3) +
                                                    " session parameters exceed " + std::to_string(kMaxSessionParams));
    for (size_t i = 3; i < tokens.size(); ++i) {
        auto r = parse_session_param(tokens[i], a.session);
        if (!r) return r.error();
    }
    // What validate calls a bad argument is, in a line read from the wire, a malformed line.
    auto valid = validate_crypto_attribute(a);
    if (!valid) return make_error(ErrorCode::malformed, valid.error().message);
    return a;
}

std::string format_crypto_value(const CryptoAttribute& a) {
    std::string out = std::to_string(a.tag);
    out += ' ';
    out += srtp::suite_info(a.suite).name;
    out += ' ';
    for (size_t i = 0; i < a.keys.size(); ++i) {
        const SdesKey& k = a.keys[i];
        if (i > 0) out += ';';
        std::vector<uint8_t> blob;
        blob.reserve(k.master_key.size() + k.master_salt.size());
        blob.insert(blob.end(), k.master_key.bytes().begin(), k.master_key.bytes().end());
        blob.insert(blob.end(), k.master_salt.bytes().begin(), k.master_salt.bytes().end());
        out += "inline:";
        out += base64_encode(blob);
        wipe(blob);
        if (k.lifetime) append_lifetime(out, *k.lifetime);
        if (k.mki) out += '|' + std::to_string(k.mki->value) + ':' + std::to_string(k.mki->length);
    }
    const SdesSessionParams& s = a.session;
    if (s.kdr) out += " KDR=" + std::to_string(*s.kdr);
    if (s.unencrypted_srtp) out += " UNENCRYPTED_SRTP";
    if (s.unencrypted_srtcp) out += " UNENCRYPTED_SRTCP";
    if (s.unauthenticated_srtp) out += " UNAUTHENTICATED_SRTP";
    if (s.fec_order) out += s.fec_order == FecOrder::fec_srtp ? " FEC_ORDER=FEC_SRTP" : " FEC_ORDER=SRTP_FEC";
    if (s.wsh) out += " WSH=" + std::to_string(*s.wsh);
    for (const std::string& e : s.extensions) out += ' ' + e;
    return out;
}

std::string format_crypto_line(const CryptoAttribute& attribute) {
    return std::string(kLinePrefix) + format_crypto_value(attribute);
}

Expected<MediaKeys> media_keys(const CryptoAttribute& attribute, size_t index) {
    if (index >= attribute.keys.size())
        return invalid("no key " + std::to_string(index + 1) + " (the attribute has " +
                       std::to_string(attribute.keys.size()) + ")");
    const SdesKey& k = attribute.keys[index];
    return MediaKeys(attribute.suite, std::vector<uint8_t>(k.master_key.bytes().begin(), k.master_key.bytes().end()),
                     std::vector<uint8_t>(k.master_salt.bytes().begin(), k.master_salt.bytes().end()));
}

CryptoAttribute crypto_attribute_for(uint32_t tag, const MediaKeys& keys) {
    CryptoAttribute a;
    a.tag = tag;
    a.suite = keys.suite;
    SdesKey k;
    k.master_key = SecretBytes(std::span<const uint8_t>(keys.master_key));
    k.master_salt = SecretBytes(std::span<const uint8_t>(keys.master_salt));
    a.keys.push_back(std::move(k));
    return a;
}

}  // namespace msf::keying
