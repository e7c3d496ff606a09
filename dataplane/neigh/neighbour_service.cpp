#include "dataplane/neigh/neighbour_service.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

#include "dataplane/neigh/address_kinds.hpp"
#include "dataplane/neigh/arp.hpp"
#include "dataplane/neigh/icmp_echo.hpp"
#include "dataplane/neigh/ndisc.hpp"
#include "dataplane/net/byte_order.hpp"
#include "dataplane/net/checksum.hpp"

namespace msf::neigh {

namespace {

constexpr uint8_t kReplyTtl = 64;  // TTL and hop limit of echo replies: IANA's recommended default
constexpr uint16_t kIpv4DontFragment = 0x4000;

size_t side_index(api::Side side) { return static_cast<size_t>(side); }
bool valid_side(api::Side side) { return side_index(side) < 2; }
std::string side_name(size_t index) { return index == 0 ? "access" : "core"; }

// frame.hpp's reasons: what it cannot parse because it is broken is malformed; what it does not
// handle on purpose is ignored.
Verdict verdict_of(net::FrameError e) {
    switch (e) {
        case net::FrameError::unsupported_ethertype:
        case net::FrameError::vlan_stacked:
        case net::FrameError::ip_options:
        case net::FrameError::fragment:
        case net::FrameError::ipv6_extension: return Verdict::ignored;
        default: return Verdict::malformed;
    }
}

net::MacAddr mac_at(const uint8_t* p) {
    net::MacAddr mac;
    std::memcpy(mac.bytes.data(), p, 6);
    return mac;
}

void validate_side(const SideConfig& c, size_t index, size_t capacity) {
    const std::string where = "neighbours: " + side_name(index) + " side: ";
    if (!is_unicast_mac(c.mac))
        throw std::invalid_argument(where + "mac " + c.mac.to_string() +
                                    " is not a unicast address");
    for (size_t i = 0; i < c.addresses.size(); ++i) {
        const net::IpAddr& a = c.addresses[i];
        if (!is_unicast_ip(a))
            throw std::invalid_argument(where + "address " + a.to_string() +
                                        " is not a unicast address");
        if (std::find(c.addresses.begin(), c.addresses.begin() + static_cast<std::ptrdiff_t>(i),
                      a) != c.addresses.begin() + static_cast<std::ptrdiff_t>(i))
            throw std::invalid_argument(where + "address " + a.to_string() + " is listed twice");
    }
    const auto has_family = [&](net::Family f) {
        return std::any_of(c.addresses.begin(), c.addresses.end(),
                           [f](const net::IpAddr& a) { return a.family == f; });
    };
    if (c.gateway4) {
        if (!c.gateway4->is_v4() || !is_unicast_ip(*c.gateway4))
            throw std::invalid_argument(where + "gateway4 " + c.gateway4->to_string() +
                                        " is not a unicast IPv4 address");
        if (!has_family(net::Family::ipv4))
            throw std::invalid_argument(where + "gateway4 is set but the side has no IPv4 address");
    }
    if (c.gateway6) {
        if (!c.gateway6->is_v6() || !is_unicast_ip(*c.gateway6))
            throw std::invalid_argument(where + "gateway6 " + c.gateway6->to_string() +
                                        " is not a unicast IPv6 address");
        if (!has_family(net::Family::ipv6))
            throw std::invalid_argument(where + "gateway6 is set but the side has no IPv6 address");
    }
    // IEEE 802.1Q: VID 0 means "priority only" and 4095 is reserved.
    const uint16_t vid = c.vlan_tci & 0x0fff;
    if (c.has_vlan && (vid == 0 || vid == 0x0fff))
        throw std::invalid_argument(where + "vlan id must be 1..4094");
    if (!c.has_vlan && c.vlan_tci != 0)
        throw std::invalid_argument(where + "vlan_tci is set but has_vlan is not");
    if (c.static_entries.size() > capacity)
        throw std::invalid_argument(where + "more static neighbours than the cache capacity");
    for (const StaticNeighbour& n : c.static_entries) {
        if (!is_unicast_ip(n.ip))
            throw std::invalid_argument(where + "static neighbour " + n.ip.to_string() +
                                        " is not a unicast address");
        if (!is_unicast_mac(n.mac))
            throw std::invalid_argument(where + "static neighbour " + n.ip.to_string() +
                                        " has a non-unicast mac");
    }
}

}  // namespace

NeighbourService::NeighbourService(NeighbourConfig config)
    : requests_(config.request_queue_capacity) {
    for (size_t i = 0; i < 2; ++i) {
        validate_side(config.sides[i], i, config.cache_capacity);
        SideState& s = sides_[i];
        s.config = std::move(config.sides[i]);
        s.table = std::make_unique<NeighbourTable>(config.cache_capacity, config.timers);
        for (const StaticNeighbour& n : s.config.static_entries) s.table->add_static(n.ip, n.mac);
        for (const net::IpAddr& a : s.config.addresses) {
            if (a.is_v4() && !s.source4) s.source4 = a;
            if (a.is_v6() && is_ipv6_link_local(a) && !s.source6_link_local)
                s.source6_link_local = a;
            if (a.is_v6() && !is_ipv6_link_local(a) && !s.source6) s.source6 = a;
        }
        if (!s.source6) s.source6 = s.source6_link_local;
        if (!s.source6_link_local) s.source6_link_local = s.source6;
    }
    events_.reserve(64);
}

NeighbourService::~NeighbourService() = default;

// ---- any thread ----

net::IpAddr NeighbourService::next_hop(api::Side side, const net::IpAddr& dst) const {
    if (!valid_side(side)) return dst;
    const SideConfig& c = sides_[side_index(side)].config;
    return next_hop_of(c.gateway4, c.gateway6, dst);
}

std::optional<net::MacAddr> NeighbourService::resolve(api::Side side, const net::IpAddr& dst) {
    if (!valid_side(side) || dst.empty()) return std::nullopt;
    if (is_multicast_ip(dst)) return multicast_mac(dst);
    if (is_ipv4_limited_broadcast(dst)) return kBroadcastMac;
    if (!is_unicast_ip(dst)) return std::nullopt;
    SideState& s = sides_[side_index(side)];
    const net::IpAddr hop = next_hop(side, dst);
    const NeighbourLookup found = s.table->lookup_entry(hop);
    if (found.usable()) return found.mac;
    // Incomplete: a request is out. Failed: held back so a dead peer does not cause a request
    // per packet.
    if (found.found) return std::nullopt;
    if (!requests_.try_push(ResolutionRequest{side, hop}))
        s.requests_dropped.fetch_add(1, std::memory_order_relaxed);
    return std::nullopt;
}

// ---- control thread ----

NeighbourCounters NeighbourService::counters(api::Side side) const {
    const SideState& s = sides_[side_index(side) & 1];
    NeighbourCounters c = s.counters;
    c.requests_dropped = s.requests_dropped.load(std::memory_order_relaxed);
    c.evictions = s.table->evictions();
    return c;
}

std::string_view NeighbourService::last_drop_reason(api::Side side) const {
    return sides_[side_index(side) & 1].last_drop_reason;
}

const NeighbourTable& NeighbourService::table(api::Side side) const {
    return *sides_[side_index(side) & 1].table;
}
const SideConfig& NeighbourService::config(api::Side side) const {
    return sides_[side_index(side) & 1].config;
}

void NeighbourService::drop(SideState& s, Verdict verdict, std::string_view reason) {
    if (verdict == Verdict::malformed)
        ++s.counters.malformed;
    else
        ++s.counters.ignored;
    s.last_drop_reason = reason;
}

bool NeighbourService::is_ours(const SideState& s, const net::IpAddr& ip) const {
    return std::find(s.config.addresses.begin(), s.config.addresses.end(), ip) !=
           s.config.addresses.end();
}

size_t NeighbourService::write_ethernet(const SideState& s, const net::MacAddr& dst,
                                        uint16_t ether_type) {
    uint8_t* p = tx_.data();
    std::memcpy(p, dst.bytes.data(), 6);
    std::memcpy(p + 6, s.config.mac.bytes.data(), 6);
    size_t len = 12;
    if (s.config.has_vlan) {
        net::store_be16(p + len, net::kEtherTypeVlan);
        net::store_be16(p + len + 2, s.config.vlan_tci);
        len += net::kVlanTagLen;
    }
    net::store_be16(p + len, ether_type);
    return len + 2;
}

void NeighbourService::emit(api::Side side, size_t len, FrameSink& out) {
    if (len < kMinFrameLen) {
        std::memset(tx_.data() + len, 0, kMinFrameLen - len);
        len = kMinFrameLen;
    }
    out.send(side, std::span<const uint8_t>(tx_.data(), len));
}

bool NeighbourService::learn(SideState& s, const net::IpAddr& ip, const net::MacAddr& mac,
                             bool confirmed, uint64_t now_ms) {
    const auto previous =
        confirmed ? s.table->confirm(ip, mac, now_ms) : s.table->mark_stale(ip, mac, now_ms);
    if (!previous) return false;
    ++s.counters.cache_updates;
    if (*previous == NeighbourState::incomplete || *previous == NeighbourState::failed)
        ++s.counters.resolutions_completed;
    return true;
}

void NeighbourService::handle_frame(api::Side side, std::span<const uint8_t> frame, FrameSink& out,
                                    uint64_t now_ms) {
    if (!valid_side(side)) return;
    SideState& s = sides_[side_index(side)];
    if (frame.size() > kMaxFrameLen)
        return drop(s, Verdict::ignored, "frame longer than 9216 bytes");
    net::ParsedFrame pf;
    // The UDP checksum is not ours to judge: UDP frames are ignored here anyway.
    const net::FrameError error =
        net::parse_frame(frame.data(), static_cast<uint32_t>(frame.size()), {true, false}, pf);
    if (error != net::FrameError::none)
        return drop(s, verdict_of(error), net::frame_error_name(error));

    if (pf.has_vlan != s.config.has_vlan ||
        (pf.has_vlan && (pf.vlan_tci & 0x0fff) != (s.config.vlan_tci & 0x0fff)))
        return drop(s, Verdict::ignored, "VLAN tag does not match the side");
    const net::MacAddr src_mac = mac_at(frame.data() + 6);
    if (!is_unicast_mac(src_mac))
        return drop(s, Verdict::malformed, "Ethernet source is not a unicast address");
    if (src_mac == s.config.mac) return drop(s, Verdict::ignored, "frame from our own MAC");

    switch (pf.kind) {
        case net::FrameKind::arp: return handle_arp(s, side, pf, frame, out, now_ms);
        case net::FrameKind::icmp4: return handle_icmp4(s, side, pf, frame, out);
        case net::FrameKind::icmp6: return handle_icmp6(s, side, pf, frame, out, now_ms);
        default: return drop(s, Verdict::ignored, "neither ARP, ICMP nor ICMPv6");
    }
}

void NeighbourService::handle_arp(SideState& s, api::Side side, const net::ParsedFrame& pf,
                                  std::span<const uint8_t> frame, FrameSink& out, uint64_t now_ms) {
    const net::MacAddr dst_mac = mac_at(frame.data());
    if (dst_mac != kBroadcastMac && dst_mac != s.config.mac)
        return drop(s, Verdict::ignored, "ARP sent to another host's MAC");
    const auto parsed = parse_arp(frame.subspan(pf.l3_offset));
    if (!parsed.ok()) return drop(s, parsed.verdict, parsed.reason);
    const ArpMessage& m = parsed.value;

    if (is_ours(s, m.sender_ip)) {
        if (m.sender_mac != s.config.mac) ++s.counters.address_conflicts;
        return drop(s, Verdict::ignored, "ARP sender claims one of our addresses");
    }
    // RFC 826 "merge": a sender we hold an entry for is recorded; one we do not know is not
    // added, so hosts on the link cannot fill or churn the cache. 0.0.0.0 is an RFC 5227 probe.
    const bool learned =
        !is_unspecified_ip(m.sender_ip) && learn(s, m.sender_ip, m.sender_mac, true, now_ms);

    if (m.op == ArpOp::request && is_ours(s, m.target_ip)) {
        size_t len = write_ethernet(s, m.sender_mac, net::kEtherTypeArp);
        write_arp(tx_.data() + len,
                  ArpMessage{ArpOp::reply, s.config.mac, m.target_ip, m.sender_mac, m.sender_ip});
        len += kArpMessageLen;
        ++s.counters.arp_requests_answered;
        return emit(side, len, out);
    }
    if (!learned)
        drop(s, Verdict::ignored,
             m.op == ArpOp::request ? "ARP request for an address not ours"
                                    : "ARP reply from a host we are not resolving");
}

void NeighbourService::handle_icmp4(SideState& s, api::Side side, const net::ParsedFrame& pf,
                                    std::span<const uint8_t> frame, FrameSink& out) {
    const net::IpAddr src = pf.src_addr(), dst = pf.dst_addr();
    if (!is_ours(s, dst)) return drop(s, Verdict::ignored, "ICMP to an address not ours");
    if (mac_at(frame.data()) != s.config.mac)
        return drop(s, Verdict::ignored, "ICMP to our address but not our MAC");
    if (!is_unicast_ip(src) || is_ours(s, src))
        return drop(s, Verdict::ignored, "ICMP from a source we do not answer");
    const auto echo =
        parse_icmp4_echo_request(frame.subspan(pf.l4_offset, pf.l3_len - net::kIpv4HeaderLen));
    if (!echo.ok()) return drop(s, echo.verdict, echo.reason);
    const std::span<const uint8_t> request = echo.value;

    // The reply goes back to the frame's source MAC: the host or router that sent the request.
    size_t len = write_ethernet(s, mac_at(frame.data() + 6), net::kEtherTypeIpv4);
    uint8_t* ip = tx_.data() + len;
    const auto total_len = static_cast<uint16_t>(net::kIpv4HeaderLen + request.size());
    ip[0] = 0x45;
    ip[1] = pf.tos & 0xfc;  // the request's DSCP, ECN bits clear (RFC 3168 §5)
    net::store_be16(ip + 2, total_len);
    std::memcpy(ip + 4, frame.data() + pf.l3_offset + 4, 2);  // identification of the request
    // RFC 6864 §4.1: with DF set the datagram is atomic and its identification carries no meaning.
    net::store_be16(ip + 6, kIpv4DontFragment);
    ip[8] = kReplyTtl;
    ip[9] = net::kIpProtoIcmp;
    net::store_be16(ip + 10, 0);
    std::memcpy(ip + 12, dst.bytes.data(), 4);
    std::memcpy(ip + 16, src.bytes.data(), 4);
    net::store_be16(ip + 10, net::ipv4_header_checksum(ip, net::kIpv4HeaderLen));
    write_icmp4_echo_reply(ip + net::kIpv4HeaderLen, request);
    len += total_len;
    ++s.counters.echo4_answered;
    emit(side, len, out);
}

namespace {

// RFC 8200 §3 header with traffic class and flow label 0.
void write_ipv6_header(uint8_t* ip, const net::IpAddr& src, const net::IpAddr& dst,
                       size_t payload_len, uint8_t hop_limit) {
    net::store_be32(ip, 0x60000000u);
    net::store_be16(ip + 4, static_cast<uint16_t>(payload_len));
    ip[6] = net::kIpProtoIcmpv6;
    ip[7] = hop_limit;
    std::memcpy(ip + 8, src.bytes.data(), 16);
    std::memcpy(ip + 24, dst.bytes.data(), 16);
}

}  // namespace

void NeighbourService::handle_icmp6(SideState& s, api::Side side, const net::ParsedFrame& pf,
                                    std::span<const uint8_t> frame, FrameSink& out,
                                    uint64_t now_ms) {
    const net::IpAddr src = pf.src_addr(), dst = pf.dst_addr();
    // RFC 4291 §2.7: a multicast address is never a source.
    if (is_multicast_ip(src))
        return drop(s, Verdict::malformed, "IPv6 source is a multicast address");
    const std::span<const uint8_t> message =
        frame.subspan(pf.l4_offset, pf.l3_len - net::kIpv6HeaderLen);
    switch (message[0]) {  // frame.hpp guarantees at least 8 bytes of ICMPv6
        case kIcmpv6NeighborSolicitation:
            return handle_solicitation(s, side, pf, frame, message, out, now_ms);
        case kIcmpv6NeighborAdvertisement:
            return handle_advertisement(s, pf, frame, message, now_ms);
        case kIcmpv6EchoRequest: break;
        default: return drop(s, Verdict::ignored, "ICMPv6 type not handled");
    }
    // RFC 4443 §4.2 lets a node answer echo requests sent to a group; we do not, so a spoofed
    // source cannot make the gateway reflect one frame many times.
    if (!is_ours(s, dst)) return drop(s, Verdict::ignored, "ICMPv6 echo to an address not ours");
    if (mac_at(frame.data()) != s.config.mac)
        return drop(s, Verdict::ignored, "ICMPv6 echo to our address but not our MAC");
    if (!is_unicast_ip(src))
        return drop(s, Verdict::ignored, "ICMPv6 echo from a source we do not answer");
    const auto echo = parse_icmp6_echo_request(src, dst, message);
    if (!echo.ok()) return drop(s, echo.verdict, echo.reason);

    size_t len = write_ethernet(s, mac_at(frame.data() + 6), net::kEtherTypeIpv6);
    uint8_t* ip = tx_.data() + len;
    write_ipv6_header(ip, dst, src, message.size(), kReplyTtl);
    write_icmp6_echo_reply(ip + net::kIpv6HeaderLen, dst, src, message);
    len += net::kIpv6HeaderLen + message.size();
    ++s.counters.echo6_answered;
    emit(side, len, out);
}

void NeighbourService::handle_solicitation(SideState& s, api::Side side, const net::ParsedFrame& pf,
                                           std::span<const uint8_t> frame,
                                           std::span<const uint8_t> message, FrameSink& out,
                                           uint64_t now_ms) {
    const net::IpAddr src = pf.src_addr(), dst = pf.dst_addr();
    const auto parsed = parse_neighbor_solicitation(Ipv6Envelope{src, dst, pf.ttl}, message);
    if (!parsed.ok()) return drop(s, parsed.verdict, parsed.reason);
    const NeighborSolicitation& ns = parsed.value;
    if (!is_ours(s, ns.target)) return drop(s, Verdict::ignored, "NS for an address not ours");
    if (dst != ns.target && dst != solicited_node_address(ns.target))
        return drop(s, Verdict::ignored,
                    "NS sent neither to the target nor to its solicited-node address");
    // RFC 2464 §7: the Ethernet destination of an IPv6 multicast packet is derived from it.
    const net::MacAddr dst_mac = mac_at(frame.data());
    if (dst_mac != (is_multicast_ip(dst) ? multicast_mac(dst) : s.config.mac))
        return drop(s, Verdict::ignored,
                    "NS Ethernet destination does not match its IPv6 destination");

    NeighborAdvertisement na;
    na.target = ns.target;
    na.override_entry = true;
    na.target_link_addr = s.config.mac;
    net::IpAddr reply_dst;
    net::MacAddr reply_mac;
    if (is_unspecified_ip(src)) {
        // RFC 4861 §7.2.4: answering duplicate address detection, to all nodes, S clear.
        reply_dst = all_nodes_address();
        reply_mac = multicast_mac(reply_dst);
    } else {
        na.solicited = true;
        reply_dst = src;
        reply_mac = ns.source_link_addr.value_or(mac_at(frame.data() + 6));
        // RFC 4861 §7.2.3: the solicitation tells us the sender's address. Like ARP, only an
        // entry we already hold is updated; a new address is not a confirmation, so stale.
        if (ns.source_link_addr) {
            const auto held = s.table->entry(src);
            if (held && !held->is_static &&
                (held->mac != *ns.source_link_addr || held->state == NeighbourState::incomplete ||
                 held->state == NeighbourState::failed))
                learn(s, src, *ns.source_link_addr, false, now_ms);
        }
    }
    size_t len = write_ethernet(s, reply_mac, net::kEtherTypeIpv6);
    uint8_t* ip = tx_.data() + len;
    write_ipv6_header(ip, ns.target, reply_dst, kNdMessageWithOptionLen, kNdHopLimit);
    write_neighbor_advertisement(ip + net::kIpv6HeaderLen, ns.target, reply_dst, na);
    len += net::kIpv6HeaderLen + kNdMessageWithOptionLen;
    ++s.counters.ns_answered;
    emit(side, len, out);
}

void NeighbourService::handle_advertisement(SideState& s, const net::ParsedFrame& pf,
                                            std::span<const uint8_t> frame,
                                            std::span<const uint8_t> message, uint64_t now_ms) {
    const net::IpAddr src = pf.src_addr(), dst = pf.dst_addr();
    const auto parsed = parse_neighbor_advertisement(Ipv6Envelope{src, dst, pf.ttl}, message);
    if (!parsed.ok()) return drop(s, parsed.verdict, parsed.reason);
    const NeighborAdvertisement& na = parsed.value;
    const net::MacAddr dst_mac = mac_at(frame.data());
    if (dst_mac != (is_multicast_ip(dst) ? multicast_mac(dst) : s.config.mac))
        return drop(s, Verdict::ignored,
                    "NA Ethernet destination does not match its IPv6 destination");
    if (is_ours(s, na.target)) {
        if (na.target_link_addr != s.config.mac) ++s.counters.address_conflicts;
        return drop(s, Verdict::ignored, "NA for one of our addresses");
    }
    const auto held = s.table->entry(na.target);
    if (!held || held->is_static)
        return drop(s, Verdict::ignored, "NA for a host we are not resolving");

    // RFC 4861 §7.2.5.
    if (held->state == NeighbourState::incomplete || held->state == NeighbourState::failed) {
        if (!na.target_link_addr)
            return drop(s, Verdict::ignored, "NA without target link-layer address");
        learn(s, na.target, *na.target_link_addr, na.solicited, now_ms);
        return;
    }
    const bool differs = na.target_link_addr && *na.target_link_addr != held->mac;
    if (!na.override_entry && differs) {
        // Another address without the O flag: not believed, but the one we hold is now in doubt.
        if (held->state == NeighbourState::reachable) {
            learn(s, na.target, held->mac, false, now_ms);
            return;
        }
        return drop(s, Verdict::ignored, "NA without O flag for another link-layer address");
    }
    const net::MacAddr mac = na.target_link_addr.value_or(held->mac);
    if (na.solicited)
        learn(s, na.target, mac, true, now_ms);
    else if (differs)
        learn(s, na.target, mac, false, now_ms);
    else
        drop(s, Verdict::ignored, "unsolicited NA repeating what we hold");
}

void NeighbourService::send_request(SideState& s, api::Side side, const net::IpAddr& target,
                                    const std::optional<net::MacAddr>& unicast_to, FrameSink& out) {
    if (target.is_v4()) {
        // Without an IPv4 address of our own there is nothing to ask with; the entry fails.
        if (!s.source4) return;
        size_t len = write_ethernet(s, unicast_to.value_or(kBroadcastMac), net::kEtherTypeArp);
        write_arp(tx_.data() + len,
                  ArpMessage{ArpOp::request, s.config.mac, *s.source4, net::MacAddr{}, target});
        len += kArpMessageLen;
        ++s.counters.arp_requests_sent;
        return emit(side, len, out);
    }
    const auto& source = is_ipv6_link_local(target) ? s.source6_link_local : s.source6;
    if (!source) return;
    // RFC 4861 §7.2.2: to the solicited-node group; a refresh goes unicast (§7.3.3).
    const net::IpAddr ip_dst = unicast_to ? target : solicited_node_address(target);
    size_t len = write_ethernet(s, unicast_to.value_or(multicast_mac(ip_dst)), net::kEtherTypeIpv6);
    uint8_t* ip = tx_.data() + len;
    write_ipv6_header(ip, *source, ip_dst, kNdMessageWithOptionLen, kNdHopLimit);
    write_neighbor_solicitation(ip + net::kIpv6HeaderLen, *source, ip_dst, target, s.config.mac);
    len += net::kIpv6HeaderLen + kNdMessageWithOptionLen;
    ++s.counters.ns_sent;
    emit(side, len, out);
}

void NeighbourService::tick(uint64_t now_ms, FrameSink& out) {
    ResolutionRequest request;
    while (requests_.try_pop(request)) {
        if (!valid_side(request.side)) continue;
        SideState& s = sides_[side_index(request.side)];
        if (!is_unicast_ip(request.ip) || is_ours(s, request.ip)) continue;
        switch (s.table->start_resolution(request.ip, now_ms)) {
            case NeighbourTable::AddResult::added: ++s.counters.resolutions_started; break;
            case NeighbourTable::AddResult::full: ++s.counters.cache_full; break;
            default: break;  // already resolving or known: the worker asked twice
        }
    }
    for (size_t i = 0; i < 2; ++i) {
        SideState& s = sides_[i];
        const auto side = static_cast<api::Side>(i);
        events_.clear();
        s.table->advance(now_ms, events_);
        for (const TimerEvent& event : events_) {
            switch (event.kind) {
                case TimerEvent::Kind::probe:
                    send_request(s, side, event.ip, event.unicast_to, out);
                    break;
                case TimerEvent::Kind::resolution_failed: ++s.counters.resolutions_failed; break;
                case TimerEvent::Kind::refresh_failed: ++s.counters.refreshes_failed; break;
                case TimerEvent::Kind::aged_out: ++s.counters.aged_out; break;
            }
        }
    }
}

}  // namespace msf::neigh
