#include "controlplane/diameter/message.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <stdexcept>

namespace msf::diameter {

namespace {

constexpr size_t kMaxMessageLength = 0xffffff;  // 24-bit Message Length
constexpr size_t kMaxErrorMessage = 256;        // Error-Message text we send

[[noreturn]] void misuse(const AvpDef& def, std::string_view what) {
    throw std::logic_error(std::string(def.name) + ": " + std::string(what) + " (" +
                           std::string(data_type_name(def.type)) + ")");
}

bool is_string_type(DataType type) {
    switch (type) {
        case DataType::octet_string:
        case DataType::utf8_string:
        case DataType::diameter_identity:
        case DataType::diameter_uri:
        case DataType::ip_filter_rule: return true;
        default: return false;
    }
}

std::span<const uint8_t> as_bytes(std::string_view text) {
    return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

Error make_error(ResultCode code, std::vector<uint8_t> failed_avp, std::string message) {
    return Error{code, std::move(failed_avp), std::move(message)};
}

// §7.5, §7.1.5: an example AVP with the right code and vendor and a zero payload of the minimum
// size for its type.
std::vector<uint8_t> example_avp(uint32_t code, uint8_t flags, uint32_t vendor_id,
                                 const AvpDef* def) {
    static constexpr uint8_t zeros[8] = {};
    const size_t size = def != nullptr ? minimal_data_size(def->type) : 0;
    return encode_avp(code, flags, vendor_id, std::span<const uint8_t>(zeros, size));
}

std::string container_name(const Message& message, const AvpDef* group) {
    return group != nullptr ? std::string(group->name) : message.name();
}

}  // namespace

std::string to_string(const Error& error) {
    std::string out;
    const std::string_view name = result_code_name(error.code());
    out.append(name.empty() ? "result code" : name);
    out.append(" (");
    out.append(std::to_string(error.code()));
    out.append(")");
    if (!error.message.empty()) {
        out.append(": ");
        out.append(error.message);
    }
    return out;
}

void check_config(const CodecConfig& config) {
    if (config.msf_vendor_id == kVendorIetf || config.msf_vendor_id == kVendor3gpp ||
        config.msf_vendor_id == kVendorEtsi)
        throw std::invalid_argument("diameter: the MSF vendor id " +
                                    std::to_string(config.msf_vendor_id) +
                                    " is taken by IETF, 3GPP or ETSI AVPs");
    if (config.max_message_size < kHeaderSize || config.max_message_size > kMaxMessageLength ||
        config.max_message_size % 4 != 0)
        throw std::invalid_argument("diameter: maximum message size " +
                                    std::to_string(config.max_message_size) +
                                    " is not a multiple of 4 in 20..16777212");
    if (config.max_avps == 0) throw std::invalid_argument("diameter: maximum AVP count is 0");
    if (config.max_depth == 0 || config.max_depth > 64)
        throw std::invalid_argument("diameter: maximum group depth " +
                                    std::to_string(config.max_depth) + " is not in 1..64");
}

// ---- Avp ----

std::optional<uint32_t> Avp::unsigned32() const {
    const auto d = data();
    if (d.size() != 4) return std::nullopt;
    return load_be32(d.data());
}
std::optional<int32_t> Avp::integer32() const {
    const auto v = unsigned32();
    if (!v) return std::nullopt;
    return static_cast<int32_t>(*v);
}
std::optional<uint64_t> Avp::unsigned64() const {
    const auto d = data();
    if (d.size() != 8) return std::nullopt;
    return load_be64(d.data());
}
std::optional<int64_t> Avp::integer64() const {
    const auto v = unsigned64();
    if (!v) return std::nullopt;
    return static_cast<int64_t>(*v);
}
std::optional<float> Avp::float32() const {
    const auto v = unsigned32();
    if (!v) return std::nullopt;
    return std::bit_cast<float>(*v);
}
std::optional<double> Avp::float64() const {
    const auto v = unsigned64();
    if (!v) return std::nullopt;
    return std::bit_cast<double>(*v);
}

std::optional<net::IpAddr> Avp::address() const {
    const auto d = data();
    const AvpDef* known = def();
    if (known != nullptr && known->type == DataType::ipv4_octets) {
        if (d.size() != 4) return std::nullopt;
        return net::IpAddr::v4(d.data());
    }
    return decode_address(d);
}

Decoded<IpFilterRule> Avp::ip_filter_rule() const {
    if (const IpFilterRule* rule = parsed_ip_filter_rule()) return *rule;
    return parse_ip_filter_rule(text());  // the error, as it was found the first time
}

const IpFilterRule* Avp::parsed_ip_filter_rule() const {
    auto& kept = message_->filter_rules_;
    const auto before = [](const auto& entry, uint32_t node) { return entry.first < node; };
    const auto at = std::lower_bound(kept.begin(), kept.end(), node_, before);
    if (at != kept.end() && at->first == node_) return &at->second;
    const auto index = at - kept.begin();
    if (kept.empty()) kept.reserve(4);  // RTP and RTCP each way: one allocation for one component
    // Parsed where it is kept. validate() walks in node order: an append.
    const auto entry = kept.emplace(kept.begin() + index, node_, IpFilterRule{});
    if (parse_ip_filter_rule(text(), entry->second)) {
        kept.erase(entry);
        return nullptr;
    }
    return &entry->second;
}

Range Avp::children() const {
    return Range(message_, message_->nodes_[node_].first_child, nullptr);
}

std::optional<Avp> Avp::find(const AvpDef& def) const {
    for (Avp child : find_all(def)) return child;
    return std::nullopt;
}

Range Avp::find_all(const AvpDef& def) const {
    return Range(message_, message_->nodes_[node_].first_child, &def);
}

std::vector<uint8_t> Avp::encode() const {
    std::vector<uint8_t> out(message_->encoded_size(node_), 0);
    message_->encode_node(node_, out.data());
    return out;
}

// ---- Range ----

size_t Range::size() const { return static_cast<size_t>(std::distance(begin(), end())); }

// ---- AvpWriter ----

AvpWriter& AvpWriter::add_leaf(const AvpDef& def, std::span<const uint8_t> data) {
    if (data.size() > kMaxAvpLength - kAvpVendorHeaderSize) misuse(def, "data over 16 MiB");
    message_->append_leaf(node_, def.code, def.flags_to_send(),
                          vendor_id(def.vendor, message_->msf_vendor_id_), &def, data);
    return *this;
}

AvpWriter& AvpWriter::add_integer(const AvpDef& def, uint64_t value) {
    uint8_t buf[8];
    switch (def.type) {
        case DataType::integer32:
        case DataType::unsigned32:
        case DataType::enumerated:
        case DataType::time:
            store_be32(buf, static_cast<uint32_t>(value));
            return add_leaf(def, {buf, 4});
        case DataType::integer64:
        case DataType::unsigned64: store_be64(buf, value); return add_leaf(def, {buf, 8});
        default: misuse(def, "an integer for a type that is not one");
    }
}

AvpWriter& AvpWriter::add(const AvpDef& def, std::string_view text) {
    if (!is_string_type(def.type)) misuse(def, "text for a type that is not a string");
    return add_leaf(def, as_bytes(text));
}

AvpWriter& AvpWriter::add(const AvpDef& def, std::span<const uint8_t> bytes) {
    if (def.type == DataType::grouped) misuse(def, "bytes for a grouped AVP");
    return add_leaf(def, bytes);
}

AvpWriter& AvpWriter::add(const AvpDef& def, const net::IpAddr& address) {
    if (def.type == DataType::ipv4_octets) {
        if (!address.is_v4()) misuse(def, "an address that is not IPv4");
        return add_leaf(def, {address.bytes.data(), 4});
    }
    if (def.type != DataType::address) misuse(def, "an address for a type that is not one");
    if (address.empty()) misuse(def, "an empty address");
    uint8_t buf[18];
    const size_t size = encode_address(address, buf);
    return add_leaf(def, {buf, size});
}

AvpWriter& AvpWriter::add(const AvpDef& def, const Ipv6Prefix& prefix) {
    if (def.type != DataType::ipv6_prefix) misuse(def, "an IPv6 prefix for a type that is not one");
    uint8_t buf[18];
    const size_t size = encode_ipv6_prefix(prefix, buf);
    return add_leaf(def, {buf, size});
}

AvpWriter& AvpWriter::add(const AvpDef& def, double value) {
    uint8_t buf[8];
    if (def.type == DataType::float32) {
        store_be32(buf, std::bit_cast<uint32_t>(static_cast<float>(value)));
        return add_leaf(def, {buf, 4});
    }
    if (def.type == DataType::float64) {
        store_be64(buf, std::bit_cast<uint64_t>(value));
        return add_leaf(def, {buf, 8});
    }
    misuse(def, "a floating-point value for a type that is not one");
}

AvpWriter AvpWriter::add_group(const AvpDef& def) {
    if (def.type != DataType::grouped) misuse(def, "add_group for an AVP that is not grouped");
    const uint32_t node =
        message_->append_group(node_, def.code, def.flags_to_send(),
                               vendor_id(def.vendor, message_->msf_vendor_id_), &def);
    return AvpWriter(message_, node);
}

AvpWriter& AvpWriter::add_raw(uint32_t code, uint8_t flags, uint32_t vendor_id,
                              std::span<const uint8_t> data) {
    if (data.size() > kMaxAvpLength - kAvpVendorHeaderSize)
        throw std::logic_error("add_raw: data over 16 MiB");
    const uint32_t vendor = (flags & kAvpFlagVendor) != 0 ? vendor_id : 0;
    message_->append_leaf(node_, code, flags, vendor,
                          find_avp(code, vendor, message_->msf_vendor_id_), data);
    return *this;
}

AvpWriter& AvpWriter::add_copy(const Avp& avp) {
    if (!avp.is_group()) return add_raw(avp.code(), avp.flags(), avp.vendor_id(), avp.data());
    const uint32_t node =
        message_->append_group(node_, avp.code(), avp.flags(), avp.vendor_id(),
                               find_avp(avp.code(), avp.vendor_id(), message_->msf_vendor_id_));
    AvpWriter group(message_, node);
    for (Avp child : avp.children()) group.add_copy(child);
    return *this;
}

// ---- Message ----

// Room for the root only: an empty message is often a placeholder (an answer not made yet).
// request() and answer_to(), which build, make room for 32 AVPs at once.
Message::Message(uint32_t msf_vendor_id) : Message(msf_vendor_id, 1) {}

Message::Message(uint32_t msf_vendor_id, size_t node_capacity) : msf_vendor_id_(msf_vendor_id) {
    nodes_.reserve(node_capacity);
    nodes_.push_back(Node{.group = true});
}

Message Message::request(const CommandDef& command, uint32_t msf_vendor_id) {
    Message m(msf_vendor_id, 32);
    m.bytes_.reserve(512);
    m.flags_ = static_cast<uint8_t>(kFlagRequest | (command.proxiable ? kFlagProxiable : 0));
    m.command_code_ = command.code;
    m.application_id_ = command.application;
    return m;
}

Message Message::answer_to(const Message& request) {
    Message m(request.msf_vendor_id_, 32);
    m.bytes_.reserve(256);
    m.flags_ = static_cast<uint8_t>(request.flags_ & kFlagProxiable);
    m.command_code_ = request.command_code_;
    m.application_id_ = request.application_id_;
    m.hop_by_hop_ = request.hop_by_hop_;
    m.end_to_end_ = request.end_to_end_;
    if (const auto session = request.find(avp::session_id)) m.add(avp::session_id, session->text());
    for (Avp proxy_info : request.find_all(avp::proxy_info)) m.root().add_copy(proxy_info);
    return m;
}

std::string Message::name() const {
    const CommandDef* c = command();
    if (c != nullptr) return std::string(is_request() ? c->request_abbrev : c->answer_abbrev);
    return "command " + std::to_string(command_code_) + (is_request() ? " request" : " answer");
}

std::optional<Avp> Message::find(const AvpDef& def) const {
    for (Avp avp : find_all(def)) return avp;
    return std::nullopt;
}

Range Message::find_all(const AvpDef& def) const { return Range(this, first_child(0), &def); }

std::string_view Message::session_id() const {
    const auto avp = find(avp::session_id);
    return avp ? avp->text() : std::string_view();
}

uint32_t Message::append_leaf(uint32_t parent, uint32_t code, uint8_t flags, uint32_t vendor_id,
                              const AvpDef* def, std::span<const uint8_t> data) {
    Node n;
    n.code = code;
    n.vendor_id = vendor_id;
    n.flags = flags;
    n.def = def != nullptr ? static_cast<uint16_t>(avp_index(*def)) : kUnknownDef;
    n.data_offset = static_cast<uint32_t>(bytes_.size());
    n.data_length = static_cast<uint32_t>(data.size());
    bytes_.insert(bytes_.end(), data.begin(), data.end());
    return append_node(parent, n);
}

uint32_t Message::append_group(uint32_t parent, uint32_t code, uint8_t flags, uint32_t vendor_id,
                               const AvpDef* def) {
    Node n;
    n.code = code;
    n.vendor_id = vendor_id;
    n.flags = flags;
    n.def = def != nullptr ? static_cast<uint16_t>(avp_index(*def)) : kUnknownDef;
    n.group = true;
    return append_node(parent, n);
}

size_t Message::encoded_size(uint32_t node) const {
    const Node& n = nodes_[node];
    size_t size = avp_header_size(n.flags);
    if (!n.group) return padded(size + n.data_length);
    for (uint32_t c = n.first_child; c != kNone; c = nodes_[c].next) size += encoded_size(c);
    return size;
}

size_t Message::encoded_size() const {
    size_t size = kHeaderSize;
    for (uint32_t c = first_child(0); c != kNone; c = nodes_[c].next) size += encoded_size(c);
    return size;
}

// Writes one AVP at `out` (zeroed memory: padding stays zero) and returns the end.
uint8_t* Message::encode_node(uint32_t node, uint8_t* out) const {
    const Node& n = nodes_[node];
    const size_t header_size = avp_header_size(n.flags);
    uint8_t* data = out + header_size;
    uint8_t* end;
    if (n.group) {
        end = encode_children(node, data);
    } else {
        if (n.data_length != 0) std::memcpy(data, bytes_.data() + n.data_offset, n.data_length);
        end = data + n.data_length;
    }
    write_avp_header(out, {n.code, n.flags, static_cast<uint32_t>(end - out), n.vendor_id});
    return out + padded(static_cast<size_t>(end - out));
}

uint8_t* Message::encode_children(uint32_t node, uint8_t* out) const {
    for (uint32_t c = nodes_[node].first_child; c != kNone; c = nodes_[c].next)
        out = encode_node(c, out);
    return out;
}

void Message::encode(std::vector<uint8_t>& out) const {
    const size_t start = out.size();
    // An upper bound: every AVP gets at most a vendor header and 3 bytes of padding, and bytes_
    // holds at least all leaf data. Resizing zero-fills, which is the padding.
    const size_t bound = kHeaderSize + nodes_.size() * (kAvpVendorHeaderSize + 3) + bytes_.size();
    out.resize(start + bound);
    uint8_t* const head = out.data() + start;
    uint8_t* const end = encode_children(0, head + kHeaderSize);
    const auto length = static_cast<uint32_t>(end - head);
    head[0] = kVersion;
    store_be24(head + 1, length);
    head[4] = flags_;
    store_be24(head + 5, command_code_);
    store_be32(head + 8, application_id_);
    store_be32(head + 12, hop_by_hop_);
    store_be32(head + 16, end_to_end_);
    out.resize(start + length);
}

std::vector<uint8_t> Message::encode() const {
    std::vector<uint8_t> out;
    encode(out);
    return out;
}

bool Message::nodes_equal(const Message& other, uint32_t a, uint32_t b) const {
    const Node& x = nodes_[a];
    const Node& y = other.nodes_[b];
    if (x.code != y.code || x.flags != y.flags || x.vendor_id != y.vendor_id) return false;
    if (x.group && y.group) {
        uint32_t i = x.first_child;
        uint32_t j = y.first_child;
        for (; i != kNone && j != kNone; i = nodes_[i].next, j = other.nodes_[j].next)
            if (!nodes_equal(other, i, j)) return false;
        return i == kNone && j == kNone;
    }
    if (!x.group && !y.group)
        return x.data_length == y.data_length &&
               std::equal(bytes_.begin() + x.data_offset,
                          bytes_.begin() + x.data_offset + x.data_length,
                          other.bytes_.begin() + y.data_offset);
    // A group on one side and opaque data on the other: equal when the data is the group encoded.
    return Avp(this, a).encode() == Avp(&other, b).encode();
}

bool Message::operator==(const Message& other) const {
    return flags_ == other.flags_ && command_code_ == other.command_code_ &&
           application_id_ == other.application_id_ && hop_by_hop_ == other.hop_by_hop_ &&
           end_to_end_ == other.end_to_end_ && nodes_equal(other, 0, 0);
}

// ---- Stream framing ----

FrameCheck check_frame(std::span<const uint8_t> stream, size_t max_message_size) {
    FrameCheck check;
    if (stream.empty()) return check;
    if (stream[0] != kVersion) {
        check.state = FrameCheck::State::invalid;
        check.error = "version " + std::to_string(stream[0]) + ", not 1";
        return check;
    }
    if (stream.size() < 4) return check;
    const size_t length = load_be24(stream.data() + 1);
    std::string why;
    if (length < kHeaderSize)
        why = "Message Length " + std::to_string(length) + " is under the 20-byte header";
    else if (length % 4 != 0)
        why = "Message Length " + std::to_string(length) + " is not a multiple of 4";
    else if (length > max_message_size)
        why = "Message Length " + std::to_string(length) + " exceeds " +
              std::to_string(max_message_size);
    if (!why.empty()) {
        check.state = FrameCheck::State::invalid;
        check.error = std::move(why);
        return check;
    }
    if (stream.size() < length) return check;
    check.state = FrameCheck::State::complete;
    check.length = length;
    return check;
}

// ---- Decoding ----

class Decoder {
public:
    Decoder(Message& message, const CodecConfig& config) : m_(message), config_(config) {}

    // An empty message with room for every AVP the frame can hold (12 bytes at least each).
    static Message empty_for(std::span<const uint8_t> frame, const CodecConfig& config) {
        return Message(config.msf_vendor_id, std::min(frame.size() / 12, config.max_avps) + 1);
    }

    std::optional<Error> parse_message(std::span<const uint8_t> frame) {
        m_.bytes_.assign(frame.begin(), frame.end());
        return parse_avps(0, nullptr, kHeaderSize, frame.size(), 0, false);
    }

    // Parses the AVPs in bytes_[begin, end) as children of `parent`.
    std::optional<Error> parse_avps(uint32_t parent, const AvpDef* parent_def, size_t begin,
                                    size_t end, size_t depth, bool inside_failed_avp) {
        const std::vector<uint8_t>& bytes = m_.bytes_;
        size_t pos = begin;
        while (pos < end) {
            const size_t left = end - pos;
            const AvpHeader h = read_avp_header({bytes.data() + pos, left});
            const size_t header_size = h.header_size();
            if (left < header_size) {
                // §7.1.5: pad the incomplete header with zeros to a header's size.
                std::vector<uint8_t> failed(header_size, 0);
                std::memcpy(failed.data(), bytes.data() + pos, left);
                return make_error(ResultCode::invalid_avp_length, std::move(failed),
                                  where(parent_def) + ": " + std::to_string(left) +
                                      " bytes left, too few for an AVP header");
            }
            const AvpDef* def = find_avp(h.code, h.vendor_id, config_.msf_vendor_id);
            if (h.length < header_size || h.length > left) {
                const std::string problem = h.length < header_size
                                                ? " is under its header's size"
                                                : " overruns " + where(parent_def);
                return make_error(ResultCode::invalid_avp_length,
                                  example_avp(h.code, h.flags, h.vendor_id, def),
                                  describe_avp(h.code, h.vendor_id, config_.msf_vendor_id) +
                                      ": AVP Length " + std::to_string(h.length) + problem);
            }
            // §4.4: a group's data is whole AVPs with their padding.
            if (padded(h.length) > left)
                return make_error(ResultCode::invalid_avp_length,
                                  example_avp(h.code, h.flags, h.vendor_id, def),
                                  describe_avp(h.code, h.vendor_id, config_.msf_vendor_id) +
                                      ": padding overruns " + where(parent_def));
            const std::span<const uint8_t> whole(bytes.data() + pos, h.length);
            if (!inside_failed_avp && (h.flags & kAvpFlagsReserved) != 0)
                return make_error(ResultCode::invalid_avp_bits, copy_padded(whole),
                                  describe_avp(h.code, h.vendor_id, config_.msf_vendor_id) +
                                      ": reserved flag bits set");
            if (m_.nodes_.size() > config_.max_avps)
                return make_error(ResultCode::unable_to_comply, {},
                                  "more than " + std::to_string(config_.max_avps) + " AVPs");
            const size_t data_begin = pos + header_size;
            const size_t data_end = pos + h.length;
            if (def != nullptr && def->type == DataType::grouped) {
                if (auto e = parse_group(parent, *def, h, data_begin, data_end, depth,
                                         inside_failed_avp))
                    return e;
            } else {
                if (def != nullptr && !inside_failed_avp &&
                    !data_size_ok(def->type, whole.subspan(header_size)))
                    return make_error(ResultCode::invalid_avp_length, copy_padded(whole),
                                      describe_avp(h.code, h.vendor_id, config_.msf_vendor_id) +
                                          ": " +
                                          check_data_size(def->type, whole.subspan(header_size)));
                add_node(parent, h, def, data_begin, data_end, false);
            }
            pos += padded(h.length);
        }
        return std::nullopt;
    }

private:
    std::optional<Error> parse_group(uint32_t parent, const AvpDef& def, const AvpHeader& h,
                                     size_t data_begin, size_t data_end, size_t depth,
                                     bool inside_failed_avp) {
        if (depth + 1 > config_.max_depth)
            return make_error(
                ResultCode::unable_to_comply, example_avp(h.code, h.flags, h.vendor_id, &def),
                describe_avp(h.code, h.vendor_id, config_.msf_vendor_id) +
                    ": grouped AVPs nested deeper than " + std::to_string(config_.max_depth));
        const uint32_t node = add_node(parent, h, &def, data_begin, data_end, true);
        const bool failed_avp = &def == &avp::failed_avp;
        auto e = parse_avps(node, &def, data_begin, data_end, depth + 1,
                            inside_failed_avp || failed_avp);
        if (!e) return std::nullopt;
        if (!failed_avp || inside_failed_avp) return e;
        // What a peer reports as failed may itself be broken (§7.1.5 even says how to pad a cut
        // header): keep the outermost Failed-AVP's contents as opaque data.
        m_.nodes_.resize(node + 1);
        Message::Node& n = m_.nodes_[node];
        n.group = false;
        n.first_child = n.last_child = Message::kNone;
        return std::nullopt;
    }

    uint32_t add_node(uint32_t parent, const AvpHeader& h, const AvpDef* def, size_t data_begin,
                      size_t data_end, bool group) {
        Message::Node n;
        n.code = h.code;
        n.vendor_id = h.vendor_id;
        n.flags = h.flags;
        n.def = def != nullptr ? static_cast<uint16_t>(avp_index(*def)) : Message::kUnknownDef;
        n.data_offset = static_cast<uint32_t>(data_begin);
        n.data_length = static_cast<uint32_t>(data_end - data_begin);
        n.group = group;
        return m_.append_node(parent, n);
    }

    std::string where(const AvpDef* group) const {
        return group != nullptr ? std::string(group->name) : std::string("the message");
    }

    static std::vector<uint8_t> copy_padded(std::span<const uint8_t> whole) {
        std::vector<uint8_t> out(padded(whole.size()), 0);
        std::memcpy(out.data(), whole.data(), whole.size());
        return out;
    }

    Message& m_;
    const CodecConfig& config_;
};

Decoded<Message> decode(std::span<const uint8_t> frame, const CodecConfig& config) {
    if (frame.size() < kHeaderSize)
        return make_error(ResultCode::invalid_message_length, {},
                          std::to_string(frame.size()) + " bytes, under the 20-byte header");
    if (frame[0] != kVersion)
        return make_error(ResultCode::unsupported_version, {},
                          "version " + std::to_string(frame[0]));
    const size_t length = load_be24(frame.data() + 1);
    if (length != frame.size() || length % 4 != 0 || length > config.max_message_size)
        return make_error(ResultCode::invalid_message_length, {},
                          "Message Length " + std::to_string(length) + " in a frame of " +
                              std::to_string(frame.size()) + " bytes");
    const uint8_t flags = frame[4];
    // §3: E "MUST NOT be set in request messages"; T "MUST NOT be set in answer messages".
    if ((flags & kFlagRequest) != 0 && (flags & kFlagError) != 0)
        return make_error(ResultCode::invalid_hdr_bits, {}, "E bit set in a request");
    if ((flags & kFlagRequest) == 0 && (flags & kFlagRetransmitted) != 0)
        return make_error(ResultCode::invalid_hdr_bits, {}, "T bit set in an answer");

    Message m = Decoder::empty_for(frame, config);
    m.set_flags(flags)  // reserved bits are kept, and ignored (§3)
        .set_command_code(load_be24(frame.data() + 5))
        .set_application_id(load_be32(frame.data() + 8))
        .set_hop_by_hop(load_be32(frame.data() + 12))
        .set_end_to_end(load_be32(frame.data() + 16));
    Decoder decoder(m, config);
    if (auto e = decoder.parse_message(frame)) return std::move(*e);
    return m;
}

// ---- Validation ----

namespace {

class Validator {
public:
    explicit Validator(const Message& message) : m_(message) {}

    std::optional<Error> check_avps(Range avps, std::span<const AvpRule> rules,
                                    const AvpDef* group) {
        static constexpr size_t kMaxRules = kMaxRulesPerSet;
        static constexpr uint8_t kNoRule = 0xff;
        std::array<uint16_t, kMaxRules> counts{};
        std::array<uint8_t, kAvpCount> rule_of;  // kAvps index -> position in `rules`
        rule_of.fill(kNoRule);
        for (size_t r = 0; r < rules.size() && r < kMaxRules; ++r)
            rule_of[rules[r].avp] = static_cast<uint8_t>(r);
        for (Avp avp : avps) {
            const AvpDef* def = avp.def();
            if (def == nullptr) {
                // §4.1: an AVP with the M bit that the receiver does not understand is an error.
                if (avp.mandatory())
                    return make_error(
                        ResultCode::avp_unsupported, avp.encode(),
                        describe_avp(avp.code(), avp.vendor_id(), m_.msf_vendor_id()) +
                            " has the M bit and is not supported");
                continue;
            }
            if (avp.is_group()) {
                if (def != &avp::failed_avp)
                    if (auto e = check_avps(avp.children(), group_rules(*def), def)) return e;
            } else if (has_value_rules(*def)) {
                std::string why;
                if (def->type == DataType::ip_filter_rule) {
                    // check_data_value's parse, made through the message so that the
                    // application reads the rule back instead of parsing it again.
                    if (avp.parsed_ip_filter_rule() == nullptr)
                        why = avp.ip_filter_rule().error().message;
                } else {
                    why = check_data_value(*def, avp.data());
                }
                if (!why.empty())
                    return make_error(
                        ResultCode::invalid_avp_value, avp.encode(),
                        describe_avp(avp.code(), avp.vendor_id(), m_.msf_vendor_id()) + ": " + why);
            }
            const uint8_t r = rule_of[avp_index(*def)];
            if (r != kNoRule && ++counts[r] > rules[r].max)
                return make_error(
                    ResultCode::avp_occurs_too_many_times, avp.encode(),
                    container_name(m_, group) + ": " +
                        describe_avp(avp.code(), avp.vendor_id(), m_.msf_vendor_id()) +
                        " occurs more than " + std::to_string(rules[r].max) + " time" +
                        (rules[r].max == 1 ? "" : "s"));
        }
        for (size_t r = 0; r < rules.size() && r < kMaxRules; ++r) {
            if (counts[r] >= rules[r].min) continue;
            const AvpDef& missing = kAvps[rules[r].avp];
            const uint32_t vendor = vendor_id(missing.vendor, m_.msf_vendor_id());
            return make_error(ResultCode::missing_avp,
                              example_avp(missing.code, missing.flags_to_send(), vendor, &missing),
                              container_name(m_, group) + " lacks " +
                                  describe_avp(missing.code, vendor, m_.msf_vendor_id()));
        }
        return std::nullopt;
    }

private:
    const Message& m_;
};

}  // namespace

std::optional<Error> validate(const Message& message) {
    const CommandDef* command = message.command();
    if (command == nullptr)
        return make_error(
            ResultCode::command_unsupported, {},
            "command code " + std::to_string(message.command_code()) + " is not supported");
    const bool request = message.is_request();
    const uint32_t app = message.application_id();
    // Kamailio 5.6's cdp answers an ASR with application id 0 (Send_ASA): accepted in answers.
    if (app != command->application && (request || app != app::base))
        return make_error(ResultCode::application_unsupported, {},
                          message.name() + " with application id " + std::to_string(app) +
                              ", expected " + std::to_string(command->application));
    if (request && message.is_proxiable() != command->proxiable)
        return make_error(
            ResultCode::invalid_hdr_bits, {},
            message.name() + (command->proxiable ? " without" : " with") + " the P bit");
    const std::span<const AvpRule> rules = request ? command->request_rules
                                           : message.is_error()
                                               ? std::span<const AvpRule>(kProtocolErrorAnswerRules)
                                               : command->answer_rules;
    return Validator(message).check_avps(message.avps(), rules, nullptr);
}

// ---- Error answers ----

Message error_answer(std::span<const uint8_t> request_frame, const Error& error,
                     std::string_view origin_host, std::string_view origin_realm,
                     const CodecConfig& config) {
    uint8_t header[kHeaderSize] = {};
    std::memcpy(header, request_frame.data(), std::min(request_frame.size(), kHeaderSize));
    const uint8_t request_flags = header[4];
    const uint32_t command_code = load_be24(header + 5);
    const uint32_t application = load_be32(header + 8);

    Message answer(config.msf_vendor_id);
    answer
        .set_flags(static_cast<uint8_t>((request_flags & kFlagProxiable) |
                                        (error.protocol_error() ? kFlagError : 0)))
        .set_command_code(command_code)
        .set_application_id(application)
        .set_hop_by_hop(load_be32(header + 12))
        .set_end_to_end(load_be32(header + 16));

    // The request's Session-Id and Proxy-Info, walking the top level as far as it is well formed.
    std::span<const uint8_t> session_id;
    bool have_session_id = false;
    std::vector<std::span<const uint8_t>> proxy_infos;  // whole AVPs, padding included
    const size_t end =
        std::min(request_frame.size(), std::max<size_t>(load_be24(header + 1), kHeaderSize));
    for (size_t pos = kHeaderSize; pos + kAvpHeaderSize <= end;) {
        const AvpHeader h = read_avp_header(request_frame.subspan(pos, end - pos));
        if (h.length < h.header_size() || padded(h.length) > end - pos) break;
        if (!h.vendor() && h.code == avp::session_id.code && !have_session_id) {
            session_id = request_frame.subspan(pos + h.header_size(), h.length - h.header_size());
            have_session_id = true;
        }
        if (!h.vendor() && h.code == avp::proxy_info.code)
            proxy_infos.push_back(request_frame.subspan(pos, padded(h.length)));
        pos += padded(h.length);
    }
    if (have_session_id) answer.add(avp::session_id, session_id);
    answer.add(avp::origin_host, origin_host)
        .add(avp::origin_realm, origin_realm)
        .add(avp::result_code, error.code());
    if (!error.protocol_error()) {
        const CommandDef* command = find_command(command_code);
        if (command != nullptr)
            for (const AvpRule& rule : command->answer_rules)
                if (rule.avp == avp_index(avp::auth_application_id) && rule.min > 0)
                    answer.add(avp::auth_application_id, application);
    }
    if (!error.message.empty()) {
        // Error-Message is UTF8String: keep printable ASCII, bounded.
        std::string text = error.message.substr(0, kMaxErrorMessage);
        for (char& c : text)
            if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f)
                c = '?';
        answer.add(avp::error_message, text);
    }
    if (!error.failed_avp.empty())
        answer.add_raw(avp::failed_avp.code, avp::failed_avp.flags_to_send(), 0, error.failed_avp);
    // §6.2: Proxy-Info goes back as it came, but only one that decodes: a broken one in a broken
    // request must not make our answer unreadable.
    for (const auto& proxy_info : proxy_infos) {
        std::vector<uint8_t> scratch(kHeaderSize, 0);
        scratch.insert(scratch.end(), proxy_info.begin(), proxy_info.end());
        scratch[0] = kVersion;
        store_be24(scratch.data() + 1, static_cast<uint32_t>(scratch.size()));
        const auto decoded = decode(scratch, config);
        if (decoded) answer.root().add_copy(*decoded->avps().begin());
    }
    return answer;
}

Message error_answer(const Message& request, const Error& error, std::string_view origin_host,
                     std::string_view origin_realm) {
    CodecConfig config;
    config.msf_vendor_id = request.msf_vendor_id();
    return error_answer(request.encode(), error, origin_host, origin_realm, config);
}

}  // namespace msf::diameter
