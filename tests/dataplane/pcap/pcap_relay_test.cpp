// pcap in -> pcap out through the real thing: net_pcap vdevs brought up by drivers::Port, a
// SessionTable with sessions added directly, a NeighbourService with static entries for the next
// hops, and a Worker relaying whole bursts between the ports. Each test writes the frames its ports
// receive into pcap files, hot-plugs net_pcap devices that read them, relays until every rx pcap is
// exhausted, closes the ports (stopping a net_pcap port closes its tx dumper) and reads back what
// each port sent. libsrtp2 plays the UE.
//
// Frames are built and decoded here with a byte-wise RFC 1071 checksum, not with dataplane/net,
// so a bug there cannot hide itself. The EAL starts once per process, hence this file's main();
// every test uses new vdevs (a closed vdev is gone). mbufs come from one pool without a per-lcore
// cache, so every run checks that each mbuf came back. The pcaps of a failed test are kept (and
// of every test with MSF_PCAP_KEEP set); the path is printed.
#include <gtest/gtest.h>
#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>
#include <stdlib.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "dataplane/neigh/neighbour_service.hpp"
#include "dataplane/session/session_table.hpp"
#include "dataplane/worker/worker.hpp"
#include "drivers/port.hpp"
#include "tests/dataplane/pcap/pcap_file.hpp"
#include "tests/dataplane/libsrtp_ue.hpp"
#include "tests/dataplane/srtp/libsrtp_oracle.hpp"

namespace msf::dp {
namespace {

using Bytes = std::vector<uint8_t>;
using srtp::Suite;
using srtp::test::interop::LibsrtpSession;
using srtp::test::interop::random_rtcp;
using srtp::test::interop::random_rtp;
using srtp::test::interop::TestRng;
using test::pcap_file::read_pcap;
using test::pcap_file::write_pcap;

rte_mempool* g_pool = nullptr;
constexpr unsigned kPoolSize = 4095;
unsigned g_next_vdev = 0;

constexpr Suite kAllSuites[] = {Suite::aes_cm_128_hmac_sha1_80, Suite::aes_cm_128_hmac_sha1_32,
                                Suite::aes_256_cm_hmac_sha1_80, Suite::aes_256_cm_hmac_sha1_32,
                                Suite::aead_aes_128_gcm,        Suite::aead_aes_256_gcm};

// ---------------------------------------------------------------------------------------------
// The test network. UEs sit behind an access router (the access side's gateway); core peers are
// on the core link. Every next hop has its own MAC, so a frame sent to the wrong one shows it.

net::IpAddr ip(const char* text) {
    const auto a = net::IpAddr::parse(text);
    if (!a) throw std::invalid_argument(std::string("bad test address ") + text);
    return *a;
}
net::Endpoint plus(const net::Endpoint& e, int n) { return {e.addr, static_cast<uint16_t>(e.port + n)}; }

const net::IpAddr kAccessV4 = ip("192.0.2.1");
const net::IpAddr kAccessV6 = ip("2001:db8:a::1");
const net::IpAddr kCoreV4 = ip("198.51.100.1");
const net::IpAddr kCoreV6 = ip("2001:db8:c::1");
const net::IpAddr kAccessRouterV4 = ip("192.0.2.254");
const net::IpAddr kAccessRouterV6 = ip("2001:db8:a::fe");
const net::IpAddr kCorePeerV4 = ip("198.51.100.20");
const net::IpAddr kCorePeerV6 = ip("2001:db8:c::20");
const net::IpAddr kUeNetV4 = ip("203.0.113.0");
const net::IpAddr kUeNetV6 = ip("2001:db8:e::");

// The ports' own MACs, given to drivers::Port (net_pcap cannot set one, so Port falls back).
const net::MacAddr kAccessMac{{0x02, 0, 0, 0, 0x0a, 0x01}};
const net::MacAddr kCoreMac{{0x02, 0, 0, 0, 0x0c, 0x01}};
const net::MacAddr kAccessRouterV4Mac{{0x02, 0, 0, 0, 0xa4, 0xfe}};
const net::MacAddr kAccessRouterV6Mac{{0x02, 0, 0, 0, 0xa6, 0xfe}};
const net::MacAddr kCorePeerV4Mac{{0x02, 0, 0, 0, 0xc4, 0x20}};
const net::MacAddr kCorePeerV6Mac{{0x02, 0, 0, 0, 0xc6, 0x20}};

net::MacAddr next_hop_mac(api::Side side, net::Family family) {
    if (side == api::Side::access) return family == net::Family::ipv4 ? kAccessRouterV4Mac : kAccessRouterV6Mac;
    return family == net::Family::ipv4 ? kCorePeerV4Mac : kCorePeerV6Mac;
}

// UE `n` of a family: 203.0.113.(10 + n):(50000 + 10 n) or [2001:db8:e::(10 + n)]:(50000 + 10 n).
net::Endpoint ue_endpoint(net::Family family, uint64_t n) {
    net::Endpoint e{family == net::Family::ipv4 ? kUeNetV4 : kUeNetV6, static_cast<uint16_t>(50000 + 10 * n)};
    e.addr.bytes[family == net::Family::ipv4 ? 3 : 15] = static_cast<uint8_t>(10 + n);
    return e;
}

// ---------------------------------------------------------------------------------------------
// Frames, written and read without dataplane/net.

void put16(Bytes& b, uint32_t v) {
    b.push_back(static_cast<uint8_t>(v >> 8));
    b.push_back(static_cast<uint8_t>(v));
}
void put32(Bytes& b, uint32_t v) {
    put16(b, v >> 16);
    put16(b, v & 0xffff);
}
uint16_t get16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
void set16(Bytes& b, size_t at, uint32_t v) {
    b[at] = static_cast<uint8_t>(v >> 8);
    b[at + 1] = static_cast<uint8_t>(v);
}

// RFC 1071, 16 bits at a time in network order.
uint32_t sum16(const uint8_t* p, size_t n, uint32_t acc = 0) {
    for (size_t i = 0; i + 1 < n; i += 2) acc += uint32_t{p[i]} << 8 | p[i + 1];
    if (n & 1) acc += uint32_t{p[n - 1]} << 8;
    return acc;
}
uint16_t fold(uint32_t acc) {
    while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
    return static_cast<uint16_t>(acc);
}
// RFC 768 and RFC 8200 §8.1 pseudo-headers.
uint32_t pseudo_sum(const net::IpAddr& src, const net::IpAddr& dst, uint32_t l4_len, uint8_t protocol = 17) {
    const size_t n = src.is_v4() ? 4 : 16;
    return sum16(src.bytes.data(), n, sum16(dst.bytes.data(), n)) + protocol + (l4_len >> 16) + (l4_len & 0xffff);
}

enum class Ipv6Extension : uint8_t { none, fragment, hop_by_hop };

struct Datagram {
    net::MacAddr src_mac, dst_mac;
    std::optional<uint16_t> vlan_tci;
    net::Endpoint src, dst;
    uint8_t tos = 0;
    uint8_t protocol = 17;           // UDP; anything else: `payload` is the whole L4 message
    uint16_t ipv4_flags = 0x4000;    // DF, offset 0
    uint8_t ipv4_option_words = 0;   // NOP options after the 20-byte header
    Ipv6Extension ipv6_extension = Ipv6Extension::none;
    Bytes payload;
};

// Where a built frame's headers are, for tests that damage them.
struct Frame {
    Bytes bytes;
    size_t l3 = 0, l4 = 0;
};

// Ethernet [+ 802.1Q] + IPv4 or IPv6 [+ one extension header] + UDP, every checksum correct.
Frame build(const Datagram& d) {
    Frame fr;
    Bytes& f = fr.bytes;
    f.assign(d.dst_mac.bytes.begin(), d.dst_mac.bytes.end());
    f.insert(f.end(), d.src_mac.bytes.begin(), d.src_mac.bytes.end());
    if (d.vlan_tci) {
        put16(f, 0x8100);
        put16(f, *d.vlan_tci);
    }
    const bool udp = d.protocol == 17;
    const auto l4_len = static_cast<uint32_t>(d.payload.size() + (udp ? 8 : 0));
    fr.l3 = f.size() + 2;
    if (d.src.addr.is_v4()) {
        const size_t header = 20 + 4u * d.ipv4_option_words;
        put16(f, 0x0800);
        f.insert(f.end(), {static_cast<uint8_t>(0x40 | header / 4), d.tos});
        put16(f, static_cast<uint32_t>(header + l4_len));
        put16(f, 0x1234);  // identification
        put16(f, d.ipv4_flags);
        f.insert(f.end(), {61, d.protocol, 0, 0});
        f.insert(f.end(), d.src.addr.bytes.begin(), d.src.addr.bytes.begin() + 4);
        f.insert(f.end(), d.dst.addr.bytes.begin(), d.dst.addr.bytes.begin() + 4);
        f.insert(f.end(), 4u * d.ipv4_option_words, uint8_t{1});  // RFC 791 NOP
        set16(f, fr.l3 + 10, static_cast<uint16_t>(~fold(sum16(f.data() + fr.l3, header))));
    } else {
        const uint32_t ext_len = d.ipv6_extension == Ipv6Extension::none ? 0 : 8;
        put16(f, 0x86dd);
        put32(f, 0x60000000u | uint32_t{d.tos} << 20);
        put16(f, l4_len + ext_len);
        const uint8_t next = d.ipv6_extension == Ipv6Extension::fragment     ? 44
                             : d.ipv6_extension == Ipv6Extension::hop_by_hop ? 0
                                                                             : d.protocol;
        f.insert(f.end(), {next, 61});
        f.insert(f.end(), d.src.addr.bytes.begin(), d.src.addr.bytes.end());
        f.insert(f.end(), d.dst.addr.bytes.begin(), d.dst.addr.bytes.end());
        if (d.ipv6_extension == Ipv6Extension::fragment) {
            // RFC 8200 §4.5: first fragment (offset 0) with M set.
            f.insert(f.end(), {d.protocol, 0, 0x00, 0x01, 0x00, 0x00, 0x12, 0x34});
        } else if (d.ipv6_extension == Ipv6Extension::hop_by_hop) {
            // RFC 8200 §4.3: 8 bytes, a PadN option filling them.
            f.insert(f.end(), {d.protocol, 0, 1, 4, 0, 0, 0, 0});
        }
    }
    fr.l4 = f.size();
    if (!udp) {
        f.insert(f.end(), d.payload.begin(), d.payload.end());
        return fr;
    }
    put16(f, d.src.port);
    put16(f, d.dst.port);
    put16(f, l4_len);
    put16(f, 0);
    f.insert(f.end(), d.payload.begin(), d.payload.end());
    auto c = static_cast<uint16_t>(
        ~fold(sum16(f.data() + fr.l4, l4_len, pseudo_sum(d.src.addr, d.dst.addr, l4_len, d.protocol))));
    if (c == 0) c = 0xffff;  // RFC 768: 0 would mean "no checksum"
    set16(f, fr.l4 + 6, c);
    return fr;
}

Bytes frame_of(const Datagram& d) { return build(d).bytes; }

// RFC 826 request from `sender` asking for `target`, broadcast, padded to the 60-byte minimum.
Bytes arp_request(const net::MacAddr& sender_mac, const net::IpAddr& sender, const net::IpAddr& target) {
    Bytes f(6, 0xff);
    f.insert(f.end(), sender_mac.bytes.begin(), sender_mac.bytes.end());
    put16(f, 0x0806);
    put16(f, 1);       // Ethernet
    put16(f, 0x0800);  // IPv4
    f.insert(f.end(), {6, 4});
    put16(f, 1);  // request
    f.insert(f.end(), sender_mac.bytes.begin(), sender_mac.bytes.end());
    f.insert(f.end(), sender.bytes.begin(), sender.bytes.begin() + 4);
    f.insert(f.end(), 6, uint8_t{0});
    f.insert(f.end(), target.bytes.begin(), target.bytes.begin() + 4);
    f.resize(60, 0);
    return f;
}

// A frame one of the ports sent, as read back. `error` names the first structural fault.
struct Relayed {
    std::string error;
    net::MacAddr dst_mac, src_mac;
    bool has_vlan = false;
    uint16_t vlan_tci = 0;
    uint16_t ether_type = 0;
    net::Endpoint src, dst;
    uint8_t tos = 0, ttl = 0;
    bool ip_checksum_ok = true;    // IPv4: the header sums to 0xffff; IPv6 has none
    bool udp_checksum_ok = false;  // the datagram sums to 0xffff with its pseudo-header
    Bytes payload;                 // UDP payload; for ARP the ARP message
    bool is_udp() const { return error.empty() && ether_type != 0x0806; }
    bool rtcp() const { return payload.size() >= 2 && payload[1] >= 192 && payload[1] <= 223; }
};

Relayed decode(const Bytes& f) {
    Relayed r;
    auto fail = [&r](const char* why) {
        r.error = why;
        return r;
    };
    if (f.size() < 14) return fail("shorter than Ethernet");
    std::copy_n(f.begin(), 6, r.dst_mac.bytes.begin());
    std::copy_n(f.begin() + 6, 6, r.src_mac.bytes.begin());
    size_t l3 = 14;
    r.ether_type = get16(&f[12]);
    if (r.ether_type == 0x8100) {
        if (f.size() < 18) return fail("shorter than the VLAN tag");
        r.has_vlan = true;
        r.vlan_tci = get16(&f[14]);
        r.ether_type = get16(&f[16]);
        l3 = 18;
    }
    size_t udp = 0;
    if (r.ether_type == 0x0806) {
        if (f.size() < l3 + 28) return fail("shorter than ARP");
        r.payload.assign(f.begin() + static_cast<ptrdiff_t>(l3), f.begin() + static_cast<ptrdiff_t>(l3 + 28));
        return r;
    }
    if (r.ether_type == 0x0800) {
        if (f.size() < l3 + 28) return fail("shorter than IPv4 + UDP");
        const uint8_t* h = &f[l3];
        if (h[0] != 0x45) return fail("IPv4 version/IHL is not 0x45");
        if (get16(h + 2) != f.size() - l3) return fail("IPv4 total length is not the frame's");
        if ((get16(h + 6) & 0x3fff) != 0) return fail("IPv4 packet is a fragment");
        if (h[9] != 17) return fail("IPv4 protocol is not UDP");
        r.tos = h[1];
        r.ttl = h[8];
        r.ip_checksum_ok = fold(sum16(h, 20)) == 0xffff;
        r.src.addr = net::IpAddr::v4(h + 12);
        r.dst.addr = net::IpAddr::v4(h + 16);
        udp = l3 + 20;
    } else if (r.ether_type == 0x86dd) {
        if (f.size() < l3 + 48) return fail("shorter than IPv6 + UDP");
        const uint8_t* h = &f[l3];
        if ((h[0] >> 4) != 6) return fail("IPv6 version is not 6");
        if (get16(h + 4) != f.size() - l3 - 40) return fail("IPv6 payload length is not the frame's");
        if (h[6] != 17) return fail("IPv6 next header is not UDP");
        r.tos = static_cast<uint8_t>((h[0] << 4) | (h[1] >> 4));
        r.ttl = h[7];
        r.src.addr = net::IpAddr::v6(h + 8);
        r.dst.addr = net::IpAddr::v6(h + 24);
        udp = l3 + 40;
    } else {
        return fail("ethertype is neither IPv4, IPv6 nor ARP");
    }
    const uint8_t* u = &f[udp];
    r.src.port = get16(u);
    r.dst.port = get16(u + 2);
    const uint32_t udp_len = get16(u + 4);
    if (udp_len != f.size() - udp) return fail("UDP length is not the frame's");
    const uint16_t checksum = get16(u + 6);
    r.udp_checksum_ok = checksum != 0 && fold(sum16(u, udp_len, pseudo_sum(r.src.addr, r.dst.addr, udp_len))) == 0xffff;
    r.payload.assign(f.begin() + static_cast<ptrdiff_t>(udp + 8), f.end());
    return r;
}

// What a relayed frame's headers must be; checked field by field so a failure names the field.
struct Expect {
    net::MacAddr src_mac, dst_mac;
    net::Endpoint src, dst;
    std::optional<uint16_t> vlan_tci;
    uint8_t tos = 0;
};

void expect_headers(const Relayed& r, const Expect& e) {
    ASSERT_EQ(r.error, "");
    EXPECT_EQ(r.src_mac, e.src_mac) << r.src_mac.to_string();
    EXPECT_EQ(r.dst_mac, e.dst_mac) << r.dst_mac.to_string();
    EXPECT_EQ(r.has_vlan, e.vlan_tci.has_value());
    if (e.vlan_tci) {
        EXPECT_EQ(r.vlan_tci, *e.vlan_tci);
    }
    EXPECT_EQ(r.src, e.src) << r.src.to_string();
    EXPECT_EQ(r.dst, e.dst) << r.dst.to_string();
    EXPECT_EQ(r.tos, e.tos);
    EXPECT_EQ(r.ttl, 64);
    EXPECT_TRUE(r.ip_checksum_ok) << "IPv4 header checksum";
    EXPECT_TRUE(r.udp_checksum_ok) << "UDP checksum";
}

// ---------------------------------------------------------------------------------------------
// Media, sessions and the UE.

// An RTP packet of libsrtp_oracle's random shapes (CSRCs, extensions, padding) whose payload type
// stays clear of 64-95, so on a multiplexed port it is never taken for RTCP (RFC 5761 §4).
Bytes media(TestRng& rng, uint32_t ssrc, uint16_t seq) {
    Bytes b = random_rtp(rng, ssrc, seq, 160u * seq, 300).bytes;
    const uint8_t pt = b[1] & 0x7f;
    if (pt >= 64 && pt <= 95) b[1] = static_cast<uint8_t>((b[1] & 0x80) | 96);
    return b;
}

Bytes control(TestRng& rng, uint32_t ssrc) { return random_rtcp(rng, ssrc, 300); }

api::KeySpec key_spec(Suite suite, uint8_t seed, size_t mki_len) {
    const auto& info = srtp::suite_info(suite);
    api::KeySpec k;
    k.suite = suite;
    for (uint8_t i = 0; i < info.key_len; ++i) k.master_key.push_back(static_cast<uint8_t>(seed * 31 + i));
    for (uint8_t i = 0; i < info.salt_len; ++i) k.master_salt.push_back(static_cast<uint8_t>(seed * 17 + 0x80 + i));
    for (size_t i = 0; i < mki_len; ++i) k.mki.push_back(static_cast<uint8_t>(0xa0 + seed + i));
    return k;
}

struct Shape {
    Suite suite = Suite::aes_cm_128_hmac_sha1_80;
    net::Family access = net::Family::ipv4;
    net::Family core = net::Family::ipv4;
    size_t mki_len = 0;
    bool access_mux = false;     // RFC 5761 on the access leg
    bool core_mux = false;       // and on the core leg
    bool configured_ue = false;  // access.remote set: no latching
};

// Session `id`: access port 20000 + 10 id, core port 30000 + 10 id, core peer port 40000 + 10 id,
// its own keys in each direction; its UE is ue_endpoint(access family, id).
api::SessionSpec session(uint64_t id, const Shape& shape = {}) {
    api::SessionSpec s;
    s.id = id;
    const auto n = static_cast<uint16_t>(10 * id);
    const bool access4 = shape.access == net::Family::ipv4, core4 = shape.core == net::Family::ipv4;
    s.access.local = {access4 ? kAccessV4 : kAccessV6, static_cast<uint16_t>(20000 + n)};
    s.core.local = {core4 ? kCoreV4 : kCoreV6, static_cast<uint16_t>(30000 + n)};
    s.core.remote = {core4 ? kCorePeerV4 : kCorePeerV6, static_cast<uint16_t>(40000 + n)};
    s.access.rtcp_mux = shape.access_mux;
    s.core.rtcp_mux = shape.core_mux;
    if (shape.configured_ue) s.access.remote = ue_endpoint(shape.access, id);
    s.from_ue = key_spec(shape.suite, static_cast<uint8_t>(2 * id + 1), shape.mki_len);
    s.to_ue = key_spec(shape.suite, static_cast<uint8_t>(2 * id + 2), shape.mki_len);
    return s;
}

net::Endpoint ue_of(const api::SessionSpec& s) { return ue_endpoint(s.access.local.addr.family, s.id); }
// RFC 3550 §11: RTCP on the RTP port + 1 unless multiplexed (RFC 5761).
net::Endpoint rtcp_of(const net::Endpoint& rtp, bool mux) { return mux ? rtp : plus(rtp, 1); }

using Ue = test::LibsrtpUe;

// The RTCP a UE gets out of an SRTCP packet the gateway sent it, nullopt when it is refused.
// libsrtp cannot unprotect SRTCP of the _32 suites with an MKI (DESIGN.md); for those the layout
// is checked instead and `sent` taken as read: RFC 3711 §3.4, the first 8 bytes (header and SSRC)
// in clear, then the encrypted rest, the E flag with the index, the MKI and an 80-bit tag.
std::optional<Bytes> srtcp_to_ue(Ue& ue, const api::SessionSpec& s, const Bytes& srtcp, const Bytes& sent) {
    const std::vector<uint8_t>& mki = s.to_ue.mki;
    if (srtp::test::interop::libsrtp_unprotects_srtcp(s.to_ue.suite, mki.size())) return ue.unprotect_rtcp(srtcp);
    if (srtcp.size() != sent.size() + 4 + mki.size() + 10) return std::nullopt;
    if (!std::equal(sent.begin(), sent.begin() + 8, srtcp.begin())) return std::nullopt;
    if (sent.size() > 8 && std::equal(sent.begin() + 8, sent.end(), srtcp.begin() + 8)) return std::nullopt;  // clear
    if ((srtcp[sent.size()] & 0x80) == 0) return std::nullopt;
    if (!std::equal(mki.begin(), mki.end(), srtcp.begin() + static_cast<ptrdiff_t>(sent.size() + 4))) return std::nullopt;
    return sent;
}

// From the UE at `ue` (through the access router) to the session's access RTP or RTCP port.
Datagram from_ue(const api::SessionSpec& s, const net::Endpoint& ue, Bytes payload, bool rtcp_port = false) {
    Datagram d;
    d.src_mac = next_hop_mac(api::Side::access, ue.addr.family);
    d.dst_mac = kAccessMac;
    d.src = ue;
    d.dst = rtcp_port ? rtcp_of(s.access.local, s.access.rtcp_mux) : s.access.local;
    d.payload = std::move(payload);
    return d;
}

// From the core peer to the session's core RTP or RTCP port.
Datagram from_core(const api::SessionSpec& s, Bytes payload, bool rtcp_port = false) {
    Datagram d;
    d.src_mac = next_hop_mac(api::Side::core, s.core.remote.addr.family);
    d.dst_mac = kCoreMac;
    d.src = rtcp_port ? rtcp_of(s.core.remote, s.core.rtcp_mux) : s.core.remote;
    d.dst = rtcp_port ? rtcp_of(s.core.local, s.core.rtcp_mux) : s.core.local;
    d.payload = std::move(payload);
    return d;
}

// Headers of what the gateway relays toward the core for session s.
Expect to_core(const api::SessionSpec& s, bool rtcp, std::optional<uint16_t> vlan = {}, uint8_t tos = 0) {
    const bool rtcp_port = rtcp && !s.core.rtcp_mux;
    return {kCoreMac, next_hop_mac(api::Side::core, s.core.remote.addr.family),
            rtcp_port ? plus(s.core.local, 1) : s.core.local, rtcp_port ? plus(s.core.remote, 1) : s.core.remote,
            vlan, tos};
}

// Headers of what the gateway relays toward the UE at `ue` for session s.
Expect to_ue(const api::SessionSpec& s, const net::Endpoint& ue, bool rtcp, std::optional<uint16_t> vlan = {}) {
    const bool rtcp_port = rtcp && !s.access.rtcp_mux;
    return {kAccessMac, next_hop_mac(api::Side::access, ue.addr.family),
            rtcp_port ? plus(s.access.local, 1) : s.access.local, ue, vlan, 0};
}

// ---------------------------------------------------------------------------------------------
// The gateway under test: two net_pcap ports (or one for both sides), a session table, static
// neighbours, one worker.

struct Topology {
    bool shared_port = false;                        // one port, one pcap in and one out
    std::optional<uint16_t> access_vlan{}, core_vlan{};  // 802.1Q TCI of what leaves each side
    uint16_t burst = 32;
};

// What the ports sent. With a shared port, frames are split by their source address.
struct Output {
    std::vector<Bytes> access, core;
    api::PortStatus access_port, core_port;  // counters read just before the ports closed
};

// A net_pcap vdev probed at run time and removed when done.
class PcapVdev {
public:
    PcapVdev(const std::string& rx_pcap, const std::string& tx_pcap) : name_("net_pcap" + std::to_string(g_next_vdev++)) {
        const std::string args = "rx_pcap=" + rx_pcap + ",tx_pcap=" + tx_pcap;
        const int rc = rte_eal_hotplug_add("vdev", name_.c_str(), args.c_str());
        if (rc != 0)
            throw std::runtime_error("rte_eal_hotplug_add(" + name_ + "," + args + "): " + rte_strerror(-rc));
    }
    ~PcapVdev() {
        const int rc = rte_eal_hotplug_remove("vdev", name_.c_str());
        if (rc != 0) std::fprintf(stderr, "rte_eal_hotplug_remove(%s): %s\n", name_.c_str(), rte_strerror(-rc));
    }
    PcapVdev(const PcapVdev&) = delete;
    PcapVdev& operator=(const PcapVdev&) = delete;
    const std::string& name() const { return name_; }

private:
    std::string name_;
};

// Collects what the neighbour service answers, for the relay loop to transmit.
struct CollectingSink : neigh::FrameSink {
    std::vector<std::pair<api::Side, Bytes>> frames;
    void send(api::Side side, std::span<const uint8_t> frame) override {
        frames.emplace_back(side, Bytes(frame.begin(), frame.end()));
    }
};

unsigned mbufs_in_use() { return kPoolSize - rte_mempool_avail_count(g_pool); }

class PcapGateway {
public:
    explicit PcapGateway(Topology topology = {}) : topology_(topology), table_(table_config()) {
        std::string pattern = (std::filesystem::temp_directory_path() / "msf-pcap-XXXXXX").string();
        if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp " + pattern + ": " + std::strerror(errno));
        dir_ = pattern;
        static unsigned rings = 0;
        slow_path_ = rte_ring_create(("pcap_slow" + std::to_string(rings++)).c_str(), 256, SOCKET_ID_ANY,
                                     RING_F_SC_DEQ);
        if (!slow_path_) throw std::runtime_error(std::string("rte_ring_create: ") + rte_strerror(rte_errno));
    }
    ~PcapGateway() {
        drain_slow_path(false);
        rte_ring_free(slow_path_);
        if (::testing::Test::HasFailure() || std::getenv("MSF_PCAP_KEEP")) {
            std::fprintf(stderr, "pcap files kept in %s\n", dir_.c_str());
        } else {
            std::error_code ignored;
            std::filesystem::remove_all(dir_, ignored);
        }
    }
    PcapGateway(const PcapGateway&) = delete;
    PcapGateway& operator=(const PcapGateway&) = delete;

    // Frames the access and core ports receive, in order. With a shared port, access_in is the
    // one port's input and core_in stays empty.
    std::vector<Bytes> access_in, core_in;

    void add(const api::SessionSpec& s) {
        const TableResult r = table_.add(s, 1);
        if (!r.ok()) throw std::runtime_error("add: " + r.message);
    }

    // The test's relay loop: Worker::process() on every received burst, access port first, until
    // a round finds every rx pcap exhausted.
    Output run() { return relay(false); }
    // The same through Worker::run(), the lcore loop, on a thread of its own.
    Output run_lcore_loop() { return relay(true); }

    const WorkerCounters& counters() const { return worker_->counters(); }
    uint64_t frame_errors(net::FrameError e) const { return counters().frame_errors[static_cast<int>(e)].get(); }
    const FlowState& flow(uint64_t id, FlowId f) const {
        const Session* s = table_.find(id);
        if (!s) throw std::logic_error("no session " + std::to_string(id));
        return s->flow(f);
    }
    const neigh::NeighbourService& neighbours() const { return *neighbours_; }

    // Every drop, named: frame errors by reason, worker-level drops, and each session flow's.
    // Worker counters that repeat a flow counter (no_ue_address, no_neighbour, crypto_failed,
    // no_headroom) are left out so that each dropped packet appears once.
    std::map<std::string, uint64_t> drops() const {
        std::map<std::string, uint64_t> d;
        auto note = [&d](const std::string& name, uint64_t v) {
            if (v) d[name] = v;
        };
        for (int e = 1; e < net::kFrameErrorCount; ++e)
            note("frame." + std::string(net::frame_error_name(static_cast<net::FrameError>(e))),
                 counters().frame_errors[e].get());
        note("not_udp", counters().not_udp.get());
        note("no_session", counters().no_session.get());
        note("slow_path_full", counters().slow_path_full.get());
        note("tx_full", counters().tx_full.get());
        static constexpr const char* kFlowNames[] = {"access_rtp", "access_rtcp", "core_rtp", "core_rtcp"};
        table_.for_each([&](const Session& s) {
            for (int f = 0; f < kFlowCount; ++f) {
                const FlowState& fs = s.flow(static_cast<FlowId>(f));
                const std::string n = "s" + std::to_string(s.id) + "." + kFlowNames[f] + ".";
                note(n + "auth_failures", fs.auth_failures.get());
                note(n + "replays", fs.replays.get());
                note(n + "unknown_source", fs.unknown_source.get());
                note(n + "malformed", fs.malformed.get());
                note(n + "other_drops", fs.other_drops.get());
            }
        });
        return d;
    }

private:
    static TableConfig table_config() {
        TableConfig c;
        c.max_sessions = 64;
        c.max_workers = 1;
        c.access_addresses = {kAccessV4, kAccessV6};
        c.core_addresses = {kCoreV4, kCoreV6};
        return c;
    }

    std::unique_ptr<drivers::Port> open_port(const PcapVdev& dev, const net::MacAddr& mac) {
        drivers::PortConfig pc;
        pc.device = dev.name();
        pc.rx_ring = 256;
        pc.tx_ring = 256;
        pc.pool = g_pool;
        pc.mac = mac;
        std::string error;
        auto port = drivers::Port::open(pc, &error);
        if (!port) throw std::runtime_error("Port::open: " + error);
        EXPECT_EQ(port->driver(), "net_pcap");
        EXPECT_EQ(port->mac(), mac);
        return port;
    }

    neigh::NeighbourConfig neighbour_config() const {
        neigh::NeighbourConfig nc;
        neigh::SideConfig& a = nc.sides[static_cast<int>(api::Side::access)];
        a.mac = egress_[0].src_mac;
        a.addresses = {kAccessV4, kAccessV6};
        a.gateway4 = kAccessRouterV4;
        a.gateway6 = kAccessRouterV6;
        a.has_vlan = topology_.access_vlan.has_value();
        a.vlan_tci = topology_.access_vlan.value_or(0);
        a.static_entries = {{kAccessRouterV4, kAccessRouterV4Mac}, {kAccessRouterV6, kAccessRouterV6Mac}};
        neigh::SideConfig& c = nc.sides[static_cast<int>(api::Side::core)];
        c.mac = egress_[1].src_mac;
        c.addresses = {kCoreV4, kCoreV6};
        c.has_vlan = topology_.core_vlan.has_value();
        c.vlan_tci = topology_.core_vlan.value_or(0);
        c.static_entries = {{kCorePeerV4, kCorePeerV4Mac}, {kCorePeerV6, kCorePeerV6Mac}};
        return nc;
    }

    void transmit(api::Side side, rte_mbuf** m, uint16_t n) {
        if (n == 0) return;
        const Egress& e = egress_[static_cast<int>(side)];
        const uint16_t sent = rte_eth_tx_burst(e.port_id, e.tx_queue, m, n);
        EXPECT_EQ(sent, n) << "the tx pcap refused frames";
        if (sent < n) rte_pktmbuf_free_bulk(m + sent, n - sent);
    }

    // What the gateway's control lcore does with the slow path: ARP, ND and ICMP go to the
    // neighbour service, whose answers leave on the side they belong to.
    void drain_slow_path(bool answer, uint64_t now_ms = 0) {
        void* item;
        CollectingSink sink;
        while (rte_ring_sc_dequeue(slow_path_, &item) == 0) {
            auto* m = static_cast<rte_mbuf*>(item);
            if (answer) {
                const std::span<const uint8_t> frame(rte_pktmbuf_mtod(m, const uint8_t*), m->data_len);
                if (topology_.shared_port) {
                    neighbours_->handle_frame(api::Side::access, frame, sink, now_ms);
                    neighbours_->handle_frame(api::Side::core, frame, sink, now_ms);
                } else {
                    neighbours_->handle_frame(m->port == access_port_id_ ? api::Side::access : api::Side::core,
                                              frame, sink, now_ms);
                }
            }
            rte_pktmbuf_free(m);
        }
        for (auto& [side, bytes] : sink.frames) {
            rte_mbuf* m = rte_pktmbuf_alloc(g_pool);
            ASSERT_NE(m, nullptr);
            std::memcpy(rte_pktmbuf_append(m, static_cast<uint16_t>(bytes.size())), bytes.data(), bytes.size());
            transmit(side, &m, 1);
        }
    }

    void process_loop(const std::vector<RxQueue>& queues) {
        rte_mbuf* rx[kMaxBurst];
        rte_mbuf* tx[2][kMaxBurst];
        uint16_t tx_count[2];
        uint64_t now_ns = 1'000'000'000;
        for (bool received = true; received;) {
            received = false;
            for (const RxQueue& q : queues) {
                const uint16_t n = rte_eth_rx_burst(q.port_id, q.queue, rx, topology_.burst);
                if (n == 0) continue;
                received = true;
                now_ns += 1'000'000;
                worker_->process(rx, n, q, now_ns, tx, tx_count);
                EXPECT_LE(tx_count[0] + tx_count[1], n);
                transmit(api::Side::access, tx[0], tx_count[0]);
                transmit(api::Side::core, tx[1], tx_count[1]);
                drain_slow_path(true, now_ns / 1'000'000);
            }
        }
    }

    void lcore_loop(const std::vector<RxQueue>& queues) {
        const uint64_t expected = access_in.size() + core_in.size();
        std::atomic<bool> stop{false};
        std::thread lcore([&] { worker_->run(queues, stop); });
        // Every frame of the pcaps received means every burst is being or has been relayed; the
        // loop finishes the round it is in before it looks at `stop`.
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        while (worker_->counters().rx_packets.get() < expected && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        stop.store(true);
        lcore.join();
        EXPECT_EQ(worker_->counters().rx_packets.get(), expected) << "the lcore loop did not read every frame";
        EXPECT_EQ(worker_->counters().tx_full.get(), 0u);
        drain_slow_path(true);
    }

    Output relay(bool lcore) {
        if (worker_) throw std::logic_error("a PcapGateway runs once");
        if (topology_.shared_port && !core_in.empty()) throw std::logic_error("shared port: use access_in only");
        const std::string access_rx = dir_ + "/access_in.pcap", access_tx = dir_ + "/access_out.pcap";
        const std::string core_rx = dir_ + "/core_in.pcap", core_tx = dir_ + "/core_out.pcap";
        write_pcap(access_rx, access_in);
        if (!topology_.shared_port) write_pcap(core_rx, core_in);

        std::optional<PcapVdev> access_dev, core_dev;
        std::unique_ptr<drivers::Port> access_port, core_port;
        access_dev.emplace(access_rx, access_tx);
        access_port = open_port(*access_dev, kAccessMac);
        if (!topology_.shared_port) {
            core_dev.emplace(core_rx, core_tx);
            core_port = open_port(*core_dev, kCoreMac);
        }
        const drivers::Port& core = topology_.shared_port ? *access_port : *core_port;
        access_port_id_ = access_port->id();

        const drivers::Port* ports[2] = {access_port.get(), &core};
        const std::optional<uint16_t> vlans[2] = {topology_.access_vlan, topology_.core_vlan};
        for (int s = 0; s < 2; ++s) {
            egress_[s].port_id = ports[s]->id();
            egress_[s].tx_queue = 0;
            egress_[s].src_mac = ports[s]->mac();
            egress_[s].has_vlan = vlans[s].has_value();
            egress_[s].vlan_tci = vlans[s].value_or(0);
            egress_[s].checksum = !ports[s]->tx_ipv4_checksum_offload() ? net::ChecksumMode::software
                                  : ports[s]->tx_udp_checksum_offload() ? net::ChecksumMode::offload_ip_udp
                                                                        : net::ChecksumMode::offload_ip;
        }
        neighbours_ = std::make_unique<neigh::NeighbourService>(neighbour_config());
        neigh::NeighbourService* nb = neighbours_.get();
        worker_ = std::make_unique<Worker>(
            0, table_, [nb](api::Side side, const net::IpAddr& dst) { return nb->resolve(side, dst); },
            slow_path_, egress_, topology_.burst);

        std::vector<RxQueue> queues;
        if (topology_.shared_port) {
            queues.push_back({access_port->id(), 0, true, true, access_port->rx_checksum_offload()});
        } else {
            queues.push_back({access_port->id(), 0, true, false, access_port->rx_checksum_offload()});
            queues.push_back({core_port->id(), 0, false, true, core_port->rx_checksum_offload()});
        }
        if (lcore) {
            lcore_loop(queues);
        } else {
            process_loop(queues);
        }

        Output out;
        out.access_port = access_port->status();
        out.core_port = core.status();
        // Stopping a net_pcap port closes its tx dumper: the out pcaps are complete after this.
        core_port.reset();
        access_port.reset();
        core_dev.reset();
        access_dev.reset();
        EXPECT_EQ(mbufs_in_use(), 0u) << "an mbuf was leaked or freed twice";

        if (topology_.shared_port) {
            for (Bytes& f : read_pcap(access_tx)) {
                const Relayed r = decode(f);
                const bool from_core = r.is_udp() && (r.src.addr == kCoreV4 || r.src.addr == kCoreV6);
                (from_core ? out.core : out.access).push_back(std::move(f));
            }
        } else {
            out.access = read_pcap(access_tx);
            out.core = read_pcap(core_tx);
        }
        return out;
    }

    Topology topology_;
    std::string dir_;
    SessionTable table_;
    rte_ring* slow_path_ = nullptr;
    std::unique_ptr<neigh::NeighbourService> neighbours_;
    std::array<Egress, 2> egress_{};
    uint16_t access_port_id_ = 0;
    std::unique_ptr<Worker> worker_;
};

// ---------------------------------------------------------------------------------------------
// Media through the gateway.

TEST(PcapRelay, SrtpFromTheUeLeavesTheCoreSideAsTheOriginalRtp) {
    PcapGateway g;
    const api::SessionSpec s = session(1);
    g.add(s);
    Ue ue(s);
    TestRng rng(1);
    std::vector<Bytes> sent;
    for (uint16_t seq = 1; seq <= 70; ++seq) {  // three bursts of up to 32
        sent.push_back(media(rng, 0x11110001, seq));
        Datagram d = from_ue(s, ue_of(s), ue.protect(sent.back()));
        d.tos = 0xb8;  // DSCP EF survives the relay
        g.access_in.push_back(frame_of(d));
    }
    const Output out = g.run();

    EXPECT_TRUE(out.access.empty());
    ASSERT_EQ(out.core.size(), sent.size());
    for (size_t i = 0; i < sent.size(); ++i) {
        SCOPED_TRACE("packet " + std::to_string(i));
        const Relayed r = decode(out.core[i]);
        expect_headers(r, to_core(s, false, {}, 0xb8));
        EXPECT_EQ(r.payload, sent[i]);
    }
    EXPECT_EQ(g.flow(1, access_rtp).latched.load(), ue_of(s));
    EXPECT_EQ(g.flow(1, access_rtp).packets_in.get(), 70u);
    EXPECT_EQ(g.flow(1, access_rtp).packets_out.get(), 70u);
    EXPECT_EQ(g.counters().unprotected.get(), 70u);
    EXPECT_EQ(out.access_port.rx_packets, 70u);
    EXPECT_EQ(out.core_port.tx_packets, 70u);
    EXPECT_EQ(g.drops(), (std::map<std::string, uint64_t>{}));
}

TEST(PcapRelay, RtpFromTheCoreLeavesTheAccessSideAsSrtpTheLatchedUeAccepts) {
    PcapGateway g;
    const api::SessionSpec s = session(1);
    g.add(s);
    Ue ue(s);
    TestRng rng(2);
    // The UE's first packet latches its address; the access port is polled first.
    const Bytes hello = media(rng, 0x11110001, 1);
    g.access_in.push_back(frame_of(from_ue(s, ue_of(s), ue.protect(hello))));
    std::vector<Bytes> sent;
    for (uint16_t seq = 1; seq <= 70; ++seq) {
        sent.push_back(media(rng, 0x22220001, static_cast<uint16_t>(65500 + seq)));  // the sequence number wraps
        g.core_in.push_back(frame_of(from_core(s, sent.back())));
    }
    const Output out = g.run();

    ASSERT_EQ(out.core.size(), 1u);
    EXPECT_EQ(decode(out.core[0]).payload, hello);
    ASSERT_EQ(out.access.size(), sent.size());
    for (size_t i = 0; i < sent.size(); ++i) {
        SCOPED_TRACE("packet " + std::to_string(i));
        const Relayed r = decode(out.access[i]);
        expect_headers(r, to_ue(s, ue_of(s), false));
        EXPECT_EQ(ue.unprotect(r.payload), sent[i]);
    }
    EXPECT_EQ(g.flow(1, core_rtp).packets_out.get(), 70u);
    EXPECT_EQ(g.counters().protected_.get(), 70u);
    EXPECT_EQ(g.drops(), (std::map<std::string, uint64_t>{}));
}

TEST(PcapRelay, RtpFromTheCoreReachesAConfiguredUeWithoutAnythingFromIt) {
    PcapGateway g;
    const api::SessionSpec s = session(1, {.configured_ue = true});
    g.add(s);
    Ue ue(s);
    TestRng rng(3);
    std::vector<Bytes> sent;
    for (uint16_t seq = 1; seq <= 10; ++seq) {
        sent.push_back(media(rng, 0x22220001, seq));
        g.core_in.push_back(frame_of(from_core(s, sent.back())));
    }
    const Output out = g.run();

    EXPECT_TRUE(out.core.empty());
    ASSERT_EQ(out.access.size(), sent.size());
    for (size_t i = 0; i < sent.size(); ++i) {
        const Relayed r = decode(out.access[i]);
        expect_headers(r, to_ue(s, s.access.remote, false));
        EXPECT_EQ(ue.unprotect(r.payload), sent[i]) << "packet " << i;
    }
    EXPECT_TRUE(g.flow(1, access_rtp).latched.empty());
}

TEST(PcapRelay, SrtcpAndRtcpTravelBothWaysOnTheRtcpPorts) {
    PcapGateway g;
    const api::SessionSpec s = session(1);
    g.add(s);
    Ue ue(s);
    TestRng rng(4);
    // The UE's RTCP comes from a port that is not its RTP port + 1 (a NAT did that): SRTCP to it
    // must follow the latched RTCP source (RFC 3550 §11 is only the default).
    const net::Endpoint ue_rtp = ue_of(s), ue_rtcp = plus(ue_of(s), 7);
    const Bytes hello = media(rng, 0x11110001, 1);
    g.access_in.push_back(frame_of(from_ue(s, ue_rtp, ue.protect(hello))));
    std::vector<Bytes> from_the_ue, from_the_core;
    for (int i = 0; i < 5; ++i) {
        from_the_ue.push_back(control(rng, 0x11110001));
        g.access_in.push_back(frame_of(from_ue(s, ue_rtcp, ue.protect_rtcp(from_the_ue.back()), true)));
        from_the_core.push_back(control(rng, 0x22220001));
        g.core_in.push_back(frame_of(from_core(s, from_the_core.back(), true)));
    }
    const Output out = g.run();

    ASSERT_EQ(out.core.size(), 6u);
    EXPECT_EQ(decode(out.core[0]).payload, hello);
    for (size_t i = 0; i < 5; ++i) {
        SCOPED_TRACE("RTCP packet " + std::to_string(i));
        const Relayed r = decode(out.core[i + 1]);
        expect_headers(r, to_core(s, true));
        EXPECT_EQ(r.payload, from_the_ue[i]);
    }
    ASSERT_EQ(out.access.size(), 5u);
    for (size_t i = 0; i < 5; ++i) {
        SCOPED_TRACE("SRTCP packet " + std::to_string(i));
        const Relayed r = decode(out.access[i]);
        expect_headers(r, to_ue(s, ue_rtcp, true));
        EXPECT_EQ(ue.unprotect_rtcp(r.payload), from_the_core[i]);
    }
    EXPECT_EQ(g.flow(1, access_rtcp).latched.load(), ue_rtcp);
    EXPECT_EQ(g.flow(1, access_rtcp).packets_out.get(), 5u);
    EXPECT_EQ(g.flow(1, core_rtcp).packets_out.get(), 5u);
    EXPECT_EQ(g.drops(), (std::map<std::string, uint64_t>{}));
}

// Both directions, RTP and RTCP interleaved, with RTCP multiplexed (RFC 5761) on one or both legs;
// checks each kind arrives complete and in order and that RTCP is told apart from RTP.
void expect_mux_relay(TestRng& rng, const Topology& topology, const Shape& shape) {
    PcapGateway g(topology);
    const api::SessionSpec s = session(1, shape);
    g.add(s);
    Ue ue(s);
    const net::Endpoint ue_rtcp_source = rtcp_of(ue_of(s), s.access.rtcp_mux);
    std::vector<Bytes> ue_rtp, ue_rtcp, core_rtp, core_rtcp;
    ue_rtp.push_back(media(rng, 0x11110001, 1));
    g.access_in.push_back(frame_of(from_ue(s, ue_of(s), ue.protect(ue_rtp.back()))));
    for (uint16_t seq = 2; seq <= 12; ++seq) {
        ue_rtp.push_back(media(rng, 0x11110001, seq));
        g.access_in.push_back(frame_of(from_ue(s, ue_of(s), ue.protect(ue_rtp.back()))));
        core_rtp.push_back(media(rng, 0x22220001, seq));
        g.core_in.push_back(frame_of(from_core(s, core_rtp.back())));
        if (seq % 3 == 0) {
            ue_rtcp.push_back(control(rng, 0x11110001));
            g.access_in.push_back(frame_of(from_ue(s, ue_rtcp_source, ue.protect_rtcp(ue_rtcp.back()), true)));
            core_rtcp.push_back(control(rng, 0x22220001));
            g.core_in.push_back(frame_of(from_core(s, core_rtcp.back(), true)));
        }
    }
    const Output out = g.run();

    std::vector<Bytes> got_rtp, got_rtcp;
    for (const Bytes& f : out.core) {
        const Relayed r = decode(f);
        expect_headers(r, to_core(s, r.rtcp()));
        (r.rtcp() ? got_rtcp : got_rtp).push_back(r.payload);
    }
    EXPECT_EQ(got_rtp, ue_rtp);
    EXPECT_EQ(got_rtcp, ue_rtcp);
    got_rtp.clear();
    got_rtcp.clear();
    for (const Bytes& f : out.access) {
        const Relayed r = decode(f);
        expect_headers(r, to_ue(s, r.rtcp() ? ue_rtcp_source : ue_of(s), r.rtcp()));
        if (r.rtcp() && got_rtcp.size() == core_rtcp.size()) FAIL() << "more RTCP than was sent";
        const auto plain = r.rtcp() ? srtcp_to_ue(ue, s, r.payload, core_rtcp[got_rtcp.size()]) : ue.unprotect(r.payload);
        ASSERT_TRUE(plain) << "libsrtp refused a relayed " << (r.rtcp() ? "SRTCP" : "SRTP") << " packet";
        (r.rtcp() ? got_rtcp : got_rtp).push_back(*plain);
    }
    EXPECT_EQ(got_rtp, core_rtp);
    EXPECT_EQ(got_rtcp, core_rtcp);
    EXPECT_EQ(g.drops(), (std::map<std::string, uint64_t>{}));
}

TEST(PcapRelay, RtcpMuxCarriesRtpAndRtcpOnOnePortBothWays) {
    TestRng rng(5);
    expect_mux_relay(rng, {}, {.access_mux = true, .core_mux = true});
}

TEST(PcapRelay, RtcpMuxOnOneLegOnlyMovesRtcpBetweenItsOwnPortAndTheOtherLegsRtcpPort) {
    TestRng rng(15);
    expect_mux_relay(rng, {}, {.access_mux = true});
    expect_mux_relay(rng, {}, {.core_mux = true});
}

// A port that carries both sides has one MAC: frames to the core come to it and leave from it.
Datagram to_shared_port(Datagram d) {
    d.dst_mac = kAccessMac;
    return d;
}
Expect from_shared_port(Expect e) {
    e.src_mac = kAccessMac;
    return e;
}

// One rx pcap holding both directions interleaved; one tx pcap holding both.
TEST(PcapRelay, OnePortForBothSidesRelaysBothDirectionsInOrder) {
    PcapGateway g({.shared_port = true});
    const api::SessionSpec s = session(1, {.configured_ue = true});
    g.add(s);
    Ue ue(s);
    TestRng rng(6);
    std::vector<Bytes> up, down;
    for (uint16_t seq = 1; seq <= 40; ++seq) {
        up.push_back(media(rng, 0x11110001, seq));
        g.access_in.push_back(frame_of(from_ue(s, s.access.remote, ue.protect(up.back()))));
        down.push_back(media(rng, 0x22220001, seq));
        g.access_in.push_back(frame_of(to_shared_port(from_core(s, down.back()))));
    }
    const Output out = g.run();

    ASSERT_EQ(out.core.size(), up.size());
    ASSERT_EQ(out.access.size(), down.size());
    for (size_t i = 0; i < up.size(); ++i) {
        SCOPED_TRACE("packet " + std::to_string(i));
        const Relayed c = decode(out.core[i]);
        expect_headers(c, from_shared_port(to_core(s, false)));
        EXPECT_EQ(c.payload, up[i]);
        const Relayed a = decode(out.access[i]);
        expect_headers(a, to_ue(s, s.access.remote, false));
        EXPECT_EQ(ue.unprotect(a.payload), down[i]);
    }
    EXPECT_EQ(out.access_port.rx_packets, 80u);
    EXPECT_EQ(out.access_port.tx_packets, 80u);
}

// ---------------------------------------------------------------------------------------------
// Address families and VLANs.

// Both directions, RTP and RTCP on their own ports, for one topology and session shape.
void expect_relay_both_ways(TestRng& rng, const Topology& topology, const Shape& shape) {
    PcapGateway g(topology);
    const api::SessionSpec s = session(1, shape);
    g.add(s);
    Ue ue(s);
    const net::Endpoint ue_rtp = ue_of(s), ue_rtcp = plus(ue_of(s), 1);
    std::vector<Bytes> up, up_rtcp, down, down_rtcp;
    for (uint16_t seq = 1; seq <= 6; ++seq) {
        up.push_back(media(rng, 0x11110001, seq));
        Datagram d = from_ue(s, ue_rtp, ue.protect(up.back()));
        d.vlan_tci = topology.access_vlan;
        g.access_in.push_back(frame_of(d));
        down.push_back(media(rng, 0x22220001, seq));
        d = from_core(s, down.back());
        d.vlan_tci = topology.core_vlan;
        g.core_in.push_back(frame_of(d));
        if (seq % 2 == 0) {
            up_rtcp.push_back(control(rng, 0x11110001));
            d = from_ue(s, ue_rtcp, ue.protect_rtcp(up_rtcp.back()), true);
            d.vlan_tci = topology.access_vlan;
            g.access_in.push_back(frame_of(d));
            down_rtcp.push_back(control(rng, 0x22220001));
            d = from_core(s, down_rtcp.back(), true);
            d.vlan_tci = topology.core_vlan;
            g.core_in.push_back(frame_of(d));
        }
    }
    const Output out = g.run();

    std::vector<Bytes> got, got_rtcp;
    for (const Bytes& f : out.core) {
        const Relayed r = decode(f);
        expect_headers(r, to_core(s, r.rtcp(), topology.core_vlan));
        (r.rtcp() ? got_rtcp : got).push_back(r.payload);
    }
    EXPECT_EQ(got, up);
    EXPECT_EQ(got_rtcp, up_rtcp);
    got.clear();
    got_rtcp.clear();
    for (const Bytes& f : out.access) {
        const Relayed r = decode(f);
        expect_headers(r, to_ue(s, r.rtcp() ? ue_rtcp : ue_rtp, r.rtcp(), topology.access_vlan));
        if (r.rtcp() && got_rtcp.size() == down_rtcp.size()) FAIL() << "more RTCP than was sent";
        const auto plain =
            r.rtcp() ? srtcp_to_ue(ue, s, r.payload, down_rtcp[got_rtcp.size()]) : ue.unprotect(r.payload);
        ASSERT_TRUE(plain) << "the UE refused a relayed " << (r.rtcp() ? "SRTCP" : "SRTP") << " packet";
        (r.rtcp() ? got_rtcp : got).push_back(*plain);
    }
    EXPECT_EQ(got, down);
    EXPECT_EQ(got_rtcp, down_rtcp);
    EXPECT_EQ(g.drops(), (std::map<std::string, uint64_t>{}));
}

class PcapRelayFamilies : public ::testing::TestWithParam<std::tuple<net::Family, net::Family>> {};

TEST_P(PcapRelayFamilies, RelaysBothWaysBetweenTheFamiliesOfTheLegs) {
    TestRng rng(7);
    expect_relay_both_ways(rng, {}, {.access = std::get<0>(GetParam()), .core = std::get<1>(GetParam())});
}

INSTANTIATE_TEST_SUITE_P(
    AccessCore, PcapRelayFamilies,
    ::testing::Combine(::testing::Values(net::Family::ipv4, net::Family::ipv6),
                       ::testing::Values(net::Family::ipv4, net::Family::ipv6)),
    [](const auto& info) {
        auto name = [](net::Family f) { return f == net::Family::ipv4 ? std::string("V4") : std::string("V6"); };
        return "Access" + name(std::get<0>(info.param)) + "Core" + name(std::get<1>(info.param));
    });

TEST(PcapRelay, VlanTaggedInputLeavesTaggedWithEachSidesVlan) {
    TestRng rng(8);
    // PCP 5, VID 100 on the access side; VID 200 on the core side.
    expect_relay_both_ways(rng, {.access_vlan = 0xa064, .core_vlan = 200}, {});
    expect_relay_both_ways(rng, {.access_vlan = 0xa064, .core_vlan = 200},
                           {.access = net::Family::ipv6, .core = net::Family::ipv6});
}

TEST(PcapRelay, VlanTaggedRtcpMuxOnOnePortForBothSides) {
    TestRng rng(9);
    Topology t{.shared_port = true, .access_vlan = 100, .core_vlan = 200};
    PcapGateway g(t);
    const api::SessionSpec s = session(1, {.access = net::Family::ipv6, .access_mux = true, .core_mux = true, .configured_ue = true});
    g.add(s);
    Ue ue(s);
    std::vector<Bytes> up, down;
    for (uint16_t seq = 1; seq <= 8; ++seq) {
        up.push_back(seq % 4 ? media(rng, 0x11110001, seq) : control(rng, 0x11110001));
        Datagram d = from_ue(s, s.access.remote, seq % 4 ? ue.protect(up.back()) : ue.protect_rtcp(up.back()));
        d.vlan_tci = 100;
        g.access_in.push_back(frame_of(d));
        down.push_back(seq % 4 ? media(rng, 0x22220001, seq) : control(rng, 0x22220001));
        d = to_shared_port(from_core(s, down.back()));
        d.vlan_tci = 200;
        g.access_in.push_back(frame_of(d));
    }
    const Output out = g.run();

    ASSERT_EQ(out.core.size(), up.size());
    ASSERT_EQ(out.access.size(), down.size());
    // RTP and RTCP of one direction may leave in either order within a burst; each kind in order.
    std::map<bool, std::vector<Bytes>> want_up, want_down, got_up, got_down;
    for (const Bytes& p : up) want_up[p[1] >= 192 && p[1] <= 223].push_back(p);
    for (const Bytes& p : down) want_down[p[1] >= 192 && p[1] <= 223].push_back(p);
    for (const Bytes& f : out.core) {
        const Relayed r = decode(f);
        expect_headers(r, from_shared_port(to_core(s, r.rtcp(), 200)));
        got_up[r.rtcp()].push_back(r.payload);
    }
    for (const Bytes& f : out.access) {
        const Relayed r = decode(f);
        expect_headers(r, to_ue(s, s.access.remote, r.rtcp(), 100));
        const auto plain = r.rtcp() ? ue.unprotect_rtcp(r.payload) : ue.unprotect(r.payload);
        ASSERT_TRUE(plain);
        got_down[r.rtcp()].push_back(*plain);
    }
    EXPECT_EQ(got_up, want_up);
    EXPECT_EQ(got_down, want_down);
}

// ---------------------------------------------------------------------------------------------
// Every suite, with and without an MKI.

class PcapRelaySuites : public ::testing::TestWithParam<std::tuple<Suite, size_t>> {};

TEST_P(PcapRelaySuites, RelaysRtpAndRtcpBothWays) {
    const auto [suite, mki_len] = GetParam();
    TestRng rng(100 + static_cast<uint64_t>(suite) * 10 + mki_len);
    expect_relay_both_ways(rng, {}, {.suite = suite, .mki_len = mki_len});
}

TEST_P(PcapRelaySuites, RelaysMultiplexedRtpAndRtcpBothWaysOverIpv6) {
    const auto [suite, mki_len] = GetParam();
    TestRng rng(200 + static_cast<uint64_t>(suite) * 10 + mki_len);
    expect_mux_relay(rng, {}, {.suite = suite, .access = net::Family::ipv6, .core = net::Family::ipv6,
                               .mki_len = mki_len, .access_mux = true, .core_mux = true});
}

INSTANTIATE_TEST_SUITE_P(
    AllSuites, PcapRelaySuites,
    ::testing::Combine(::testing::ValuesIn(kAllSuites), ::testing::Values(size_t{0}, size_t{4})),
    [](const auto& info) {
        std::string name(srtp::suite_info(std::get<0>(info.param)).name);
        return name + (std::get<1>(info.param) ? "_Mki" : "_NoMki");
    });

// ---------------------------------------------------------------------------------------------
// Good and bad traffic mixed.

// Two sessions' good packets with every kind of bad traffic between them: every good packet
// comes out, in order per flow, nothing else does (but the ARP reply), and each bad packet shows
// in exactly one drop counter.
TEST(PcapRelayBadTraffic, OnlyTheGoodPacketsComeOutAndEveryBadOneIsCounted) {
    PcapGateway g;
    // s1: IPv4, latches its UE, RTCP on port + 1. s2: IPv6, AEAD, configured UE, rtcp-mux, MKI.
    // s3: latches a UE that never sends.
    const api::SessionSpec s1 = session(1);
    const api::SessionSpec s2 = session(2, {.suite = Suite::aead_aes_128_gcm, .access = net::Family::ipv6,
                                            .core = net::Family::ipv6, .mki_len = 2, .access_mux = true, .core_mux = true,
                                            .configured_ue = true});
    const api::SessionSpec s3 = session(3);
    g.add(s1);
    g.add(s2);
    g.add(s3);
    Ue ue1(s1), ue2(s2);
    const net::Endpoint u1 = ue_of(s1), u1_rtcp = plus(u1, 1), u2 = s2.access.remote;
    TestRng rng(11);

    // Wanted output per flow, in order: plain RTP/RTCP as the UE or the core peer sent it.
    std::map<std::string, std::vector<Bytes>> want;
    std::map<std::string, uint64_t> want_drops;
    size_t bad = 0;
    auto drop = [&](std::vector<Bytes>& port, Bytes frame, const std::string& counter) {
        port.push_back(std::move(frame));
        ++want_drops[counter];
        ++bad;
    };
    uint16_t seq1 = 0, seq2 = 0, cseq1 = 0, cseq2 = 0;
    auto& a = g.access_in;
    auto& c = g.core_in;
    std::vector<Bytes> s1_good, s1_rtcp_good;  // protected, for the replays

    for (int round = 1; round <= 24; ++round) {
        // Good traffic of this round.
        Bytes p = media(rng, 0x11110001, ++seq1);
        want["s1 to core rtp"].push_back(p);
        s1_good.push_back(ue1.protect(p));
        a.push_back(frame_of(from_ue(s1, u1, s1_good.back())));
        p = media(rng, 0x22220002, ++seq2);
        want["s2 to core rtp"].push_back(p);
        a.push_back(frame_of(from_ue(s2, u2, ue2.protect(p))));
        p = media(rng, 0x33330001, ++cseq1);
        want["s1 to ue rtp"].push_back(p);
        c.push_back(frame_of(from_core(s1, p)));
        p = media(rng, 0x44440002, ++cseq2);
        want["s2 to ue rtp"].push_back(p);
        c.push_back(frame_of(from_core(s2, p)));
        if (round % 4 == 0) {
            p = control(rng, 0x11110001);
            want["s1 to core rtcp"].push_back(p);
            s1_rtcp_good.push_back(ue1.protect_rtcp(p));
            a.push_back(frame_of(from_ue(s1, u1_rtcp, s1_rtcp_good.back(), true)));
            p = control(rng, 0x22220002);
            want["s2 to core rtcp"].push_back(p);
            a.push_back(frame_of(from_ue(s2, u2, ue2.protect_rtcp(p), true)));
            p = control(rng, 0x33330001);
            want["s1 to ue rtcp"].push_back(p);
            c.push_back(frame_of(from_core(s1, p, true)));
            p = control(rng, 0x44440002);
            want["s2 to ue rtcp"].push_back(p);
            c.push_back(frame_of(from_core(s2, p, true)));
        }

        // One or two bad packets per round, each made from a packet that would otherwise pass.
        const Datagram next1 = from_ue(s1, u1, ue1.protect(media(rng, 0x11110001, ++seq1)));
        const Datagram next2 = from_ue(s2, u2, ue2.protect(media(rng, 0x22220002, ++seq2)));
        const Datagram core1 = from_core(s1, media(rng, 0x33330001, 7));
        const Datagram core2 = from_core(s2, media(rng, 0x44440002, 7));
        switch (round) {
            case 1: {  // ends inside the IPv4 header
                Bytes f = frame_of(next1);
                f.resize(30);
                drop(a, f, "frame.truncated");
                break;
            }
            case 2: {  // IPv4 total length beyond the frame: cut short on the wire
                Bytes f = frame_of(next1);
                f.resize(f.size() - 5);
                drop(a, f, "frame.bad_ip_length");
                break;
            }
            case 3: {  // RFC 791: first fragment (MF) and a later one (offset)
                Datagram d = next1;
                d.ipv4_flags = 0x2000;
                drop(a, frame_of(d), "frame.fragment");
                d.ipv4_flags = 0x00b9;
                drop(a, frame_of(d), "frame.fragment");
                break;
            }
            case 4: {  // RFC 8200 §4.5 Fragment header
                Datagram d = next2;
                d.ipv6_extension = Ipv6Extension::fragment;
                drop(a, frame_of(d), "frame.fragment");
                break;
            }
            case 5: {
                Frame f = build(next1);
                f.bytes[f.l3 + 10] ^= 0x40;
                drop(a, f.bytes, "frame.bad_ip_checksum");
                break;
            }
            case 6: {
                Frame f = build(next1);
                f.bytes[f.l4 + 6] ^= 0x21;
                drop(a, f.bytes, "frame.bad_udp_checksum");
                Frame f2 = build(next2);
                f2.bytes[f2.l4 + 7] ^= 0x01;
                drop(a, f2.bytes, "frame.bad_udp_checksum");
                break;
            }
            case 7: {  // RFC 8200 §8.1: a zero UDP checksum is invalid over IPv6
                Frame f = build(next2);
                set16(f.bytes, f.l4 + 6, 0);
                drop(a, f.bytes, "frame.bad_udp_checksum");
                break;
            }
            case 8: {  // IPv4 options are not handled
                Datagram d = next1;
                d.ipv4_option_words = 1;
                drop(a, frame_of(d), "frame.ip_options");
                break;
            }
            case 9: {  // UDP length beyond the IP payload
                Frame f = build(next1);
                set16(f.bytes, f.l4 + 4, static_cast<uint16_t>(f.bytes.size() - f.l4 + 8));
                drop(a, f.bytes, "frame.bad_udp_length");
                break;
            }
            case 10: {  // no session on that port, or on that address
                Datagram d = next1;
                d.dst.port = 20999;
                drop(a, frame_of(d), "no_session");
                d = next1;
                d.dst.addr = ip("192.0.2.99");
                drop(a, frame_of(d), "no_session");
                break;
            }
            case 11: {  // tampered tag, SRTP and SRTCP
                Datagram d = next1;
                d.payload.back() ^= 0x01;
                drop(a, frame_of(d), "s1.access_rtp.auth_failures");
                d = from_ue(s1, u1_rtcp, ue1.protect_rtcp(control(rng, 0x11110001)), true);
                d.payload.back() ^= 0x80;
                drop(a, frame_of(d), "s1.access_rtcp.auth_failures");
                break;
            }
            case 12: {  // replays of packets that already went through
                drop(a, frame_of(from_ue(s1, u1, s1_good[3])), "s1.access_rtp.replays");
                drop(a, frame_of(from_ue(s1, u1_rtcp, s1_rtcp_good[0], true)), "s1.access_rtcp.replays");
                break;
            }
            case 13: {  // a stranger using s1's port: fails authentication and moves no latch
                Datagram d = next1;
                d.src = ue_endpoint(net::Family::ipv4, 66);
                d.payload.back() ^= 0x10;
                drop(a, frame_of(d), "s1.access_rtp.auth_failures");
                break;
            }
            case 14: {  // s2's UE is configured: another source is refused before SRTP
                Datagram d = next2;
                d.src = plus(u2, 2);
                drop(a, frame_of(d), "s2.access_rtp.unknown_source");
                break;
            }
            case 15: {  // too short to be SRTP
                Datagram d = next1;
                d.payload.resize(6);
                drop(a, frame_of(d), "s1.access_rtp.malformed");
                break;
            }
            case 16: {  // not UDP; QinQ; not IP
                Datagram d = next1;
                d.protocol = 6;
                drop(a, frame_of(d), "not_udp");
                Bytes f = frame_of(next1);
                const uint8_t s_tag[] = {0x88, 0xa8, 0x00, 0x07};
                f.insert(f.begin() + 12, std::begin(s_tag), std::end(s_tag));
                drop(a, f, "frame.vlan_stacked");
                f = frame_of(next1);
                set16(f, 12, 0x88cc);  // LLDP
                drop(a, f, "frame.unsupported_ethertype");
                break;
            }
            case 17: {  // IPv6 hop-by-hop options are not handled
                Datagram d = next2;
                d.ipv6_extension = Ipv6Extension::hop_by_hop;
                drop(a, frame_of(d), "frame.ipv6_extension");
                break;
            }
            case 18: {  // core side: another port of the peer, another host of the core link
                Datagram d = core1;
                d.src.port = 40999;
                drop(c, frame_of(d), "s1.core_rtp.unknown_source");
                d = core1;
                d.src.addr = kCorePeerV4;
                d.src.addr.bytes[3] = 21;
                drop(c, frame_of(d), "s1.core_rtp.unknown_source");
                break;
            }
            case 19: {  // core side frame errors
                Frame f = build(core1);
                f.bytes[f.l4 + 6] ^= 0x02;
                drop(c, f.bytes, "frame.bad_udp_checksum");
                f = build(core2);
                set16(f.bytes, f.l4 + 6, 0);
                drop(c, f.bytes, "frame.bad_udp_checksum");
                Datagram d = core2;
                d.ipv6_extension = Ipv6Extension::fragment;
                drop(c, frame_of(d), "frame.fragment");
                break;
            }
            case 20: {  // core side: unknown port; s3 has nowhere to send yet
                Datagram d = core1;
                d.dst.port = 30999;
                drop(c, frame_of(d), "no_session");
                drop(c, frame_of(from_core(s3, media(rng, 0x55550003, 1))), "s3.core_rtp.other_drops");
                break;
            }
            case 21: {  // SRTCP too short for its index and tag
                Datagram d = from_ue(s1, u1_rtcp, control(rng, 0x11110001), true);
                d.payload.resize(12);
                drop(a, frame_of(d), "s1.access_rtcp.malformed");
                break;
            }
            default:
                break;
        }
    }
    // ARP for the gateway's access address goes to the slow path and is answered.
    a.push_back(arp_request(kAccessRouterV4Mac, kAccessRouterV4, kAccessV4));
    const size_t total = a.size() + c.size();

    const Output out = g.run();

    // Sort what came out into flows; anything that fits no flow is a failure.
    std::map<std::string, std::vector<Bytes>> got;
    std::vector<Relayed> arp_replies;
    for (const Bytes& f : out.core) {
        const Relayed r = decode(f);
        ASSERT_EQ(r.error, "");
        const api::SessionSpec* s = nullptr;
        for (const api::SessionSpec* candidate : {&s1, &s2}) {
            if (r.dst == candidate->core.remote || r.dst == rtcp_of(candidate->core.remote, candidate->core.rtcp_mux))
                s = candidate;
        }
        ASSERT_NE(s, nullptr) << "a frame to " << r.dst.to_string() << " left the core side";
        expect_headers(r, to_core(*s, r.rtcp()));
        got["s" + std::to_string(s->id) + (r.rtcp() ? " to core rtcp" : " to core rtp")].push_back(r.payload);
    }
    for (const Bytes& f : out.access) {
        const Relayed r = decode(f);
        ASSERT_EQ(r.error, "");
        if (r.ether_type == 0x0806) {
            arp_replies.push_back(r);
            continue;
        }
        if (r.dst == u1 || r.dst == u1_rtcp) {
            expect_headers(r, to_ue(s1, r.dst, r.rtcp()));
            const auto plain = r.rtcp() ? ue1.unprotect_rtcp(r.payload) : ue1.unprotect(r.payload);
            ASSERT_TRUE(plain) << "libsrtp refused what went to s1's UE";
            got[r.rtcp() ? "s1 to ue rtcp" : "s1 to ue rtp"].push_back(*plain);
        } else if (r.dst == u2) {
            expect_headers(r, to_ue(s2, u2, r.rtcp()));
            const auto plain = r.rtcp() ? ue2.unprotect_rtcp(r.payload) : ue2.unprotect(r.payload);
            ASSERT_TRUE(plain) << "libsrtp refused what went to s2's UE";
            got[r.rtcp() ? "s2 to ue rtcp" : "s2 to ue rtp"].push_back(*plain);
        } else {
            FAIL() << "a frame to " << r.dst.to_string() << " left the access side";
        }
    }
    for (const auto& [name, packets] : want) {
        SCOPED_TRACE(name);
        ASSERT_EQ(got[name].size(), packets.size());
        for (size_t i = 0; i < packets.size(); ++i) EXPECT_EQ(got[name][i], packets[i]) << "packet " << i;
    }
    EXPECT_EQ(got.size(), want.size());

    // The ARP reply (RFC 826): from the access port, for the router that asked.
    ASSERT_EQ(arp_replies.size(), 1u);
    EXPECT_EQ(arp_replies[0].dst_mac, kAccessRouterV4Mac);
    EXPECT_EQ(arp_replies[0].src_mac, kAccessMac);
    EXPECT_EQ(get16(&arp_replies[0].payload[6]), 2u) << "ARP operation";
    EXPECT_TRUE(std::equal(kAccessMac.bytes.begin(), kAccessMac.bytes.end(), arp_replies[0].payload.begin() + 8));
    EXPECT_TRUE(std::equal(kAccessV4.bytes.begin(), kAccessV4.bytes.begin() + 4, arp_replies[0].payload.begin() + 14));
    EXPECT_EQ(g.neighbours().counters(api::Side::access).arp_requests_answered, 1u);
    EXPECT_EQ(g.counters().slow_path.get(), 1u);

    // Every bad packet counted once, in the counter its fault belongs to.
    EXPECT_EQ(g.drops(), want_drops);
    uint64_t relayed = 0;
    for (const auto& [name, packets] : want) relayed += packets.size();
    EXPECT_EQ(relayed + bad + 1, total);
    EXPECT_EQ(g.counters().rx_packets.get(), total);
    EXPECT_EQ(out.access_port.rx_packets + out.core_port.rx_packets, total);
    EXPECT_EQ(out.access.size() + out.core.size(), relayed + 1);
    EXPECT_EQ(g.counters().no_ue_address.get(), 1u);
    // The stranger did not move s1's latch.
    EXPECT_EQ(g.flow(1, access_rtp).latched.load(), u1);
    EXPECT_EQ(g.flow(1, access_rtp).packets_out.get(), want["s1 to core rtp"].size());
}

// ---------------------------------------------------------------------------------------------
// The lcore loop.

TEST(PcapRelayLcoreLoop, WorkerRunRelaysEveryFrameOfThePcapsUntilStopped) {
    PcapGateway g({.burst = 16});
    const api::SessionSpec s = session(1, {.configured_ue = true});
    g.add(s);
    Ue ue(s);
    TestRng rng(12);
    std::vector<Bytes> up, down;
    for (uint16_t seq = 1; seq <= 50; ++seq) {
        up.push_back(media(rng, 0x11110001, seq));
        g.access_in.push_back(frame_of(from_ue(s, s.access.remote, ue.protect(up.back()))));
        down.push_back(media(rng, 0x22220001, seq));
        g.core_in.push_back(frame_of(from_core(s, down.back())));
    }
    const Output out = g.run_lcore_loop();

    ASSERT_EQ(out.core.size(), up.size());
    ASSERT_EQ(out.access.size(), down.size());
    for (size_t i = 0; i < up.size(); ++i) {
        SCOPED_TRACE("packet " + std::to_string(i));
        expect_headers(decode(out.core[i]), to_core(s, false));
        EXPECT_EQ(decode(out.core[i]).payload, up[i]);
        const Relayed r = decode(out.access[i]);
        expect_headers(r, to_ue(s, s.access.remote, false));
        EXPECT_EQ(ue.unprotect(r.payload), down[i]);
    }
    EXPECT_EQ(g.counters().tx_packets.get(), 100u);
    EXPECT_GE(g.counters().rx_bursts.get(), 100u / 16);
}

}  // namespace
}  // namespace msf::dp

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    // No NIC and no hugepages; the net_pcap ports are hot-plugged by each test.
    const char* eal[] = {"pcap_relay_test", "--no-huge", "--no-pci", "--no-shconf", "--no-telemetry",
                         "-m", "256", "--log-level=error"};
    if (rte_eal_init(static_cast<int>(std::size(eal)), const_cast<char**>(eal)) < 0) {
        std::fprintf(stderr, "pcap_relay_test: rte_eal_init: %s\n", rte_strerror(rte_errno));
        return 1;
    }
    msf::dp::g_pool = rte_pktmbuf_pool_create("pcap_relay_test", msf::dp::kPoolSize, 0, 0,
                                               RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    if (!msf::dp::g_pool) {
        std::fprintf(stderr, "pcap_relay_test: rte_pktmbuf_pool_create: %s\n", rte_strerror(rte_errno));
        return 1;
    }
    const int rc = RUN_ALL_TESTS();
    rte_mempool_free(msf::dp::g_pool);
    rte_eal_cleanup();
    return rc;
}
