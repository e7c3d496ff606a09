// Diameter messages (RFC 6733 §3): building, encoding, stream framing, decoding and validation
// against the dictionary, and the error answer for a request that failed.
//
//    0                   1                   2                   3
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |    Version    |                 Message Length                |
//   | command flags |                  Command Code                 |
//   |                         Application-ID                        |
//   |                      Hop-by-Hop Identifier                    |
//   |                      End-to-End Identifier                    |
//   |  AVPs ...
//
// A Message keeps its AVPs as a tree of small nodes in one vector and their data in one byte
// vector: a decoded message is a copy of its frame plus one node per AVP, so decoding an AAR costs
// two allocations, whatever its size. Encoding is canonical: a decoded message re-encodes to the
// bytes it came from (padding bytes are written as zero, whatever they were).
//
//   Message aar = Message::request(cmd::aar);
//   aar.add(avp::session_id, "pcscf.example;1;2").add(avp::auth_application_id, app::rx);
//   AvpWriter mcd = aar.add_group(avp::media_component_description);
//   mcd.add(avp::media_component_number, 1u).add(avp::media_type, 0u);
//   std::vector<uint8_t> wire = aar.encode();
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "controlplane/diameter/avp.hpp"
#include "controlplane/diameter/dictionary.hpp"
#include "controlplane/diameter/error.hpp"
#include "controlplane/diameter/ip_filter_rule.hpp"
#include "dataplane/net/addr.hpp"

namespace msf::diameter {

inline constexpr size_t kHeaderSize = 20;
inline constexpr uint8_t kVersion = 1;

// RFC 6733 §3 command flags.
inline constexpr uint8_t kFlagRequest = 0x80;
inline constexpr uint8_t kFlagProxiable = 0x40;
inline constexpr uint8_t kFlagError = 0x20;
inline constexpr uint8_t kFlagRetransmitted = 0x10;
inline constexpr uint8_t kFlagsReserved =
    0x0f;  // "MUST be set to zero and ignored by the receiver"

// Limits of the codec, set once at start-up.
struct CodecConfig {
    uint32_t msf_vendor_id = kMsfVendorId;  // vendor of the MSF-* AVPs
    size_t max_message_size = 64 * 1024;    // larger frames are invalid (the connection closes)
    size_t max_avps = 4096;                 // AVPs per message, groups and their contents counted
    size_t max_depth = 16;                  // grouped AVPs inside grouped AVPs
};

// Throws std::invalid_argument for a configuration the codec cannot work with: an MSF vendor id of
// 0, 10415 or 13019 (their AVP codes would collide), a maximum size under 20 bytes, over the 24-bit
// Message Length or not a multiple of 4, a zero AVP count or a depth outside 1..64.
void check_config(const CodecConfig& config);

class Message;
class Avp;

// AVPs that follow one another in a message or group, optionally only those of one code and vendor.
class Range {
public:
    class iterator {
    public:
        using iterator_category = std::forward_iterator_tag;
        using value_type = Avp;
        using difference_type = std::ptrdiff_t;
        using pointer = void;
        using reference = Avp;

        iterator() = default;
        Avp operator*() const;
        iterator& operator++();
        iterator operator++(int) {
            iterator old = *this;
            ++*this;
            return old;
        }
        bool operator==(const iterator& other) const { return node_ == other.node_; }

    private:
        friend class Range;
        iterator(const Message* message, uint32_t node, const AvpDef* filter);
        void skip_unmatched();
        const Message* message_ = nullptr;
        uint32_t node_ = 0xffffffff;
        const AvpDef* filter_ = nullptr;
    };

    iterator begin() const { return iterator(message_, first_, filter_); }
    iterator end() const { return iterator(); }
    bool empty() const { return begin() == end(); }
    size_t size() const;

private:
    friend class Avp;
    friend class Message;
    Range(const Message* message, uint32_t first, const AvpDef* filter)
        : message_(message), first_(first), filter_(filter) {}
    const Message* message_;
    uint32_t first_;
    const AvpDef* filter_;
};

// A read-only view of one AVP of a Message. Valid while the message lives and gets no new AVPs.
class Avp {
public:
    uint32_t code() const;
    uint32_t vendor_id() const;
    uint8_t flags() const;
    bool mandatory() const { return (flags() & kAvpFlagMandatory) != 0; }
    // The dictionary entry, or nullptr for an AVP the dictionary does not know.
    const AvpDef* def() const;
    bool is(const AvpDef& def) const;
    // Grouped AVPs that were decoded or built as groups have children and no data.
    bool is_group() const;

    // The data as it is on the wire (no padding); empty for a group.
    std::span<const uint8_t> data() const;
    std::string_view text() const;  // data() as characters, no check

    // Typed reads: nullopt when the data has not the size of the type.
    std::optional<uint32_t> unsigned32() const;
    std::optional<int32_t> integer32() const;
    std::optional<uint64_t> unsigned64() const;
    std::optional<int64_t> integer64() const;
    std::optional<float> float32() const;
    std::optional<double> float64() const;
    std::optional<uint32_t> enumerated() const { return unsigned32(); }  // the wire value
    std::optional<uint32_t> time() const { return unsigned32(); }        // NTP seconds, see avp.hpp
    // An Address of family IPv4 or IPv6, or the 4 bytes of a Framed-IP-Address.
    std::optional<net::IpAddr> address() const;
    // text() as an IPFilterRule (RFC 6733 §4.3.1). Parsed once per message: validate() checks
    // every Flow-Description this way and the Rx application reads the same rules back.
    Decoded<IpFilterRule> ip_filter_rule() const;
    // The same rule without a copy, or nullptr when it does not parse (ip_filter_rule() says why).
    // Valid until this is called for another AVP of the message (which may add to the rules kept).
    const IpFilterRule* parsed_ip_filter_rule() const;

    // Contents of a group, in order.
    Range children() const;
    // The first child that is `def`, or nullopt.
    std::optional<Avp> find(const AvpDef& def) const;
    // Every child that is `def`.
    Range find_all(const AvpDef& def) const;

    // This AVP alone, encoded (header, data, padding): what a Failed-AVP carries.
    std::vector<uint8_t> encode() const;

private:
    friend class Message;
    friend class Range;
    friend class Range::iterator;
    Avp(const Message* message, uint32_t node) : message_(message), node_(node) {}
    const Message* message_;
    uint32_t node_;
};

// Appends AVPs to a message or to one of its groups. Adding an AVP with a value of the wrong kind
// for its data type (a string to an Unsigned32, say) is a programming error: std::logic_error.
class AvpWriter {
public:
    // Integer32/64, Unsigned32/64, Enumerated and Time: the value is written in the AVP's size.
    template <std::integral T>
    requires(!std::same_as<T, bool>) AvpWriter& add(const AvpDef& def, T value) {
        if constexpr (std::is_signed_v<T>)
            return add_integer(def, static_cast<uint64_t>(static_cast<int64_t>(value)));
        else
            return add_integer(def, static_cast<uint64_t>(value));
    }
    // OctetString and its derived types (UTF8String, DiameterIdentity, DiameterURI, IPFilterRule).
    AvpWriter& add(const AvpDef& def, std::string_view text);
    AvpWriter& add(const AvpDef& def, const char* text) { return add(def, std::string_view(text)); }
    AvpWriter& add(const AvpDef& def, std::span<const uint8_t> bytes);
    // Address, or the 4 bytes of Framed-IP-Address (ipv4_octets).
    AvpWriter& add(const AvpDef& def, const net::IpAddr& address);
    AvpWriter& add(const AvpDef& def, const Ipv6Prefix& prefix);
    AvpWriter& add(const AvpDef& def, double value);  // Float32 and Float64
    // A grouped AVP; add its contents through the returned writer.
    AvpWriter add_group(const AvpDef& def);
    // Any AVP as given, unchecked: unknown AVPs, opaque copies, and tests that need broken ones.
    // The Vendor-ID field is written when `flags` has the V bit.
    AvpWriter& add_raw(uint32_t code, uint8_t flags, uint32_t vendor_id,
                       std::span<const uint8_t> data);
    // A copy of an AVP of this or another message, contents included.
    AvpWriter& add_copy(const Avp& avp);

private:
    friend class Message;
    AvpWriter(Message* message, uint32_t node) : message_(message), node_(node) {}
    AvpWriter& add_integer(const AvpDef& def, uint64_t value);
    AvpWriter& add_leaf(const AvpDef& def, std::span<const uint8_t> data);
    Message* message_;
    uint32_t node_;
};

class Message {
public:
    // An empty answer with a zero header; set the header and add AVPs. Most code starts from
    // request(), answer_to() or decode() instead.
    explicit Message(uint32_t msf_vendor_id = kMsfVendorId);

    // A request of `command` (application, P bit from the table). Hop-by-hop and end-to-end ids
    // are the caller's to set (the peer layer owns them).
    static Message request(const CommandDef& command, uint32_t msf_vendor_id = kMsfVendorId);
    // The answer's header and start (RFC 6733 §6.2): same command, application, hop-by-hop and
    // end-to-end ids, R and T cleared, P kept; Session-Id first if the request has one, and the
    // request's Proxy-Info AVPs copied in order (§6.2 step 4).
    static Message answer_to(const Message& request);

    // ---- Header ----
    uint8_t flags() const { return flags_; }
    bool is_request() const { return (flags_ & kFlagRequest) != 0; }
    bool is_proxiable() const { return (flags_ & kFlagProxiable) != 0; }
    bool is_error() const { return (flags_ & kFlagError) != 0; }
    bool is_retransmitted() const { return (flags_ & kFlagRetransmitted) != 0; }
    uint32_t command_code() const { return command_code_; }
    uint32_t application_id() const { return application_id_; }
    uint32_t hop_by_hop() const { return hop_by_hop_; }
    uint32_t end_to_end() const { return end_to_end_; }
    uint32_t msf_vendor_id() const { return msf_vendor_id_; }
    // The dictionary entry of the command, or nullptr.
    const CommandDef* command() const { return find_command(command_code_); }
    // "AAR", "CEA", or "command 999 request".
    std::string name() const;

    Message& set_flags(uint8_t flags) {
        flags_ = flags;
        return *this;
    }
    Message& set_error(bool on) { return set_flag(kFlagError, on); }
    Message& set_retransmitted(bool on) { return set_flag(kFlagRetransmitted, on); }
    Message& set_command_code(uint32_t code) {
        command_code_ = code & 0xffffff;
        return *this;
    }
    Message& set_application_id(uint32_t id) {
        application_id_ = id;
        return *this;
    }
    Message& set_hop_by_hop(uint32_t id) {
        hop_by_hop_ = id;
        return *this;
    }
    Message& set_end_to_end(uint32_t id) {
        end_to_end_ = id;
        return *this;
    }

    // ---- Top-level AVPs ----
    Range avps() const { return Range(this, first_child(0), nullptr); }
    std::optional<Avp> find(const AvpDef& def) const;
    Range find_all(const AvpDef& def) const;
    size_t avp_count() const { return nodes_.size() - 1; }  // groups' contents included
    // The Session-Id's text, or empty.
    std::string_view session_id() const;

    template <class T>
    Message& add(const AvpDef& def, T&& value) {
        root().add(def, std::forward<T>(value));
        return *this;
    }
    AvpWriter add_group(const AvpDef& def) { return root().add_group(def); }
    Message& add_raw(uint32_t code, uint8_t flags, uint32_t vendor_id,
                     std::span<const uint8_t> data) {
        root().add_raw(code, flags, vendor_id, data);
        return *this;
    }
    AvpWriter root() { return AvpWriter(this, 0); }

    // ---- Encoding ----
    // Appends the message to `out`. The caller checks the size against the peer's limit.
    void encode(std::vector<uint8_t>& out) const;
    std::vector<uint8_t> encode() const;
    size_t encoded_size() const;

    // Same header and the same AVPs (code, flags, vendor, data or contents) in the same order: the
    // two encode to the same bytes.
    bool operator==(const Message& other) const;

private:
    friend class Avp;
    friend class Range;
    friend class Range::iterator;
    friend class AvpWriter;
    friend class Decoder;

    static constexpr uint32_t kNone = 0xffffffff;
    static constexpr uint16_t kUnknownDef = 0xffff;

    // With room for this many nodes (the decoder knows its frame's bound: one allocation).
    Message(uint32_t msf_vendor_id, size_t node_capacity);

    // One AVP. Node 0 is the message itself (a group of the top-level AVPs).
    struct Node {
        uint32_t code = 0;
        uint32_t vendor_id = 0;
        uint32_t data_offset = 0;  // leaf: its data is bytes_[data_offset, +data_length)
        uint32_t data_length = 0;
        uint32_t first_child = kNone;
        uint32_t last_child = kNone;
        uint32_t next = kNone;
        uint16_t def = kUnknownDef;  // index into kAvps
        uint8_t flags = 0;
        bool group = false;
    };

    Message& set_flag(uint8_t flag, bool on) {
        flags_ = static_cast<uint8_t>(on ? flags_ | flag : flags_ & ~flag);
        return *this;
    }
    uint32_t first_child(uint32_t node) const { return nodes_[node].first_child; }
    uint32_t append_node(uint32_t parent, const Node& node);
    uint32_t append_leaf(uint32_t parent, uint32_t code, uint8_t flags, uint32_t vendor_id,
                         const AvpDef* def, std::span<const uint8_t> data);
    uint32_t append_group(uint32_t parent, uint32_t code, uint8_t flags, uint32_t vendor_id,
                          const AvpDef* def);
    size_t encoded_size(uint32_t node) const;
    uint8_t* encode_node(uint32_t node, uint8_t* out) const;
    uint8_t* encode_children(uint32_t node, uint8_t* out) const;
    bool nodes_equal(const Message& other, uint32_t a, uint32_t b) const;

    uint8_t flags_ = 0;
    uint32_t command_code_ = 0;
    uint32_t application_id_ = 0;
    uint32_t hop_by_hop_ = 0;
    uint32_t end_to_end_ = 0;
    uint32_t msf_vendor_id_ = kMsfVendorId;
    std::vector<Node> nodes_;
    std::vector<uint8_t> bytes_;
    // The rules Avp::parsed_ip_filter_rule() parsed (ip_filter_rule() goes through it), sorted by
    // node. AVPs are only ever appended, never changed, so an entry holds for the message's life.
    // Not part of operator==.
    mutable std::vector<std::pair<uint32_t, IpFilterRule>> filter_rules_;
};

// ---- Inline accessors (the Rx code reads AVPs in loops) ----

inline uint32_t Avp::code() const { return message_->nodes_[node_].code; }
inline uint32_t Avp::vendor_id() const { return message_->nodes_[node_].vendor_id; }
inline uint8_t Avp::flags() const { return message_->nodes_[node_].flags; }
inline bool Avp::is_group() const { return message_->nodes_[node_].group; }
inline const AvpDef* Avp::def() const {
    const uint16_t def = message_->nodes_[node_].def;
    return def == Message::kUnknownDef ? nullptr : &kAvps[def];
}
inline bool Avp::is(const AvpDef& def) const {
    return message_->nodes_[node_].def == avp_index(def);
}
inline std::span<const uint8_t> Avp::data() const {
    const Message::Node& n = message_->nodes_[node_];
    if (n.group) return {};
    return {message_->bytes_.data() + n.data_offset, n.data_length};
}
inline std::string_view Avp::text() const {
    const auto d = data();
    return {reinterpret_cast<const char*>(d.data()), d.size()};
}

// Inline: the decoder adds one node per AVP it reads.
inline uint32_t Message::append_node(uint32_t parent, const Node& node) {
    const auto index = static_cast<uint32_t>(nodes_.size());
    nodes_.push_back(node);
    Node& p = nodes_[parent];
    if (p.last_child == kNone)
        p.first_child = index;
    else
        nodes_[p.last_child].next = index;
    p.last_child = index;
    return index;
}

inline Avp Range::iterator::operator*() const { return Avp(message_, node_); }
inline Range::iterator::iterator(const Message* message, uint32_t node, const AvpDef* filter)
    : message_(message), node_(node), filter_(filter) {
    skip_unmatched();
}
inline void Range::iterator::skip_unmatched() {
    if (filter_ == nullptr) return;
    const auto want = static_cast<uint16_t>(avp_index(*filter_));
    while (node_ != Message::kNone && message_->nodes_[node_].def != want)
        node_ = message_->nodes_[node_].next;
}
inline Range::iterator& Range::iterator::operator++() {
    node_ = message_->nodes_[node_].next;
    skip_unmatched();
    return *this;
}

// ---- Stream framing ----

// Where the next message of a byte stream stands. `invalid` is not recoverable: the stream cannot
// be resynchronised, and the peer layer logs `error` and closes the connection.
struct FrameCheck {
    enum class State : uint8_t { need_more, complete, invalid } state = State::need_more;
    size_t length = 0;  // complete: bytes of the message
    std::string error;  // invalid: why
};

// Looks at the version and Message Length only: invalid when the version is not 1, or the length is
// under 20, not a multiple of 4, or over `max_message_size`.
FrameCheck check_frame(std::span<const uint8_t> stream,
                       size_t max_message_size = CodecConfig{}.max_message_size);

// ---- Decoding and validation ----

// One whole message (exactly check_frame's length). Checks the structure and what needs no
// command: the header (version: 5011; Message Length against the frame: 5015; E bit on a request,
// T bit on an answer: 3008), every AVP's length (under its header, over its message or group, or a
// data size its type does not have: 5014), reserved AVP flag bits (3009), and the limits of the
// configuration (too many AVPs, groups nested too deep: 5012). The error's Failed-AVP follows
// RFC 6733 §7.5 and §7.1.5.
Decoded<Message> decode(std::span<const uint8_t> frame, const CodecConfig& config = {});

// Checks a decoded message against the dictionary, first problem wins, in this order: command
// known (3001), application id (3007; an answer may also carry 0, as Kamailio's ASA does), P bit
// of a request as its command says (3008); then each AVP in message order, groups depth-first: an
// unknown AVP with the M bit (5001), a bad value (5004), more occurrences than allowed (5009);
// then, per message and group, a required AVP missing (5005, Failed-AVP an example of it with a
// zero payload). Answers with the E bit are checked against the §7.2 error-answer CCF. nullopt when
// the message is valid. Contents of Failed-AVP are not checked.
std::optional<Error> validate(const Message& message);

// The answer to a request that failed decode() or validate(), ready to encode: §7.2 for protocol
// errors (E bit set), the command's answer otherwise. It carries the request's Session-Id and
// Proxy-Info (as far as the request decodes), Origin-Host and Origin-Realm as given, Result-Code,
// Auth-Application-Id where the command's answer requires it, Error-Message (the error's message)
// and Failed-AVP. The peer layer may add more (a CEA needs Host-IP-Address, Vendor-Id,
// Product-Name) before encoding.
Message error_answer(std::span<const uint8_t> request_frame, const Error& error,
                     std::string_view origin_host, std::string_view origin_realm,
                     const CodecConfig& config = {});
Message error_answer(const Message& request, const Error& error, std::string_view origin_host,
                     std::string_view origin_realm);

}  // namespace msf::diameter
