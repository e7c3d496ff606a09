#include "tests/tools/fd_rx_client/message_report.hpp"

#include <span>
#include <vector>

#include "dataplane/tools/cli_values.hpp"
#include "dataplane/tools/json_writer.hpp"
#include "tests/tools/fd_rx_client/rx_media.hpp"
#include "tests/tools/fd_rx_client/utf8_text.hpp"

namespace msf::fdrx {

namespace {

using tools::JsonWriter;

struct Child {
    const AvpInfo* info;  // nullptr: not in kAvps
    struct avp* avp;
    struct avp_hdr* hdr;
};

std::vector<Child> children_of(msg_or_avp* parent, const RxDictionary& dict) {
    std::vector<Child> out;
    for (struct avp* child = browse_avp(parent, MSG_BRW_FIRST_CHILD); child;
         child = browse_avp(child, MSG_BRW_NEXT)) {
        struct avp_hdr* hdr = nullptr;
        if (fd_msg_avp_hdr(child, &hdr) == 0 && hdr) {
            const uint32_t vendor = (hdr->avp_flags & AVP_FLAG_VENDOR) ? hdr->avp_vendor : 0;
            out.push_back({dict.find(hdr->avp_code, vendor), child, hdr});
        }
    }
    return out;
}

void write_avps(JsonWriter& json, msg_or_avp* parent, const RxDictionary& dict);

// Failed-AVP's children by code only. freeDiameter 1.2.1 builds the Failed-AVP of its own error
// answers from a header copy whose value pointer still points into the offending AVP, which it
// frees before the answer is sent (fd_msg_rescode_set, fd_msg_parse_or_error): the values are
// not there to read.
void write_failed_avp(JsonWriter& json, const Child& c) {
    json.begin_object().key("avps").begin_array();
    for (struct avp* child = browse_avp(c.avp, MSG_BRW_FIRST_CHILD); child; child = browse_avp(child, MSG_BRW_NEXT)) {
        struct avp_hdr* hdr = nullptr;
        if (fd_msg_avp_hdr(child, &hdr) != 0 || !hdr) continue;
        json.begin_object()
            .member("code", hdr->avp_code)
            .member("vendor_id", (hdr->avp_flags & AVP_FLAG_VENDOR) ? hdr->avp_vendor : 0u)
            .end_object();
    }
    json.end_array().end_object();
}

void write_value(JsonWriter& json, const Child& c, const RxDictionary& dict) {
    if (c.info->id == AvpId::failed_avp) {
        write_failed_avp(json, c);
        return;
    }
    if (c.info->type == AvpType::grouped) {
        json.begin_object();
        write_avps(json, c.avp, dict);
        json.end_object();
        return;
    }
    const union avp_value* v = c.hdr->avp_value;
    if (!v) {
        json.null();
        return;
    }
    const std::span<const uint8_t> bytes(v->os.data, v->os.len);
    switch (c.info->type) {
        case AvpType::octets: json.value(tools::to_hex(bytes)); break;
        case AvpType::utf8:
        case AvpType::identity:
        case AvpType::ipfilter:
            json.value(printable_utf8({reinterpret_cast<const char*>(v->os.data), v->os.len}));
            break;
        case AvpType::address:
            if (const auto ip = parse_diameter_address(bytes)) json.value(ip->to_string());
            else json.value("invalid address " + tools::to_hex(bytes));
            break;
        case AvpType::unsigned32: json.value(v->u32); break;
        case AvpType::unsigned64: json.value(v->u64); break;
        case AvpType::enumerated: json.value(int64_t{v->i32}); break;
        case AvpType::grouped: break;
    }
}

void write_avps(JsonWriter& json, msg_or_avp* parent, const RxDictionary& dict) {
    const std::vector<Child> children = children_of(parent, dict);
    std::vector<const AvpInfo*> written;
    std::vector<const AvpInfo*> repeated;
    for (const Child& first : children) {
        if (!first.info) continue;
        bool done = false;
        for (const AvpInfo* w : written) done |= w == first.info;
        if (done) continue;
        written.push_back(first.info);
        json.key(json_key(first.info->name));
        if (first.info->repeats) json.begin_array();
        size_t count = 0;
        const Child* last = nullptr;
        for (const Child& c : children) {
            if (c.info != first.info) continue;
            ++count;
            last = &c;
            if (first.info->repeats) write_value(json, c, dict);
        }
        if (first.info->repeats) {
            json.end_array();
        } else {
            write_value(json, *last, dict);
            if (count > 1) repeated.push_back(first.info);
        }
    }
    bool any_unknown = false;
    for (const Child& c : children) {
        if (c.info) continue;
        if (!any_unknown) json.key("unknown_avps").begin_array();
        any_unknown = true;
        json.begin_object()
            .member("code", c.hdr->avp_code)
            .member("vendor_id", (c.hdr->avp_flags & AVP_FLAG_VENDOR) ? c.hdr->avp_vendor : 0u)
            .member("flags", uint32_t{c.hdr->avp_flags})
            .end_object();
    }
    if (any_unknown) json.end_array();
    if (!repeated.empty()) {
        json.key("repeated_avps").begin_array();
        for (const AvpInfo* r : repeated) json.value(r->name);
        json.end_array();
    }
}

std::string header_flags(uint8_t flags) {
    std::string out;
    if (flags & CMD_FLAG_REQUEST) out += 'R';
    if (flags & CMD_FLAG_PROXIABLE) out += 'P';
    if (flags & CMD_FLAG_ERROR) out += 'E';
    if (flags & CMD_FLAG_RETRANSMIT) out += 'T';
    return out;
}

}  // namespace

struct avp* browse_avp(msg_or_avp* reference, enum msg_brw_dir direction) {
    msg_or_avp* found = nullptr;
    if (fd_msg_browse_internal(reference, direction, &found, nullptr) != 0) return nullptr;
    return static_cast<struct avp*>(found);
}

std::string message_json(struct msg* message, const RxDictionary& dict, std::string_view direction,
                         std::string_view peer) {
    struct msg_hdr* hdr = nullptr;
    JsonWriter json;
    json.begin_object().member("direction", direction);
    if (fd_msg_hdr(message, &hdr) != 0 || !hdr) {
        json.member("command", "?").end_object();
        return json.str();
    }
    const bool request = hdr->msg_flags & CMD_FLAG_REQUEST;
    const auto name = command_abbreviation(hdr->msg_code, request);
    json.member("command", name ? std::string(*name) : "CMD" + std::to_string(hdr->msg_code) + (request ? "R" : "A"))
        .member("code", uint32_t{hdr->msg_code})
        .member("application_id", uint32_t{hdr->msg_appl})
        .member("flags", header_flags(hdr->msg_flags))
        .member("hop_by_hop", hdr->msg_hbhid)
        .member("end_to_end", hdr->msg_eteid);
    if (!peer.empty()) json.member("peer", printable_utf8(peer));
    write_avps(json, message, dict);
    json.end_object();
    return json.str();
}

}  // namespace msf::fdrx
