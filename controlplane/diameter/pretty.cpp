#include <algorithm>
#include <bit>
#include "controlplane/diameter/pretty.hpp"

#include <cstdio>
#include <ctime>

#include "controlplane/diameter/avp.hpp"

namespace msf::diameter {

namespace {

constexpr char kHex[] = "0123456789abcdef";

void append_hex_byte(std::string& out, uint8_t b) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xf]);
}

void append_hex(std::string& out, std::span<const uint8_t> data, const PrettyOptions& options) {
    if (data.empty()) {
        out.append("(empty)");
        return;
    }
    out.append("0x");
    const size_t shown = std::min(data.size(), options.max_hex_bytes);
    for (size_t i = 0; i < shown; ++i) append_hex_byte(out, data[i]);
    if (shown < data.size()) out.append("...");
    out.append(" (");
    out.append(std::to_string(data.size()));
    out.append(data.size() == 1 ? " byte)" : " bytes)");
}

void append_quoted(std::string& out, std::span<const uint8_t> data) {
    out.push_back('"');
    for (const uint8_t c : data) {
        switch (c) {
            case '"': out.append("\\\""); break;
            case '\\': out.append("\\\\"); break;
            case '\n': out.append("\\n"); break;
            case '\r': out.append("\\r"); break;
            case '\t': out.append("\\t"); break;
            default:
                if (c < 0x20 || c >= 0x7f) {
                    out.append("\\x");
                    append_hex_byte(out, c);
                } else {
                    out.push_back(static_cast<char>(c));
                }
        }
    }
    out.push_back('"');
}

// Text that reads as text: printable ASCII and line breaks, and at most a trailing NUL (Kamailio
// terminates Codec-Data with one).
bool looks_like_text(std::span<const uint8_t> data) {
    if (data.empty()) return true;
    const size_t n = data.back() == 0 ? data.size() - 1 : data.size();
    for (size_t i = 0; i < n; ++i) {
        const uint8_t c = data[i];
        if ((c < 0x20 && c != '\n' && c != '\r' && c != '\t') || c >= 0x7f) return false;
    }
    return true;
}

void append_named(std::string& out, uint64_t value, std::string_view name) {
    out.append(std::to_string(value));
    if (!name.empty()) {
        out.append(" (");
        out.append(name);
        out.push_back(')');
    }
}

void append_time(std::string& out, uint32_t ntp) {
    out.append(std::to_string(ntp));
    const time_t t = static_cast<time_t>(unix_from_ntp(ntp));
    struct tm utc {};
    char buf[32];
    if (gmtime_r(&t, &utc) != nullptr &&
        std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &utc) > 0) {
        out.append(" (");
        out.append(buf);
        out.push_back(')');
    }
}

// The value of a leaf whose size fits its type (decode() checked it; add_raw may not have).
void append_value(std::string& out, const AvpDef& def, std::span<const uint8_t> data,
                  const PrettyOptions& options) {
    if (!check_data_size(def.type, data).empty()) {
        append_hex(out, data, options);
        return;
    }
    switch (def.type) {
        case DataType::octet_string:
            if (looks_like_text(data))
                append_quoted(out, data);
            else
                append_hex(out, data, options);
            return;
        case DataType::utf8_string:
        case DataType::diameter_identity:
        case DataType::diameter_uri:
        case DataType::ip_filter_rule: append_quoted(out, data); return;
        case DataType::integer32:
            out.append(std::to_string(static_cast<int32_t>(load_be32(data.data()))));
            return;
        case DataType::integer64:
            out.append(std::to_string(static_cast<int64_t>(load_be64(data.data()))));
            return;
        case DataType::unsigned64: out.append(std::to_string(load_be64(data.data()))); return;
        case DataType::unsigned32: {
            const uint32_t v = load_be32(data.data());
            std::string_view name = def.value_name(v);
            if (&def == &avp::result_code) name = result_code_name(v);
            if (&def == &avp::experimental_result_code) {
                name = result_code_name(v, kVendor3gpp);
                if (name.empty()) name = result_code_name(v);
            }
            append_named(out, v, name);
            return;
        }
        case DataType::enumerated: {
            const uint32_t v = load_be32(data.data());
            const std::string_view name = def.value_name(v);
            if (name.empty()) {
                out.append(std::to_string(v));
            } else {
                out.append(name);
                out.append(" (");
                out.append(std::to_string(v));
                out.push_back(')');
            }
            return;
        }
        case DataType::time: append_time(out, load_be32(data.data())); return;
        case DataType::float32: {
            char buf[32];
            std::snprintf(buf, sizeof buf, "%g",
                          static_cast<double>(std::bit_cast<float>(load_be32(data.data()))));
            out.append(buf);
            return;
        }
        case DataType::float64: {
            char buf[32];
            std::snprintf(buf, sizeof buf, "%g", std::bit_cast<double>(load_be64(data.data())));
            out.append(buf);
            return;
        }
        case DataType::address:
            if (const auto a = decode_address(data)) {
                out.append(a->to_string());
            } else {
                out.append("family ");
                out.append(std::to_string(data[0] << 8 | data[1]));
                out.append(" ");
                append_hex(out, data.subspan(2), options);
            }
            return;
        case DataType::ipv4_octets: out.append(net::IpAddr::v4(data.data()).to_string()); return;
        case DataType::ipv6_prefix:
            if (const auto p = decode_ipv6_prefix(data)) {
                out.append(p->prefix.to_string());
                out.push_back('/');
                out.append(std::to_string(p->prefix_length));
            } else {
                append_hex(out, data, options);
            }
            return;
        case DataType::grouped:
            append_hex(out, data, options);
            return;  // opaque Failed-AVP contents
    }
}

void append_avp(std::string& out, const Avp& avp, const Message& message, size_t depth,
                const PrettyOptions& options) {
    out.append(2 * depth, ' ');
    out.append(describe_avp(avp.code(), avp.vendor_id(), message.msf_vendor_id()));
    const uint8_t flags = avp.flags();
    if ((flags & kAvpFlagVendor) != 0) out.append(" V");
    if ((flags & kAvpFlagMandatory) != 0) out.append(" M");
    if ((flags & kAvpFlagProtected) != 0) out.append(" P");
    if ((flags & kAvpFlagsReserved) != 0) {
        out.append(" r=0x");
        append_hex_byte(out, flags & kAvpFlagsReserved);
    }
    out.push_back(':');
    if (avp.is_group()) {
        out.push_back('\n');
        for (Avp child : avp.children()) append_avp(out, child, message, depth + 1, options);
        return;
    }
    out.push_back(' ');
    const AvpDef* def = avp.def();
    const auto data = avp.data();
    if (def != nullptr && def->secret && !options.reveal_secrets) {
        out.append("<hidden, ");
        out.append(std::to_string(data.size()));
        out.append(data.size() == 1 ? " byte>" : " bytes>");
    } else if (def != nullptr) {
        append_value(out, *def, data, options);
    } else {
        append_hex(out, data, options);
    }
    out.push_back('\n');
}

void append_header(std::string& out, uint8_t flags, uint32_t command_code, uint32_t application,
                   uint32_t hop_by_hop, uint32_t end_to_end) {
    const bool request = (flags & kFlagRequest) != 0;
    const CommandDef* command = find_command(command_code);
    if (command != nullptr) {
        out.append(request ? command->request_abbrev : command->answer_abbrev);
        out.append(" (");
        out.append(command->name);
        out.append(request ? "-Request) " : "-Answer) ");
    } else {
        out.append(request ? "Request " : "Answer ");
    }
    out.append(std::to_string(command_code));
    out.append(", flags");
    if (flags == 0) out.append(" -");
    if (request) out.append(" R");
    if ((flags & kFlagProxiable) != 0) out.append(" P");
    if ((flags & kFlagError) != 0) out.append(" E");
    if ((flags & kFlagRetransmitted) != 0) out.append(" T");
    if ((flags & kFlagsReserved) != 0) {
        out.append(" r=0x");
        append_hex_byte(out, flags & kFlagsReserved);
    }
    out.append(", application ");
    std::string_view app_name;
    for (const EnumValue& v : kApplicationIds)
        if (v.value == application) app_name = v.name;
    append_named(out, application, app_name);
    char ids[64];
    std::snprintf(ids, sizeof ids, ", hop-by-hop 0x%08x, end-to-end 0x%08x", hop_by_hop,
                  end_to_end);
    out.append(ids);
}

}  // namespace

std::string pretty(const Message& message, const PrettyOptions& options) {
    std::string out;
    out.reserve(128 + 64 * message.avp_count());
    append_header(out, message.flags(), message.command_code(), message.application_id(),
                  message.hop_by_hop(), message.end_to_end());
    out.push_back('\n');
    for (Avp avp : message.avps()) append_avp(out, avp, message, 1, options);
    return out;
}

std::string pretty_frame(std::span<const uint8_t> frame, const CodecConfig& config,
                         const PrettyOptions& options) {
    auto decoded = decode(frame, config);
    if (decoded) return pretty(*decoded, options);
    std::string out;
    if (frame.size() >= kHeaderSize) {
        append_header(out, frame[4], load_be24(frame.data() + 5), load_be32(frame.data() + 8),
                      load_be32(frame.data() + 12), load_be32(frame.data() + 16));
        out.append(", ");
        out.append(std::to_string(frame.size()));
        out.append(" bytes\n");
    } else {
        out.append(std::to_string(frame.size()));
        out.append(" bytes, shorter than a Diameter header\n");
    }
    out.append("  undecodable: ");
    const std::string error = to_string(decoded.error());
    append_quoted(out, {reinterpret_cast<const uint8_t*>(error.data()), error.size()});
    out.push_back('\n');
    return out;
}

}  // namespace msf::diameter
