// IPv6 Neighbor Discovery as this gateway takes part in it (RFC 4861): Neighbor Solicitation and
// Neighbor Advertisement, validated per §7.1 and written per §4.3, §4.4 and §4.6.1, with the
// ICMPv6 checksum of RFC 4443 §2.3.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "dataplane/neigh/verdict.hpp"
#include "dataplane/net/addr.hpp"

namespace msf::neigh {

inline constexpr uint8_t kIcmpv6EchoRequest = 128;
inline constexpr uint8_t kIcmpv6EchoReply = 129;
inline constexpr uint8_t kIcmpv6NeighborSolicitation = 135;
inline constexpr uint8_t kIcmpv6NeighborAdvertisement = 136;

// RFC 4861 §7.1: ND is only accepted, and only sent, with hop limit 255, which proves the sender
// is on the link.
inline constexpr uint8_t kNdHopLimit = 255;
inline constexpr size_t kNdMessageLen = 24;       // NS and NA without options (§4.3, §4.4)
inline constexpr size_t kLinkLayerOptionLen = 8;  // §4.6.1 for Ethernet (RFC 2464 §6)
inline constexpr size_t kNdMessageWithOptionLen = kNdMessageLen + kLinkLayerOptionLen;

// The IPv6 header fields ND validation depends on.
struct Ipv6Envelope {
    net::IpAddr src;
    net::IpAddr dst;
    uint8_t hop_limit = 0;
};

struct NeighborSolicitation {
    net::IpAddr target;
    std::optional<net::MacAddr> source_link_addr;  // option type 1
};

struct NeighborAdvertisement {
    net::IpAddr target;
    bool router = false;
    bool solicited = false;
    bool override_entry = false;                   // the O flag
    std::optional<net::MacAddr> target_link_addr;  // option type 2
};

// The ICMPv6 checksum field value for `message` between `src` and `dst` (RFC 4443 §2.3, pseudo
// header of RFC 8200 §8.1), computed as if the field (bytes 2-3) were zero. Host order.
uint16_t icmpv6_checksum(const net::IpAddr& src, const net::IpAddr& dst,
                         std::span<const uint8_t> message);
bool icmpv6_checksum_ok(const net::IpAddr& src, const net::IpAddr& dst,
                        std::span<const uint8_t> message);

// `message` is the whole ICMPv6 message (type first), as long as the IPv6 payload length says.
// Every check of RFC 4861 §7.1.1 / §7.1.2 failing makes the message malformed.
Parsed<NeighborSolicitation> parse_neighbor_solicitation(const Ipv6Envelope& ip,
                                                         std::span<const uint8_t> message);
Parsed<NeighborAdvertisement> parse_neighbor_advertisement(const Ipv6Envelope& ip,
                                                           std::span<const uint8_t> message);

// Write the kNdMessageWithOptionLen bytes of an NS carrying the source link-layer address option,
// or of an NA carrying the target link-layer address option (`na.target_link_addr` must be
// set), checksum included for the given IPv6 source and destination.
size_t write_neighbor_solicitation(uint8_t* out, const net::IpAddr& src, const net::IpAddr& dst,
                                   const net::IpAddr& target, const net::MacAddr& source_mac);
size_t write_neighbor_advertisement(uint8_t* out, const net::IpAddr& src, const net::IpAddr& dst,
                                    const NeighborAdvertisement& na);

}  // namespace msf::neigh
