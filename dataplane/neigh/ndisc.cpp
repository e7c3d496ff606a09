#include "dataplane/neigh/ndisc.hpp"

#include <cstring>

#include "dataplane/neigh/address_kinds.hpp"
#include "dataplane/net/byte_order.hpp"
#include "dataplane/net/checksum.hpp"
#include "dataplane/net/frame.hpp"

namespace msf::neigh {

namespace {

constexpr uint8_t kOptionSourceLinkAddr = 1;
constexpr uint8_t kOptionTargetLinkAddr = 2;

// RFC 4861 §4.4: R, S and O are the top three bits of the word after the checksum.
constexpr uint32_t kFlagRouter = 0x80000000u;
constexpr uint32_t kFlagSolicited = 0x40000000u;
constexpr uint32_t kFlagOverride = 0x20000000u;

net::ChecksumSum pseudo_header_sum(const net::IpAddr& src, const net::IpAddr& dst, size_t len) {
    return net::ipv6_pseudo_header_sum(src.bytes.data(), dst.bytes.data(), net::kIpProtoIcmpv6,
                                       static_cast<uint32_t>(len));
}

struct LinkAddrOptions {
    std::optional<net::MacAddr> source;
    std::optional<net::MacAddr> target;
};

// RFC 4861 §4.6: options are type, length in units of 8 octets, data. A zero length must make
// the receiver discard the packet (§7.1.1, §7.1.2); so does an option running past the end.
// Unknown options are skipped (§4.6). A link-layer option for Ethernet is exactly one unit
// (RFC 2464 §6); the first of each type counts.
Parsed<LinkAddrOptions> parse_options(std::span<const uint8_t> options) {
    using P = Parsed<LinkAddrOptions>;
    LinkAddrOptions out;
    size_t pos = 0;
    while (pos < options.size()) {
        if (options.size() - pos < 2) return P::malformed("ND option truncated");
        const uint8_t type = options[pos];
        const size_t len = size_t{options[pos + 1]} * 8;
        if (len == 0) return P::malformed("ND option with length 0");
        if (len > options.size() - pos) return P::malformed("ND option runs past the message");
        if (type == kOptionSourceLinkAddr || type == kOptionTargetLinkAddr) {
            if (len != kLinkLayerOptionLen)
                return P::malformed("ND link-layer address option is not 8 bytes");
            net::MacAddr mac;
            std::memcpy(mac.bytes.data(), &options[pos + 2], 6);
            auto& slot = type == kOptionSourceLinkAddr ? out.source : out.target;
            if (!slot) slot = mac;
        }
        pos += len;
    }
    return P::of(out);
}

// The checks §7.1.1 and §7.1.2 share; on success, the target address and the options.
struct CommonFields {
    uint32_t flags_word = 0;
    net::IpAddr target;
    LinkAddrOptions options;
};

Parsed<CommonFields> parse_common(const Ipv6Envelope& ip, std::span<const uint8_t> message) {
    using P = Parsed<CommonFields>;
    if (ip.hop_limit != kNdHopLimit) return P::malformed("ND hop limit is not 255");
    if (message.size() < kNdMessageLen) return P::malformed("ND message shorter than 24 bytes");
    if (!icmpv6_checksum_ok(ip.src, ip.dst, message)) return P::malformed("ICMPv6 checksum wrong");
    if (message[1] != 0) return P::malformed("ND code is not 0");
    CommonFields f;
    f.flags_word = net::load_be32(&message[4]);
    f.target = net::IpAddr::v6(&message[8]);
    if (is_multicast_ip(f.target)) return P::malformed("ND target is a multicast address");
    const auto options = parse_options(message.subspan(kNdMessageLen));
    if (!options.ok()) return P::malformed(options.reason);
    f.options = options.value;
    return P::of(f);
}

}  // namespace

uint16_t icmpv6_checksum(const net::IpAddr& src, const net::IpAddr& dst,
                         std::span<const uint8_t> message) {
    net::ChecksumSum sum = pseudo_header_sum(src, dst, message.size());
    sum = net::checksum_add(sum, message.data(), message.size());
    sum = net::checksum_add_word(
        sum, static_cast<uint16_t>(~net::load_be16(&message[2])));  // drop the field
    return static_cast<uint16_t>(~net::checksum_fold(sum));
}

bool icmpv6_checksum_ok(const net::IpAddr& src, const net::IpAddr& dst,
                        std::span<const uint8_t> message) {
    const net::ChecksumSum sum = net::checksum_add(pseudo_header_sum(src, dst, message.size()),
                                                   message.data(), message.size());
    return net::checksum_fold(sum) == 0xffff;
}

Parsed<NeighborSolicitation> parse_neighbor_solicitation(const Ipv6Envelope& ip,
                                                         std::span<const uint8_t> message) {
    using P = Parsed<NeighborSolicitation>;
    if (message.empty() || message[0] != kIcmpv6NeighborSolicitation)
        return P::ignored("not a Neighbor Solicitation");
    const auto common = parse_common(ip, message);
    if (!common.ok()) return P::malformed(common.reason);
    // §7.1.1: a DAD probe (unspecified source) goes to a solicited-node group and carries no
    // source link-layer address.
    if (is_unspecified_ip(ip.src)) {
        if (!is_solicited_node_address(ip.dst))
            return P::malformed("NS from :: not sent to a solicited-node address");
        if (common.value.options.source)
            return P::malformed("NS from :: carries a source link-layer address");
    }
    NeighborSolicitation ns;
    ns.target = common.value.target;
    ns.source_link_addr = common.value.options.source;
    if (ns.source_link_addr && !is_unicast_mac(*ns.source_link_addr))
        return P::malformed("NS source link-layer address is not unicast");
    return P::of(ns);
}

Parsed<NeighborAdvertisement> parse_neighbor_advertisement(const Ipv6Envelope& ip,
                                                           std::span<const uint8_t> message) {
    using P = Parsed<NeighborAdvertisement>;
    if (message.empty() || message[0] != kIcmpv6NeighborAdvertisement)
        return P::ignored("not a Neighbor Advertisement");
    const auto common = parse_common(ip, message);
    if (!common.ok()) return P::malformed(common.reason);
    NeighborAdvertisement na;
    na.target = common.value.target;
    na.router = (common.value.flags_word & kFlagRouter) != 0;
    na.solicited = (common.value.flags_word & kFlagSolicited) != 0;
    na.override_entry = (common.value.flags_word & kFlagOverride) != 0;
    na.target_link_addr = common.value.options.target;
    // §7.1.2: an advertisement to a group cannot answer a solicitation.
    if (is_multicast_ip(ip.dst) && na.solicited)
        return P::malformed("NA to a multicast address has the S flag");
    if (na.target_link_addr && !is_unicast_mac(*na.target_link_addr))
        return P::malformed("NA target link-layer address is not unicast");
    return P::of(na);
}

size_t write_neighbor_solicitation(uint8_t* out, const net::IpAddr& src, const net::IpAddr& dst,
                                   const net::IpAddr& target, const net::MacAddr& source_mac) {
    std::memset(out, 0, kNdMessageWithOptionLen);
    out[0] = kIcmpv6NeighborSolicitation;
    std::memcpy(out + 8, target.bytes.data(), 16);
    out[24] = kOptionSourceLinkAddr;
    out[25] = 1;
    std::memcpy(out + 26, source_mac.bytes.data(), 6);
    const std::span<const uint8_t> message(out, kNdMessageWithOptionLen);
    net::store_be16(out + 2, icmpv6_checksum(src, dst, message));
    return kNdMessageWithOptionLen;
}

size_t write_neighbor_advertisement(uint8_t* out, const net::IpAddr& src, const net::IpAddr& dst,
                                    const NeighborAdvertisement& na) {
    std::memset(out, 0, kNdMessageWithOptionLen);
    out[0] = kIcmpv6NeighborAdvertisement;
    uint32_t flags = 0;
    if (na.router) flags |= kFlagRouter;
    if (na.solicited) flags |= kFlagSolicited;
    if (na.override_entry) flags |= kFlagOverride;
    net::store_be32(out + 4, flags);
    std::memcpy(out + 8, na.target.bytes.data(), 16);
    out[24] = kOptionTargetLinkAddr;
    out[25] = 1;
    std::memcpy(out + 26, na.target_link_addr.value_or(net::MacAddr{}).bytes.data(), 6);
    const std::span<const uint8_t> message(out, kNdMessageWithOptionLen);
    net::store_be16(out + 2, icmpv6_checksum(src, dst, message));
    return kNdMessageWithOptionLen;
}

}  // namespace msf::neigh
