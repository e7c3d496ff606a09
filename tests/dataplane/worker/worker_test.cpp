// Worker::process() on crafted frames, with libsrtp2 as the UE: what goes in on one leg must
// come out on the other with the right headers, checksums and bytes, or be dropped and counted.
//
// Frames are built and the relayed frames decoded by code in this file (a byte-by-byte RFC 1071
// checksum, its own header layout), not by dataplane/net, so a bug there cannot hide itself. The
// EAL starts once per process, hence this file's own main(); mbufs come from one pool without a
// per-lcore cache, so every test can check that each mbuf came back exactly once.
#include "dataplane/worker/worker.hpp"

#include <gtest/gtest.h>
#include <rte_eal.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "tests/dataplane/libsrtp_ue.hpp"
#include "tests/dataplane/srtp/libsrtp_oracle.hpp"

namespace msf::dp {
namespace {

using Bytes = std::vector<uint8_t>;
using srtp::Suite;
using srtp::test::interop::LibsrtpSession;
using srtp::test::interop::TestRng;

rte_mempool* g_pool = nullptr;
constexpr unsigned kPoolSize = 1023;
constexpr uint64_t kNow = 5'000'000'000;

constexpr Suite kAllSuites[] = {Suite::aes_cm_128_hmac_sha1_80, Suite::aes_cm_128_hmac_sha1_32,
                                Suite::aes_256_cm_hmac_sha1_80, Suite::aes_256_cm_hmac_sha1_32,
                                Suite::aead_aes_128_gcm,        Suite::aead_aes_256_gcm};

// ---------------------------------------------------------------------------------------------
// Addresses of the test network.

net::IpAddr ip(const char* text) {
    const auto a = net::IpAddr::parse(text);
    if (!a) throw std::invalid_argument(std::string("bad test address ") + text);
    return *a;
}

net::Endpoint ep(const char* addr, uint16_t port) { return {ip(addr), port}; }
net::Endpoint plus(const net::Endpoint& e, uint16_t n) { return {e.addr, static_cast<uint16_t>(e.port + n)}; }

const net::IpAddr kAccessV4 = ip("192.0.2.1");
const net::IpAddr kAccessV6 = ip("2001:db8:a::1");
const net::IpAddr kCoreV4 = ip("198.51.100.1");
const net::IpAddr kCoreV6 = ip("2001:db8:c::1");
const net::IpAddr kCorePeerV4 = ip("198.51.100.20");
const net::IpAddr kCorePeerV6 = ip("2001:db8:c::20");
const net::Endpoint kUeV4 = ep("203.0.113.10", 40000);
const net::Endpoint kUeV6 = ep("2001:db8:e::10", 40000);

const net::MacAddr kAccessMac{{0x02, 0, 0, 0, 0x0a, 0x01}};
const net::MacAddr kCoreMac{{0x02, 0, 0, 0, 0x0c, 0x01}};
const net::MacAddr kRouterMac{{0x02, 0, 0, 0, 0xee, 0xee}};  // source MAC of received frames

// The MAC the fake neighbour table returns: different for every side and destination, so a frame
// that got another packet's next hop shows it.
net::MacAddr peer_mac(api::Side side, const net::IpAddr& dst) {
    const uint8_t* b = dst.bytes.data() + (dst.is_v4() ? 0 : 12);
    return {{0x06, static_cast<uint8_t>(side == api::Side::access ? 0xa0 : 0xc0), b[0], b[1], b[2], b[3]}};
}

const RxQueue kFromAccess{0, 0, true, false, false};
const RxQueue kFromCore{1, 0, false, true, false};

// ---------------------------------------------------------------------------------------------
// RTP and RTCP (RFC 3550).

void put16(Bytes& b, uint32_t v) {
    b.push_back(static_cast<uint8_t>(v >> 8));
    b.push_back(static_cast<uint8_t>(v));
}
void put32(Bytes& b, uint32_t v) {
    put16(b, v >> 16);
    put16(b, v & 0xffff);
}
uint16_t get16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

// RFC 3550 §5.1, PT 0 (PCMU) unless told; the payload depends on SSRC and sequence number.
Bytes rtp(uint32_t ssrc, uint16_t seq, size_t payload_len = 160, uint8_t pt = 0) {
    Bytes b{0x80, pt};
    put16(b, seq);
    put32(b, 160u * seq);
    put32(b, ssrc);
    for (size_t j = 0; j < payload_len; ++j) b.push_back(static_cast<uint8_t>(7 * j + seq + ssrc));
    return b;
}

// RFC 3550 §6.4.1 sender report, then an SDES CNAME chunk (§6.5): a compound packet.
Bytes rtcp(uint32_t ssrc, uint32_t n) {
    Bytes b{0x80, 200};
    put16(b, 6);
    put32(b, ssrc);
    put32(b, 0xe8000000u + n);
    put32(b, 0);
    put32(b, 160u * n);
    put32(b, n);
    put32(b, 160u * n);
    b.insert(b.end(), {0x81, 202});
    put16(b, 2);
    put32(b, ssrc);
    b.insert(b.end(), {1, 2, 'u', 'e'});
    return b;
}

// ---------------------------------------------------------------------------------------------
// Frames, written and read here without dataplane/net.

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
    const uint32_t acc = sum16(src.bytes.data(), n, sum16(dst.bytes.data(), n));
    return acc + protocol + (l4_len >> 16) + (l4_len & 0xffff);
}

struct Datagram {
    net::MacAddr src_mac = kRouterMac;
    net::MacAddr dst_mac = kAccessMac;
    std::optional<uint16_t> vlan_tci;
    net::Endpoint src, dst;
    uint8_t tos = 0;
    uint8_t ttl = 61;
    uint8_t protocol = 17;  // UDP; anything else: `payload` is the whole L4 message
    Bytes payload;
};

constexpr size_t kEth = 14;

// Ethernet [+ 802.1Q] + IPv4 (no options, DF) or IPv6 + UDP, every checksum correct.
Bytes frame_of(const Datagram& d) {
    Bytes f(d.dst_mac.bytes.begin(), d.dst_mac.bytes.end());
    f.insert(f.end(), d.src_mac.bytes.begin(), d.src_mac.bytes.end());
    if (d.vlan_tci) {
        put16(f, 0x8100);
        put16(f, *d.vlan_tci);
    }
    const bool udp = d.protocol == 17;
    const auto l4_len = static_cast<uint32_t>(d.payload.size() + (udp ? 8 : 0));
    const size_t l3 = f.size() + 2;
    if (d.src.addr.is_v4()) {
        put16(f, 0x0800);
        f.insert(f.end(), {0x45, d.tos});
        put16(f, 20 + l4_len);
        put16(f, 0x1234);  // identification
        put16(f, 0x4000);  // DF
        f.insert(f.end(), {d.ttl, d.protocol, 0, 0});
        f.insert(f.end(), d.src.addr.bytes.begin(), d.src.addr.bytes.begin() + 4);
        f.insert(f.end(), d.dst.addr.bytes.begin(), d.dst.addr.bytes.begin() + 4);
        const auto c = static_cast<uint16_t>(~fold(sum16(f.data() + l3, 20)));
        f[l3 + 10] = static_cast<uint8_t>(c >> 8);
        f[l3 + 11] = static_cast<uint8_t>(c);
    } else {
        put16(f, 0x86dd);
        put32(f, 0x60000000u | uint32_t{d.tos} << 20);
        put16(f, l4_len);
        f.insert(f.end(), {d.protocol, d.ttl});
        f.insert(f.end(), d.src.addr.bytes.begin(), d.src.addr.bytes.end());
        f.insert(f.end(), d.dst.addr.bytes.begin(), d.dst.addr.bytes.end());
    }
    if (!udp) {
        f.insert(f.end(), d.payload.begin(), d.payload.end());
        return f;
    }
    const size_t at = f.size();
    put16(f, d.src.port);
    put16(f, d.dst.port);
    put16(f, l4_len);
    put16(f, 0);
    f.insert(f.end(), d.payload.begin(), d.payload.end());
    auto c = static_cast<uint16_t>(~fold(sum16(f.data() + at, l4_len, pseudo_sum(d.src.addr, d.dst.addr, l4_len))));
    if (c == 0) c = 0xffff;  // RFC 768: 0 would mean "no checksum"
    f[at + 6] = static_cast<uint8_t>(c >> 8);
    f[at + 7] = static_cast<uint8_t>(c);
    return f;
}

// A relayed frame as read back. `error` names the first structural fault; empty when none.
struct Relayed {
    std::string error;
    net::MacAddr dst_mac, src_mac;
    bool has_vlan = false;
    uint16_t vlan_tci = 0;
    net::Endpoint src, dst;
    uint8_t tos = 0, ttl = 0;
    uint16_t ip_checksum = 0;     // IPv4 header checksum field
    bool ip_checksum_ok = true;   // IPv4: the header sums to 0xffff; IPv6 has no header checksum
    uint16_t udp_checksum = 0;
    bool udp_checksum_ok = false;  // the datagram sums to 0xffff with its pseudo-header
    uint32_t pseudo = 0;           // unfolded pseudo-header sum, for the offload case
    Bytes payload;
};

Relayed decode(const Bytes& f) {
    Relayed r;
    auto fail = [&r](const char* why) {
        r.error = why;
        return r;
    };
    if (f.size() < kEth) return fail("shorter than Ethernet");
    std::copy_n(f.begin(), 6, r.dst_mac.bytes.begin());
    std::copy_n(f.begin() + 6, 6, r.src_mac.bytes.begin());
    size_t l3 = kEth;
    uint16_t type = get16(&f[12]);
    if (type == 0x8100) {
        if (f.size() < 18) return fail("shorter than the VLAN tag");
        r.has_vlan = true;
        r.vlan_tci = get16(&f[14]);
        type = get16(&f[16]);
        l3 = 18;
    }
    size_t udp = 0;
    if (type == 0x0800) {
        if (f.size() < l3 + 28) return fail("shorter than IPv4 + UDP");
        const uint8_t* h = &f[l3];
        if (h[0] != 0x45) return fail("IPv4 version/IHL is not 0x45");
        if (get16(h + 2) != f.size() - l3) return fail("IPv4 total length is not the frame's");
        if (get16(h + 6) != 0x4000) return fail("IPv4 flags/offset are not DF, 0");
        if (h[9] != 17) return fail("IPv4 protocol is not UDP");
        r.tos = h[1];
        r.ttl = h[8];
        r.ip_checksum = get16(h + 10);
        r.ip_checksum_ok = fold(sum16(h, 20)) == 0xffff;
        r.src.addr = net::IpAddr::v4(h + 12);
        r.dst.addr = net::IpAddr::v4(h + 16);
        udp = l3 + 20;
    } else if (type == 0x86dd) {
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
        return fail("ethertype is neither IPv4 nor IPv6");
    }
    const uint8_t* u = &f[udp];
    r.src.port = get16(u);
    r.dst.port = get16(u + 2);
    const uint32_t udp_len = get16(u + 4);
    if (udp_len != f.size() - udp) return fail("UDP length is not the frame's");
    r.udp_checksum = get16(u + 6);
    r.pseudo = pseudo_sum(r.src.addr, r.dst.addr, udp_len);
    r.udp_checksum_ok = r.udp_checksum != 0 && fold(sum16(u, udp_len, r.pseudo)) == 0xffff;
    r.payload.assign(f.begin() + static_cast<ptrdiff_t>(udp + 8), f.end());
    return r;
}

// What a relayed frame must look like; checked field by field so a failure names the field.
struct Expect {
    api::Side side;  // where it leaves
    net::MacAddr src_mac;
    net::Endpoint src, dst;
    std::optional<uint16_t> vlan_tci;
    uint8_t tos = 0;
};

void expect_headers(const Relayed& r, const Expect& e) {
    ASSERT_EQ(r.error, "");
    EXPECT_EQ(r.src_mac, e.src_mac) << r.src_mac.to_string();
    EXPECT_EQ(r.dst_mac, peer_mac(e.side, e.dst.addr)) << r.dst_mac.to_string();
    EXPECT_EQ(r.has_vlan, e.vlan_tci.has_value());
    if (e.vlan_tci) {
        EXPECT_EQ(r.vlan_tci, *e.vlan_tci);
    }
    EXPECT_EQ(r.src, e.src) << r.src.to_string();
    EXPECT_EQ(r.dst, e.dst) << r.dst.to_string();
    EXPECT_EQ(r.tos, e.tos);
    EXPECT_EQ(r.ttl, 64);
    EXPECT_TRUE(r.ip_checksum_ok) << "IPv4 header checksum " << r.ip_checksum;
    EXPECT_TRUE(r.udp_checksum_ok) << "UDP checksum " << r.udp_checksum;
}

// ---------------------------------------------------------------------------------------------
// Sessions and the UE.

api::KeySpec key_spec(Suite suite, uint8_t seed, size_t mki_len = 0) {
    const auto& info = srtp::suite_info(suite);
    api::KeySpec k;
    k.suite = suite;
    for (uint8_t i = 0; i < info.key_len; ++i) k.master_key.push_back(static_cast<uint8_t>(seed * 31 + i));
    for (uint8_t i = 0; i < info.salt_len; ++i) k.master_salt.push_back(static_cast<uint8_t>(seed * 17 + 0x80 + i));
    for (size_t i = 0; i < mki_len; ++i) k.mki.push_back(static_cast<uint8_t>(0xa0 + seed + i));
    return k;
}

// Session `id`: access port 20000 + 10 id, core port 30000 + 10 id, core peer port 40000 + 10 id,
// its own keys in each direction.
api::SessionSpec session(uint64_t id, Suite suite = Suite::aes_cm_128_hmac_sha1_80,
                         net::Family access = net::Family::ipv4, net::Family core = net::Family::ipv4) {
    api::SessionSpec s;
    s.id = id;
    const auto n = static_cast<uint16_t>(10 * id);
    s.access.local = {access == net::Family::ipv4 ? kAccessV4 : kAccessV6, static_cast<uint16_t>(20000 + n)};
    s.core.local = {core == net::Family::ipv4 ? kCoreV4 : kCoreV6, static_cast<uint16_t>(30000 + n)};
    s.core.remote = {core == net::Family::ipv4 ? kCorePeerV4 : kCorePeerV6, static_cast<uint16_t>(40000 + n)};
    s.from_ue = key_spec(suite, static_cast<uint8_t>(2 * id + 1));
    s.to_ue = key_spec(suite, static_cast<uint8_t>(2 * id + 2));
    return s;
}

net::Endpoint access_rtcp_local(const api::SessionSpec& s) {
    return s.access.rtcp_mux ? s.access.local : plus(s.access.local, 1);
}
net::Endpoint core_rtcp_local(const api::SessionSpec& s) {
    return s.core.rtcp_mux ? s.core.local : plus(s.core.local, 1);
}
net::Endpoint core_rtcp_remote(const api::SessionSpec& s) {
    return s.core.rtcp_mux ? s.core.remote : plus(s.core.remote, 1);
}

using Ue = test::LibsrtpUe;

// A datagram from the UE at `ue` to the session's access RTP port, or its RTCP port.
Datagram from_ue(const api::SessionSpec& s, const net::Endpoint& ue, Bytes payload, bool rtcp_port = false) {
    Datagram d;
    d.dst_mac = kAccessMac;
    d.src = ue;
    d.dst = rtcp_port ? access_rtcp_local(s) : s.access.local;
    d.payload = std::move(payload);
    return d;
}

// A datagram from the core peer to the session's core RTP port, or its RTCP port.
Datagram from_core(const api::SessionSpec& s, Bytes payload, bool rtcp_port = false) {
    Datagram d;
    d.dst_mac = kCoreMac;
    d.src = rtcp_port ? core_rtcp_remote(s) : s.core.remote;
    d.dst = rtcp_port ? core_rtcp_local(s) : s.core.local;
    d.payload = std::move(payload);
    return d;
}

// ---------------------------------------------------------------------------------------------
// The gateway under test: a session table, one worker, a fake neighbour table.

std::array<Egress, 2> default_egress() {
    std::array<Egress, 2> e{};
    e[0].port_id = 0;
    e[0].src_mac = kAccessMac;
    e[1].port_id = 1;
    e[1].src_mac = kCoreMac;
    return e;
}

struct GatewayOptions {
    uint32_t max_sessions = 64;
    std::array<Egress, 2> egress = default_egress();
    unsigned slow_path_ring = 0;  // 0: no ring; else a ring of this many slots (one stays empty)
};

// One frame the worker handed out, with the offload fields a NIC would read.
struct Sent {
    Bytes bytes;
    uint64_t ol_flags = 0;
    uint16_t l2_len = 0, l3_len = 0;
    Relayed decoded() const { return decode(bytes); }
};

struct Output {
    std::vector<Sent> access, core;
};

unsigned pool_in_use() { return kPoolSize - rte_mempool_avail_count(g_pool); }

class Gateway {
public:
    explicit Gateway(const GatewayOptions& o = {})
        : table_(table_config(o.max_sessions)),
          ring_(make_ring(o.slow_path_ring)),
          worker_(0, table_, [this](api::Side side, const net::IpAddr& dst) { return next_hop(side, dst); },
                  ring_, o.egress, kMaxBurst) {}
    ~Gateway() {
        if (ring_) {
            void* m;
            while (rte_ring_dequeue(ring_, &m) == 0) rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
            rte_ring_free(ring_);
        }
    }
    Gateway(const Gateway&) = delete;
    Gateway& operator=(const Gateway&) = delete;

    SessionTable& table() { return table_; }
    Worker& worker() { return worker_; }
    const WorkerCounters& counters() const { return worker_.counters(); }
    rte_ring* ring() { return ring_; }
    const FlowState& flow(uint64_t id, FlowId f) {
        const Session* s = table_.find(id);
        if (!s) throw std::logic_error("no session " + std::to_string(id));
        return s->flow(f);
    }
    uint64_t frame_errors(net::FrameError e) const { return counters().frame_errors[static_cast<int>(e)].get(); }

    void add(const api::SessionSpec& s) {
        const TableResult r = table_.add(s, kNow);
        if (!r.ok()) throw std::runtime_error("add: " + r.message);
    }
    void modify(const api::SessionSpec& s) {
        const TableResult r = table_.modify(s);
        if (!r.ok()) throw std::runtime_error("modify: " + r.message);
    }

    // Destinations the neighbour table cannot resolve (nullopt), and ones whose MAC is not
    // peer_mac()'s.
    std::vector<net::IpAddr> unresolved;
    std::vector<std::pair<net::IpAddr, net::MacAddr>> moved;
    std::vector<std::pair<api::Side, net::IpAddr>> next_hop_calls;

    Output receive(const RxQueue& from, const std::vector<Bytes>& frames, uint64_t now = kNow) {
        std::vector<rte_mbuf*> mbufs;
        for (const Bytes& f : frames) mbufs.push_back(mbuf_of(f));
        return process(from, mbufs, now);
    }
    Output receive(const RxQueue& from, const std::vector<Datagram>& datagrams, uint64_t now = kNow) {
        std::vector<Bytes> frames;
        for (const Datagram& d : datagrams) frames.push_back(frame_of(d));
        return receive(from, frames, now);
    }

    // Runs one burst of prepared mbufs, copies out and frees what the worker sent, and checks
    // that every mbuf came back to the pool or sits in the slow-path ring.
    Output process(const RxQueue& from, std::vector<rte_mbuf*> mbufs, uint64_t now = kNow) {
        if (mbufs.size() > kMaxBurst) throw std::logic_error("more than a burst");
        rte_mbuf* tx[2][kMaxBurst];
        uint16_t count[2] = {0xffff, 0xffff};
        worker_.process(mbufs.data(), static_cast<uint16_t>(mbufs.size()), from, now, tx, count);
        Output out;
        for (int side = 0; side < 2; ++side) {
            EXPECT_LE(count[side], mbufs.size());
            for (uint16_t i = 0; i < count[side] && i < kMaxBurst; ++i) {
                rte_mbuf* m = tx[side][i];
                EXPECT_EQ(m->nb_segs, 1);
                EXPECT_EQ(m->pkt_len, m->data_len);
                const uint8_t* p = rte_pktmbuf_mtod(m, const uint8_t*);
                EXPECT_GE(p, static_cast<const uint8_t*>(m->buf_addr));
                EXPECT_LE(p + m->data_len, static_cast<const uint8_t*>(m->buf_addr) + m->buf_len);
                (side == 0 ? out.access : out.core)
                    .push_back({Bytes(p, p + m->data_len), m->ol_flags, static_cast<uint16_t>(m->l2_len),
                                static_cast<uint16_t>(m->l3_len)});
                rte_pktmbuf_free(m);
            }
        }
        EXPECT_EQ(pool_in_use(), ring_ ? rte_ring_count(ring_) : 0u) << "an mbuf was leaked or freed twice";
        return out;
    }

    // An mbuf holding `frame` at the usual headroom, or at `data_off` when given.
    static rte_mbuf* mbuf_of(const Bytes& frame, std::optional<uint16_t> data_off = std::nullopt) {
        rte_mbuf* m = rte_pktmbuf_alloc(g_pool);
        if (!m) throw std::runtime_error("mbuf pool empty");
        if (data_off) m->data_off = *data_off;
        if (frame.size() > rte_pktmbuf_tailroom(m)) throw std::logic_error("frame larger than an mbuf");
        std::memcpy(rte_pktmbuf_append(m, static_cast<uint16_t>(frame.size())), frame.data(), frame.size());
        return m;
    }

private:
    static TableConfig table_config(uint32_t max_sessions) {
        TableConfig c;
        c.max_sessions = max_sessions;
        c.max_workers = 4;
        c.access_addresses = {kAccessV4, kAccessV6};
        c.core_addresses = {kCoreV4, kCoreV6};
        c.port_min = 10000;
        c.port_max = 60000;
        return c;
    }
    static rte_ring* make_ring(unsigned size) {
        if (size == 0) return nullptr;
        static int n = 0;
        const std::string name = "wt_slow" + std::to_string(n++);
        rte_ring* r = rte_ring_create(name.c_str(), size, SOCKET_ID_ANY, RING_F_SC_DEQ);
        if (!r) throw std::runtime_error("rte_ring_create failed");
        return r;
    }
    std::optional<net::MacAddr> next_hop(api::Side side, const net::IpAddr& dst) {
        next_hop_calls.emplace_back(side, dst);
        if (std::find(unresolved.begin(), unresolved.end(), dst) != unresolved.end()) return std::nullopt;
        for (const auto& [addr, mac] : moved)
            if (addr == dst) return mac;
        return peer_mac(side, dst);
    }

    SessionTable table_;
    rte_ring* ring_;
    Worker worker_;
};

// Sends one SRTP packet from the UE so the session latches `ue`; checks it was relayed.
void latch(Gateway& g, const api::SessionSpec& s, Ue& ue, const net::Endpoint& at, uint32_t ssrc, uint16_t seq) {
    const Output out = g.receive(kFromAccess, {from_ue(s, at, ue.protect(rtp(ssrc, seq)))});
    ASSERT_EQ(out.core.size(), 1u) << "the latching packet was not relayed";
}

// ---------------------------------------------------------------------------------------------
// Both directions, every suite.

class EverySuite : public ::testing::TestWithParam<Suite> {};

std::string suite_name(const ::testing::TestParamInfo<Suite>& info) {
    return std::string(srtp::suite_info(info.param).name);
}

TEST_P(EverySuite, SrtpFromTheUeLeavesAsTheOriginalRtpTowardTheCorePeer) {
    Gateway g;
    const api::SessionSpec s = session(1, GetParam());
    g.add(s);
    Ue ue(s);
    const Bytes original = rtp(0x11223344, 1000);
    Datagram in = from_ue(s, kUeV4, ue.protect(original));
    in.tos = 0xb8;  // EF: kept across the relay
    const Output out = g.receive(kFromAccess, {in});

    ASSERT_EQ(out.core.size(), 1u);
    EXPECT_TRUE(out.access.empty());
    const Relayed r = out.core[0].decoded();
    expect_headers(r, {api::Side::core, kCoreMac, s.core.local, s.core.remote, {}, 0xb8});
    EXPECT_EQ(r.payload, original);
    EXPECT_EQ(out.core[0].ol_flags, 0u) << "software checksums need no offload flags";
    ASSERT_FALSE(g.next_hop_calls.empty());
    EXPECT_EQ(g.next_hop_calls.back(), std::make_pair(api::Side::core, s.core.remote.addr));

    const FlowState& f = g.flow(1, access_rtp);
    EXPECT_EQ(f.packets_in.get(), 1u);
    EXPECT_EQ(f.bytes_in.get(), in.payload.size());
    EXPECT_EQ(f.packets_out.get(), 1u);
    EXPECT_EQ(f.bytes_out.get(), original.size());
    EXPECT_EQ(f.last_seen_ns.get(), kNow);
    EXPECT_EQ(g.counters().unprotected.get(), 1u);
    EXPECT_EQ(g.counters().rx_packets.get(), 1u);
}

TEST_P(EverySuite, CoreRtpIsDroppedUntilTheUeLatchesThenLeavesAsSrtpForTheLatchedUe) {
    Gateway g;
    const api::SessionSpec s = session(1, GetParam());
    g.add(s);
    Ue ue(s);

    // No UE address yet: nowhere to send, and no SRTP index spent.
    Output out = g.receive(kFromCore, {from_core(s, rtp(0x55667788, 7))});
    EXPECT_TRUE(out.access.empty());
    EXPECT_EQ(g.counters().no_ue_address.get(), 1u);
    EXPECT_EQ(g.flow(1, core_rtp).other_drops.get(), 1u);
    EXPECT_FALSE(g.table().find(1)->to_ue->rtp_started());

    latch(g, s, ue, kUeV4, 0x11223344, 1);
    EXPECT_EQ(g.table().info(1, kNow)->latched_ue, kUeV4);

    const Bytes original = rtp(0x55667788, 8);
    out = g.receive(kFromCore, {from_core(s, original)});
    ASSERT_EQ(out.access.size(), 1u);
    const Relayed r = out.access[0].decoded();
    expect_headers(r, {api::Side::access, kAccessMac, s.access.local, kUeV4, {}, 0});
    EXPECT_EQ(r.payload.size(), original.size() + srtp::suite_info(GetParam()).rtp_tag_len);
    const auto plain = ue.unprotect(r.payload);
    ASSERT_TRUE(plain) << "libsrtp refused the gateway's SRTP";
    EXPECT_EQ(*plain, original);
    EXPECT_EQ(g.flow(1, core_rtp).packets_out.get(), 1u);
    EXPECT_EQ(g.flow(1, core_rtp).bytes_out.get(), r.payload.size());
    EXPECT_EQ(g.counters().protected_.get(), 1u);
}

TEST_P(EverySuite, SrtcpOnTheRtcpPortIsRelayedAsRtcpAndBack) {
    Gateway g;
    const api::SessionSpec s = session(1, GetParam());
    g.add(s);
    Ue ue(s);
    const net::Endpoint ue_rtcp = plus(kUeV4, 1);

    const Bytes report = rtcp(0x11223344, 1);
    Output out = g.receive(kFromAccess, {from_ue(s, ue_rtcp, ue.protect_rtcp(report), true)});
    ASSERT_EQ(out.core.size(), 1u);
    Relayed r = out.core[0].decoded();
    expect_headers(r, {api::Side::core, kCoreMac, core_rtcp_local(s), core_rtcp_remote(s), {}, 0});
    EXPECT_EQ(r.payload, report);
    EXPECT_EQ(g.flow(1, access_rtcp).packets_out.get(), 1u);
    EXPECT_EQ(g.flow(1, access_rtp).packets_in.get(), 0u);

    const Bytes back = rtcp(0x55667788, 2);
    out = g.receive(kFromCore, {from_core(s, back, true)});
    ASSERT_EQ(out.access.size(), 1u);
    r = out.access[0].decoded();
    expect_headers(r, {api::Side::access, kAccessMac, access_rtcp_local(s), ue_rtcp, {}, 0});
    const auto plain = ue.unprotect_rtcp(r.payload);
    ASSERT_TRUE(plain) << "libsrtp refused the gateway's SRTCP";
    EXPECT_EQ(*plain, back);
    EXPECT_EQ(g.flow(1, core_rtcp).packets_out.get(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Worker, EverySuite, ::testing::ValuesIn(kAllSuites), suite_name);

// ---------------------------------------------------------------------------------------------
// Where packets may come from: a latched UE (learned from authenticated packets only), a
// configured UE, the configured core peer.

TEST(WorkerLatch, ForgedPacketFromANewSourceDoesNotMoveTheLatchButAnAuthenticatedOneDoes) {
    Gateway g;
    const api::SessionSpec s = session(1);
    g.add(s);
    Ue ue(s);
    latch(g, s, ue, kUeV4, 0xabc, 1);

    const net::Endpoint elsewhere = ep("203.0.113.99", 41000);
    Bytes genuine = ue.protect(rtp(0xabc, 2));
    Bytes forged = genuine;
    forged.back() ^= 0x01;  // the tag
    Output out = g.receive(kFromAccess, {from_ue(s, elsewhere, forged)});
    EXPECT_TRUE(out.core.empty());
    EXPECT_EQ(g.flow(1, access_rtp).auth_failures.get(), 1u);
    EXPECT_EQ(g.table().info(1, kNow)->latched_ue, kUeV4);
    out = g.receive(kFromCore, {from_core(s, rtp(0xdef, 1))});
    ASSERT_EQ(out.access.size(), 1u);
    EXPECT_EQ(out.access[0].decoded().dst, kUeV4) << "a forged packet moved the latch";

    // The same index, authentic, from the new source: the UE moved (NAT rebinding).
    out = g.receive(kFromAccess, {from_ue(s, elsewhere, genuine)});
    EXPECT_EQ(out.core.size(), 1u);
    EXPECT_EQ(g.table().info(1, kNow)->latched_ue, elsewhere);
    out = g.receive(kFromCore, {from_core(s, rtp(0xdef, 2))});
    ASSERT_EQ(out.access.size(), 1u);
    const Relayed r = out.access[0].decoded();
    expect_headers(r, {api::Side::access, kAccessMac, s.access.local, elsewhere, {}, 0});
    EXPECT_EQ(ue.unprotect(r.payload), rtp(0xdef, 2));
}

TEST(WorkerLatch, ReplayedPacketFromANewSourceDoesNotMoveTheLatch) {
    Gateway g;
    const api::SessionSpec s = session(1);
    g.add(s);
    Ue ue(s);
    const Bytes first = ue.protect(rtp(0xabc, 1));
    ASSERT_EQ(g.receive(kFromAccess, {from_ue(s, kUeV4, first)}).core.size(), 1u);
    // An attacker who captured the packet sends it again from its own address.
    EXPECT_TRUE(g.receive(kFromAccess, {from_ue(s, ep("203.0.113.66", 5000), first)}).core.empty());
    EXPECT_EQ(g.flow(1, access_rtp).replays.get(), 1u);
    EXPECT_EQ(g.table().info(1, kNow)->latched_ue, kUeV4);
}

TEST(WorkerLatch, ConfiguredUeAddressAcceptsOnlyThatSourceAndNeedsNoLatch) {
    Gateway g;
    api::SessionSpec s = session(1);
    s.access.remote = kUeV4;
    g.add(s);
    Ue ue(s);

    // Core media flows at once: the UE's address is configured.
    Output out = g.receive(kFromCore, {from_core(s, rtp(0xdef, 1)), from_core(s, rtcp(0xdef, 1), true)});
    ASSERT_EQ(out.access.size(), 2u);
    EXPECT_EQ(out.access[0].decoded().dst, kUeV4);
    EXPECT_EQ(out.access[1].decoded().dst, plus(kUeV4, 1));

    // Authentic packets from anywhere else, even the configured address with another port, are
    // unknown sources; they never reach the SRTP engine (its replay state stays untouched).
    out = g.receive(kFromAccess, {from_ue(s, ep("203.0.113.99", 40000), ue.protect(rtp(0xabc, 1))),
                                  from_ue(s, plus(kUeV4, 2), ue.protect(rtp(0xabc, 2))),
                                  from_ue(s, kUeV4, ue.protect_rtcp(rtcp(0xabc, 1)), true)});
    EXPECT_TRUE(out.core.empty());
    EXPECT_EQ(g.flow(1, access_rtp).unknown_source.get(), 2u);
    EXPECT_EQ(g.flow(1, access_rtcp).unknown_source.get(), 1u);  // RTCP must come from port + 1
    EXPECT_FALSE(g.table().find(1)->from_ue->rtp_started());

    out = g.receive(kFromAccess, {from_ue(s, kUeV4, ue.protect(rtp(0xabc, 3))),
                                  from_ue(s, plus(kUeV4, 1), ue.protect_rtcp(rtcp(0xabc, 2)), true)});
    EXPECT_EQ(out.core.size(), 2u);
    EXPECT_TRUE(g.table().info(1, kNow)->latched_ue.empty()) << "a configured UE is not latched";
}

TEST(WorkerSource, CorePacketsFromAnythingButTheConfiguredPeerAreUnknownSources) {
    Gateway g;
    const api::SessionSpec s = session(1);
    g.add(s);
    Ue ue(s);
    latch(g, s, ue, kUeV4, 0xabc, 1);

    Datagram other_address = from_core(s, rtp(0xdef, 1));
    other_address.src.addr = ip("198.51.100.21");
    Datagram other_port = from_core(s, rtp(0xdef, 2));
    other_port.src.port = static_cast<uint16_t>(s.core.remote.port + 2);
    Datagram rtp_source_on_rtcp_port = from_core(s, rtcp(0xdef, 1), true);
    rtp_source_on_rtcp_port.src = s.core.remote;  // RTCP must come from the peer's port + 1
    const Output out = g.receive(kFromCore, {other_address, other_port, rtp_source_on_rtcp_port,
                                             from_core(s, rtp(0xdef, 3))});
    ASSERT_EQ(out.access.size(), 1u);
    EXPECT_EQ(ue.unprotect(out.access[0].decoded().payload), rtp(0xdef, 3));
    EXPECT_EQ(g.flow(1, core_rtp).unknown_source.get(), 2u);
    EXPECT_EQ(g.flow(1, core_rtcp).unknown_source.get(), 1u);
    EXPECT_EQ(g.flow(1, core_rtp).packets_out.get(), 1u);
}

// ---------------------------------------------------------------------------------------------
// Replays and forgeries are counted per flow and the session goes on.

TEST(WorkerSrtpFailures, ReplaysAndTamperedPacketsAreCountedPerFlowAndTheSessionKeepsForwarding) {
    Gateway g;
    const api::SessionSpec s = session(1, Suite::aead_aes_128_gcm);
    g.add(s);
    Ue ue(s);
    const net::Endpoint ue_rtcp = plus(kUeV4, 1);

    const Bytes p1 = ue.protect(rtp(0xabc, 1));
    const Bytes c1 = ue.protect_rtcp(rtcp(0xabc, 1));
    // A duplicate inside the burst is a replay too.
    Output out = g.receive(kFromAccess, {from_ue(s, kUeV4, p1), from_ue(s, kUeV4, p1), from_ue(s, ue_rtcp, c1, true)});
    EXPECT_EQ(out.core.size(), 2u);
    EXPECT_EQ(g.flow(1, access_rtp).replays.get(), 1u);

    const Bytes p2 = ue.protect(rtp(0xabc, 2));
    Bytes tampered = p2;
    tampered[20] ^= 0x80;  // payload
    Bytes tampered_rtcp = ue.protect_rtcp(rtcp(0xabc, 2));
    tampered_rtcp[12] ^= 0x01;
    out = g.receive(kFromAccess, {from_ue(s, kUeV4, p1), from_ue(s, kUeV4, tampered),
                                  from_ue(s, ue_rtcp, c1, true), from_ue(s, ue_rtcp, c1, true),
                                  from_ue(s, ue_rtcp, tampered_rtcp, true)});
    EXPECT_TRUE(out.core.empty());
    const FlowState& rtp_flow = g.flow(1, access_rtp);
    const FlowState& rtcp_flow = g.flow(1, access_rtcp);
    EXPECT_EQ(rtp_flow.replays.get(), 2u);
    EXPECT_EQ(rtp_flow.auth_failures.get(), 1u);
    EXPECT_EQ(rtcp_flow.replays.get(), 2u);
    EXPECT_EQ(rtcp_flow.auth_failures.get(), 1u);
    EXPECT_EQ(g.counters().crypto_failed.get(), 6u);
    const api::SessionInfo info = *g.table().info(1, kNow);
    EXPECT_EQ(info.access.replays, 4u);
    EXPECT_EQ(info.access.auth_failures, 2u);
    EXPECT_EQ(info.core.replays, 0u);

    // The session is unharmed: the next packets pass, and so does the index a forgery used.
    const Bytes p3 = rtp(0xabc, 3), r3 = rtcp(0xabc, 3);
    out = g.receive(kFromAccess, {from_ue(s, kUeV4, p2), from_ue(s, kUeV4, ue.protect(p3)),
                                  from_ue(s, ue_rtcp, ue.protect_rtcp(r3), true)});
    ASSERT_EQ(out.core.size(), 3u);
    EXPECT_EQ(out.core[0].decoded().payload, rtp(0xabc, 2));
    EXPECT_EQ(out.core[1].decoded().payload, p3);
    EXPECT_EQ(out.core[2].decoded().payload, r3);
    EXPECT_EQ(rtp_flow.packets_out.get(), 3u);
    EXPECT_EQ(rtcp_flow.packets_out.get(), 2u);
}

// ---------------------------------------------------------------------------------------------
// RTCP: its own port (RFC 3550 §11) or multiplexed (RFC 5761).

TEST(WorkerRtcp, CoreRtcpGoesToTheUeRtpPortPlusOneUntilTheUeSendsSrtcpThenToWhereItCameFrom) {
    Gateway g;
    const api::SessionSpec s = session(1);
    g.add(s);
    Ue ue(s);
    EXPECT_TRUE(g.receive(kFromCore, {from_core(s, rtcp(0xdef, 1), true)}).access.empty());
    EXPECT_EQ(g.counters().no_ue_address.get(), 1u);
    EXPECT_EQ(g.flow(1, core_rtcp).other_drops.get(), 1u);

    latch(g, s, ue, kUeV4, 0xabc, 1);
    Output out = g.receive(kFromCore, {from_core(s, rtcp(0xdef, 2), true)});
    ASSERT_EQ(out.access.size(), 1u);
    EXPECT_EQ(out.access[0].decoded().dst, plus(kUeV4, 1));  // RFC 3550 §11
    EXPECT_EQ(ue.unprotect_rtcp(out.access[0].decoded().payload), rtcp(0xdef, 2));

    // Behind a NAT the UE's RTCP arrives from an unrelated port: that is where RTCP goes now.
    const net::Endpoint nat_rtcp = ep("203.0.113.10", 53111);
    ASSERT_EQ(g.receive(kFromAccess, {from_ue(s, nat_rtcp, ue.protect_rtcp(rtcp(0xabc, 1)), true)}).core.size(), 1u);
    out = g.receive(kFromCore, {from_core(s, rtcp(0xdef, 3), true)});
    ASSERT_EQ(out.access.size(), 1u);
    EXPECT_EQ(out.access[0].decoded().dst, nat_rtcp);
    EXPECT_EQ(ue.unprotect_rtcp(out.access[0].decoded().payload), rtcp(0xdef, 3));
    EXPECT_EQ(g.table().info(1, kNow)->latched_ue, kUeV4) << "RTCP moved the RTP latch";
}

TEST(WorkerRtcp, UeRtpPortPlusOneIsNeverPortZero) {
    Gateway g;
    const api::SessionSpec s = session(1);
    g.add(s);
    Ue ue(s);
    // A NAT may map the UE's RTP to port 65535; RTP port + 1 does not exist then (RFC 768: port
    // 0 is no destination), so core RTCP has nowhere to go until the UE sends SRTCP.
    const net::Endpoint top = ep("203.0.113.10", 65535);
    latch(g, s, ue, top, 0xabc, 1);
    const Output out = g.receive(kFromCore, {from_core(s, rtcp(0xdef, 1), true)});
    for (const Sent& sent : out.access) EXPECT_NE(sent.decoded().dst.port, 0) << "RTCP sent to UDP port 0";
    EXPECT_TRUE(out.access.empty());
    EXPECT_EQ(g.counters().no_ue_address.get(), 1u);
}

TEST(WorkerRtcp, RtcpMuxDemultiplexesRtpAndRtcpOnOnePortInBothDirections) {
    Gateway g;
    api::SessionSpec s = session(1, Suite::aes_cm_128_hmac_sha1_32);
    s.access.rtcp_mux = true;
    s.core.rtcp_mux = true;
    g.add(s);
    Ue ue(s);

    // RFC 5761 §4: RTCP packet types 192-223 against RTP; a marker bit with PT 0..63 stays RTP.
    const Bytes media = rtp(0xabc, 1), marked = rtp(0xabc, 2, 160, 0x80 | 8), report = rtcp(0xabc, 1);
    Output out = g.receive(kFromAccess, {from_ue(s, kUeV4, ue.protect(media)), from_ue(s, kUeV4, ue.protect_rtcp(report)),
                                         from_ue(s, kUeV4, ue.protect(marked))});
    ASSERT_EQ(out.core.size(), 3u);
    // Unprotected RTP first, then RTCP (the worker's crypto lists), all on the one core port.
    EXPECT_EQ(out.core[0].decoded().payload, media);
    EXPECT_EQ(out.core[1].decoded().payload, marked);
    EXPECT_EQ(out.core[2].decoded().payload, report);
    for (const Sent& sent : out.core)
        expect_headers(sent.decoded(), {api::Side::core, kCoreMac, s.core.local, s.core.remote, {}, 0});
    EXPECT_EQ(g.flow(1, access_rtp).packets_out.get(), 3u);

    const Bytes back_media = rtp(0xdef, 1), back_report = rtcp(0xdef, 1);
    out = g.receive(kFromCore, {from_core(s, back_report), from_core(s, back_media)});
    ASSERT_EQ(out.access.size(), 2u);
    for (const Sent& sent : out.access)
        expect_headers(sent.decoded(), {api::Side::access, kAccessMac, s.access.local, kUeV4, {}, 0});
    EXPECT_EQ(ue.unprotect(out.access[0].decoded().payload), back_media);
    EXPECT_EQ(ue.unprotect_rtcp(out.access[1].decoded().payload), back_report);

    // No RTCP port is open on either leg.
    Datagram to_access_rtcp_port = from_ue(s, kUeV4, ue.protect_rtcp(rtcp(0xabc, 2)));
    to_access_rtcp_port.dst = plus(s.access.local, 1);
    Datagram to_core_rtcp_port = from_core(s, rtcp(0xdef, 2));
    to_core_rtcp_port.src = plus(s.core.remote, 1);
    to_core_rtcp_port.dst = plus(s.core.local, 1);
    EXPECT_TRUE(g.receive(kFromAccess, {to_access_rtcp_port}).core.empty());
    EXPECT_TRUE(g.receive(kFromCore, {to_core_rtcp_port}).access.empty());
    EXPECT_EQ(g.counters().no_session.get(), 2u);
}

TEST(WorkerRtcp, MuxOnTheAccessLegOnlyMovesRtcpBetweenTheSharedPortAndTheCoreRtcpPort) {
    Gateway g;
    api::SessionSpec s = session(1);
    s.access.rtcp_mux = true;
    g.add(s);
    Ue ue(s);
    latch(g, s, ue, kUeV4, 0xabc, 1);

    Output out = g.receive(kFromAccess, {from_ue(s, kUeV4, ue.protect_rtcp(rtcp(0xabc, 1)))});
    ASSERT_EQ(out.core.size(), 1u);
    expect_headers(out.core[0].decoded(), {api::Side::core, kCoreMac, plus(s.core.local, 1), plus(s.core.remote, 1), {}, 0});
    EXPECT_EQ(out.core[0].decoded().payload, rtcp(0xabc, 1));

    out = g.receive(kFromCore, {from_core(s, rtcp(0xdef, 1), true)});
    ASSERT_EQ(out.access.size(), 1u);
    expect_headers(out.access[0].decoded(), {api::Side::access, kAccessMac, s.access.local, kUeV4, {}, 0});
    EXPECT_EQ(ue.unprotect_rtcp(out.access[0].decoded().payload), rtcp(0xdef, 1));
}

// ---------------------------------------------------------------------------------------------
// Address families and VLANs.

TEST(WorkerFamilies, Ipv6AccessWithIpv4CoreRelaysBothWays) {
    Gateway g;
    const api::SessionSpec s = session(1, Suite::aes_256_cm_hmac_sha1_80, net::Family::ipv6, net::Family::ipv4);
    g.add(s);
    Ue ue(s);
    Datagram in = from_ue(s, kUeV6, ue.protect(rtp(0xabc, 1)));
    in.tos = 0x88;  // AF41 in the IPv6 traffic class becomes the IPv4 TOS
    Output out = g.receive(kFromAccess, {in});
    ASSERT_EQ(out.core.size(), 1u);
    expect_headers(out.core[0].decoded(), {api::Side::core, kCoreMac, s.core.local, s.core.remote, {}, 0x88});
    EXPECT_EQ(out.core[0].decoded().payload, rtp(0xabc, 1));
    EXPECT_EQ(g.table().info(1, kNow)->latched_ue, kUeV6);

    out = g.receive(kFromCore, {from_core(s, rtp(0xdef, 1)), from_core(s, rtcp(0xdef, 1), true)});
    ASSERT_EQ(out.access.size(), 2u);
    expect_headers(out.access[0].decoded(), {api::Side::access, kAccessMac, s.access.local, kUeV6, {}, 0});
    expect_headers(out.access[1].decoded(), {api::Side::access, kAccessMac, plus(s.access.local, 1), plus(kUeV6, 1), {}, 0});
    EXPECT_EQ(ue.unprotect(out.access[0].decoded().payload), rtp(0xdef, 1));
    EXPECT_EQ(ue.unprotect_rtcp(out.access[1].decoded().payload), rtcp(0xdef, 1));
}

TEST(WorkerFamilies, Ipv4AccessWithIpv6CoreRelaysBothWays) {
    Gateway g;
    const api::SessionSpec s = session(1, Suite::aead_aes_256_gcm, net::Family::ipv4, net::Family::ipv6);
    g.add(s);
    Ue ue(s);
    Output out = g.receive(kFromAccess, {from_ue(s, kUeV4, ue.protect(rtp(0xabc, 1)))});
    ASSERT_EQ(out.core.size(), 1u);
    expect_headers(out.core[0].decoded(), {api::Side::core, kCoreMac, s.core.local, s.core.remote, {}, 0});
    EXPECT_EQ(out.core[0].decoded().payload, rtp(0xabc, 1));
    out = g.receive(kFromCore, {from_core(s, rtp(0xdef, 1))});
    ASSERT_EQ(out.access.size(), 1u);
    expect_headers(out.access[0].decoded(), {api::Side::access, kAccessMac, s.access.local, kUeV4, {}, 0});
    EXPECT_EQ(ue.unprotect(out.access[0].decoded().payload), rtp(0xdef, 1));
}

TEST(WorkerFamilies, Ipv6OnBothLegsRelaysBothWays) {
    Gateway g;
    const api::SessionSpec s = session(1, Suite::aead_aes_128_gcm, net::Family::ipv6, net::Family::ipv6);
    g.add(s);
    Ue ue(s);
    Datagram in = from_ue(s, kUeV6, ue.protect(rtp(0xabc, 1, 1200)));
    in.tos = 0xb8;
    Output out = g.receive(kFromAccess, {in, from_ue(s, plus(kUeV6, 1), ue.protect_rtcp(rtcp(0xabc, 1)), true)});
    ASSERT_EQ(out.core.size(), 2u);
    expect_headers(out.core[0].decoded(), {api::Side::core, kCoreMac, s.core.local, s.core.remote, {}, 0xb8});
    EXPECT_EQ(out.core[0].decoded().payload, rtp(0xabc, 1, 1200));
    expect_headers(out.core[1].decoded(), {api::Side::core, kCoreMac, plus(s.core.local, 1), plus(s.core.remote, 1), {}, 0});
    EXPECT_EQ(out.core[1].decoded().payload, rtcp(0xabc, 1));

    out = g.receive(kFromCore, {from_core(s, rtp(0xdef, 1, 1200))});
    ASSERT_EQ(out.access.size(), 1u);
    expect_headers(out.access[0].decoded(), {api::Side::access, kAccessMac, s.access.local, kUeV6, {}, 0});
    EXPECT_EQ(ue.unprotect(out.access[0].decoded().payload), rtp(0xdef, 1, 1200));
}

TEST(WorkerVlan, TaggedFramesAreAcceptedAndEgressWritesTheConfiguredTag) {
    GatewayOptions o;
    o.egress[0].has_vlan = true;
    o.egress[0].vlan_tci = 0xa00a;  // PCP 5, VID 10
    o.egress[1].has_vlan = true;
    o.egress[1].vlan_tci = 0x0fff;
    Gateway g(o);
    const api::SessionSpec s = session(1, Suite::aes_cm_128_hmac_sha1_80, net::Family::ipv6, net::Family::ipv4);
    g.add(s);
    Ue ue(s);
    Datagram in = from_ue(s, kUeV6, ue.protect(rtp(0xabc, 1)));
    in.vlan_tci = 0x0064;
    Output out = g.receive(kFromAccess, {in});
    ASSERT_EQ(out.core.size(), 1u);
    expect_headers(out.core[0].decoded(), {api::Side::core, kCoreMac, s.core.local, s.core.remote, 0x0fff, 0});
    EXPECT_EQ(out.core[0].decoded().payload, rtp(0xabc, 1));

    Datagram back = from_core(s, rtp(0xdef, 1));
    back.vlan_tci = 0x0065;
    out = g.receive(kFromCore, {back});
    ASSERT_EQ(out.access.size(), 1u);
    expect_headers(out.access[0].decoded(), {api::Side::access, kAccessMac, s.access.local, kUeV6, 0xa00a, 0});
    EXPECT_EQ(ue.unprotect(out.access[0].decoded().payload), rtp(0xdef, 1));
}

// ---------------------------------------------------------------------------------------------
// Checksum offload, both ways.

TEST(WorkerChecksums, EgressOffloadLeavesTheSumsTheNicFinishesAndSetsItsFlags) {
    GatewayOptions o;
    o.egress[1].checksum = net::ChecksumMode::offload_ip;
    o.egress[0].checksum = net::ChecksumMode::offload_ip_udp;
    o.egress[0].has_vlan = true;
    Gateway g(o);
    const api::SessionSpec s4 = session(1);
    api::SessionSpec s6 = session(2, Suite::aes_cm_128_hmac_sha1_80, net::Family::ipv6, net::Family::ipv4);
    g.add(s4);
    g.add(s6);
    Ue ue4(s4), ue6(s6);

    // IPv4 out, IPv4 header sum offloaded: field 0, UDP computed in software.
    Output out = g.receive(kFromAccess, {from_ue(s4, kUeV4, ue4.protect(rtp(1, 1))), from_ue(s6, kUeV6, ue6.protect(rtp(2, 1)))});
    ASSERT_EQ(out.core.size(), 2u);
    for (const Sent& sent : out.core) {
        const Relayed r = sent.decoded();
        ASSERT_EQ(r.error, "");
        EXPECT_EQ(r.ip_checksum, 0);
        EXPECT_TRUE(r.udp_checksum_ok);
        EXPECT_EQ(sent.ol_flags, RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM);
        EXPECT_EQ(sent.l2_len, 14);
        EXPECT_EQ(sent.l3_len, 20);
    }

    // UDP offloaded too: the field holds the folded pseudo-header sum (rte_ipv4/6_phdr_cksum).
    out = g.receive(kFromCore, {from_core(s4, rtp(3, 1)), from_core(s6, rtp(4, 1))});
    ASSERT_EQ(out.access.size(), 2u);
    const Relayed r4 = out.access[0].decoded(), r6 = out.access[1].decoded();
    ASSERT_EQ(r4.error, "");
    ASSERT_EQ(r6.error, "");
    EXPECT_EQ(r4.ip_checksum, 0);
    EXPECT_EQ(r4.udp_checksum, fold(r4.pseudo));
    EXPECT_EQ(r6.udp_checksum, fold(r6.pseudo));
    EXPECT_EQ(out.access[0].ol_flags, RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_UDP_CKSUM);
    EXPECT_EQ(out.access[1].ol_flags, RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_UDP_CKSUM);
    EXPECT_EQ(out.access[0].l2_len, 18);
    EXPECT_EQ(out.access[0].l3_len, 20);
    EXPECT_EQ(out.access[1].l3_len, 40);
    EXPECT_EQ(ue4.unprotect(r4.payload), rtp(3, 1));
    EXPECT_EQ(ue6.unprotect(r6.payload), rtp(4, 1));
}

TEST(WorkerChecksums, ReceiveOffloadVerdictsAreTrustedAndUnknownOnesAreCheckedInSoftware) {
    Gateway g;
    const api::SessionSpec s = session(1);
    g.add(s);
    Ue ue(s);
    const RxQueue offload{0, 0, true, false, true};
    auto with_flags = [](Bytes f, uint64_t flags, bool break_ip_sum) {
        if (break_ip_sum) f[kEth + 10] ^= 0xff;
        rte_mbuf* m = Gateway::mbuf_of(f);
        m->ol_flags = flags;
        return m;
    };
    const Bytes good1 = frame_of(from_ue(s, kUeV4, ue.protect(rtp(0xabc, 1))));
    const Bytes good2 = frame_of(from_ue(s, kUeV4, ue.protect(rtp(0xabc, 2))));
    const Bytes good3 = frame_of(from_ue(s, kUeV4, ue.protect(rtp(0xabc, 3))));
    const Output out = g.process(
        offload, {with_flags(good1, RTE_MBUF_F_RX_IP_CKSUM_BAD | RTE_MBUF_F_RX_L4_CKSUM_GOOD, false),
                  with_flags(good1, RTE_MBUF_F_RX_IP_CKSUM_GOOD | RTE_MBUF_F_RX_L4_CKSUM_BAD, false),
                  // The NIC vouched for the sums: not checked again.
                  with_flags(good2, RTE_MBUF_F_RX_IP_CKSUM_GOOD | RTE_MBUF_F_RX_L4_CKSUM_GOOD, true),
                  // The NIC did not look: software finds the broken sum.
                  with_flags(good3, RTE_MBUF_F_RX_IP_CKSUM_UNKNOWN | RTE_MBUF_F_RX_L4_CKSUM_UNKNOWN, true),
                  with_flags(good3, 0, false)});
    ASSERT_EQ(out.core.size(), 2u);
    EXPECT_EQ(out.core[0].decoded().payload, rtp(0xabc, 2));
    EXPECT_EQ(out.core[1].decoded().payload, rtp(0xabc, 3));
    EXPECT_EQ(g.frame_errors(net::FrameError::bad_ip_checksum), 2u);
    EXPECT_EQ(g.frame_errors(net::FrameError::bad_udp_checksum), 1u);
}

// ---------------------------------------------------------------------------------------------
// Bad traffic in the burst of good traffic.

void fix_ipv4_checksum(Bytes& f, size_t l3, size_t header_len = 20) {
    f[l3 + 10] = f[l3 + 11] = 0;
    const auto c = static_cast<uint16_t>(~fold(sum16(&f[l3], header_len)));
    f[l3 + 10] = static_cast<uint8_t>(c >> 8);
    f[l3 + 11] = static_cast<uint8_t>(c);
}

// Inserts `options` after the IPv4 header's 20 bytes and raises IHL and total length to match.
Bytes with_ipv4_options(Bytes f, const Bytes& options) {
    f.insert(f.begin() + kEth + 20, options.begin(), options.end());
    f[kEth] = static_cast<uint8_t>(0x40 | (20 + options.size()) / 4);
    const auto total = static_cast<uint16_t>(get16(&f[kEth + 2]) + options.size());
    f[kEth + 2] = static_cast<uint8_t>(total >> 8);
    f[kEth + 3] = static_cast<uint8_t>(total);
    fix_ipv4_checksum(f, kEth, 20 + options.size());
    return f;
}

// Puts an extension header (Fragment, Hop-by-Hop, ...) between the IPv6 header and the UDP
// datagram, with the lengths and next-header chain right.
Bytes with_ipv6_extension(Bytes f, uint8_t next, Bytes ext) {
    ext[0] = 17;
    f.insert(f.begin() + kEth + 40, ext.begin(), ext.end());
    f[kEth + 6] = next;
    const auto len = static_cast<uint16_t>(get16(&f[kEth + 4]) + ext.size());
    f[kEth + 4] = static_cast<uint8_t>(len >> 8);
    f[kEth + 5] = static_cast<uint8_t>(len);
    return f;
}

// Everything the worker drops before the SRTP engine, counter by counter.
uint64_t early_drops(const Gateway& g) {
    const WorkerCounters& c = g.counters();
    uint64_t n = c.not_udp.get() + c.no_session.get() + c.slow_path_full.get() + c.slow_path.get();
    for (int e = 1; e < net::kFrameErrorCount; ++e) n += g.frame_errors(static_cast<net::FrameError>(e));
    return n;
}

TEST(WorkerBadTraffic, EachBadFrameIsCountedByItsReasonAndEveryGoodPacketOfTheBurstIsRelayed) {
    Gateway g;
    const api::SessionSpec s = session(1);
    const api::SessionSpec s6 = session(2, Suite::aead_aes_128_gcm, net::Family::ipv6, net::Family::ipv4);
    g.add(s);
    g.add(s6);
    Ue ue(s), ue6(s6);

    uint16_t seq = 1, seq6 = 1;
    std::vector<Bytes> expected;  // what must reach the core, in order
    auto good = [&] {
        expected.push_back(rtp(0xabc, seq));
        return frame_of(from_ue(s, kUeV4, ue.protect(rtp(0xabc, seq++))));
    };
    // A frame to break: an authentic packet of a real session, so one that slipped through
    // would be relayed and show up.
    auto bad4 = [&] { return frame_of(from_ue(s, kUeV4, ue.protect(rtp(0xabc, seq++)))); };
    auto bad6 = [&] { return frame_of(from_ue(s6, kUeV6, ue6.protect(rtp(0xabd, seq6++)))); };
    const size_t l3 = kEth, udp4 = kEth + 20, udp6 = kEth + 40;

    std::vector<Bytes> burst{good()};
    std::map<net::FrameError, uint64_t> want;
    uint64_t bad_frames = 0;
    auto add_bad = [&](Bytes f, std::optional<net::FrameError> e) {
        burst.push_back(std::move(f));
        ++bad_frames;
        if (e) ++want[*e];
        burst.push_back(good());
    };
    Bytes f = bad4();
    f.resize(10);
    add_bad(f, net::FrameError::truncated);  // inside Ethernet
    f = bad4();
    f.resize(kEth + 12);
    add_bad(f, net::FrameError::truncated);  // inside IPv4
    f = bad4();
    f[l3] = 0x44;
    fix_ipv4_checksum(f, l3);
    add_bad(f, net::FrameError::bad_ip_header_length);
    add_bad(with_ipv4_options(bad4(), {0x94, 0x04, 0, 0}), net::FrameError::ip_options);  // RFC 2113
    f = bad4();
    f[l3 + 6] = 0x20;  // MF: a first fragment
    fix_ipv4_checksum(f, l3);
    add_bad(f, net::FrameError::fragment);
    f = bad4();
    f[l3 + 7] = 0x10;  // DF and offset 16: a later fragment
    fix_ipv4_checksum(f, l3);
    add_bad(f, net::FrameError::fragment);
    add_bad(with_ipv6_extension(bad6(), 44, {0, 0, 0, 1, 0, 0, 0, 7}), net::FrameError::fragment);
    add_bad(with_ipv6_extension(bad6(), 0, {0, 0, 1, 4, 0, 0, 0, 0}), net::FrameError::ipv6_extension);
    f = bad4();
    f[l3 + 10] ^= 0x01;
    add_bad(f, net::FrameError::bad_ip_checksum);
    f = bad4();
    f.back() ^= 0x10;
    add_bad(f, net::FrameError::bad_udp_checksum);
    f = bad6();
    f.back() ^= 0x10;
    add_bad(f, net::FrameError::bad_udp_checksum);
    f = bad6();
    f[udp6 + 6] = f[udp6 + 7] = 0;  // RFC 8200 §8.1: mandatory over IPv6
    add_bad(f, net::FrameError::bad_udp_checksum);
    f = bad4();
    f[udp4 + 4] = 0x05;  // UDP length 1280 and more: beyond the IP payload
    add_bad(f, net::FrameError::bad_udp_length);
    f = bad4();
    f[udp4 + 4] = 0;
    f[udp4 + 5] = 4;  // shorter than its own header
    add_bad(f, net::FrameError::bad_udp_length);
    f = bad4();
    f[l3 + 2] = 0x06;  // IPv4 total length beyond the frame
    fix_ipv4_checksum(f, l3);
    add_bad(f, net::FrameError::bad_ip_length);
    f = bad6();
    f[l3 + 4] = 0x06;  // IPv6 payload length beyond the frame
    add_bad(f, net::FrameError::bad_ip_length);
    f = bad4();
    f[l3] = 0x65;  // IPv6's version under the IPv4 ethertype
    add_bad(f, net::FrameError::bad_ip_version);
    f = bad4();
    f[12] = 0x88;
    f[13] = 0xcc;  // LLDP
    add_bad(f, net::FrameError::unsupported_ethertype);
    Datagram tagged = from_ue(s, kUeV4, ue.protect(rtp(0xabc, seq++)));
    tagged.vlan_tci = 5;
    f = frame_of(tagged);
    f[16] = 0x81;  // a second 802.1Q tag inside the first
    f[17] = 0x00;
    add_bad(f, net::FrameError::vlan_stacked);
    // Not frame errors: no session behind the destination, or not UDP.
    Datagram stray = from_ue(s, kUeV4, ue.protect(rtp(0xabc, seq++)));
    stray.dst.port = 20002;
    add_bad(frame_of(stray), std::nullopt);
    stray.dst = {ip("192.0.2.77"), s.access.local.port};
    add_bad(frame_of(stray), std::nullopt);
    stray.dst = s.core.local;  // a core address, arriving on an access-only queue
    add_bad(frame_of(stray), std::nullopt);
    Datagram tcp = from_ue(s, kUeV4, Bytes(20, 0));
    tcp.protocol = 6;
    add_bad(frame_of(tcp), std::nullopt);
    ASSERT_LE(burst.size(), kMaxBurst);

    const Output out = g.receive(kFromAccess, burst);
    ASSERT_EQ(out.core.size(), expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
        SCOPED_TRACE("good packet " + std::to_string(i));
        const Relayed r = out.core[i].decoded();
        expect_headers(r, {api::Side::core, kCoreMac, s.core.local, s.core.remote, {}, 0});
        EXPECT_EQ(r.payload, expected[i]);
    }
    for (int e = 1; e < net::kFrameErrorCount; ++e) {
        const auto err = static_cast<net::FrameError>(e);
        EXPECT_EQ(g.frame_errors(err), want[err]) << net::frame_error_name(err);
    }
    EXPECT_EQ(g.counters().no_session.get(), 3u);
    EXPECT_EQ(g.counters().not_udp.get(), 1u);
    EXPECT_EQ(early_drops(g), bad_frames) << "each bad frame is counted exactly once";
    EXPECT_EQ(g.counters().rx_packets.get(), burst.size());
    EXPECT_EQ(g.flow(1, access_rtp).packets_out.get(), expected.size());
    EXPECT_EQ(g.flow(1, access_rtp).auth_failures.get() + g.flow(1, access_rtp).replays.get(), 0u);

    const api::WorkerStats st = g.worker().stats(3);
    EXPECT_EQ(st.lcore, 3u);
    EXPECT_EQ(st.rx_packets, burst.size());
    EXPECT_EQ(st.drops_no_session, 3u);
    EXPECT_EQ(st.drops_fragment, 3u);
    EXPECT_EQ(st.drops_checksum, 4u);
    EXPECT_EQ(st.drops_malformed, bad_frames - 3 - 3 - 4);
    EXPECT_EQ(st.drops_overload, 0u);
}

TEST(WorkerBadTraffic, RandomBytesAreEachDroppedAndCountedOnceAmongGoodPackets) {
    Gateway g;
    const api::SessionSpec s = session(1);
    g.add(s);
    Ue ue(s);
    TestRng rng(20240601);
    uint16_t seq = 1;
    for (int round = 0; round < 4; ++round) {
        SCOPED_TRACE("round " + std::to_string(round));
        std::vector<Bytes> burst, expected;
        for (int i = 0; i < 16; ++i) {
            Bytes junk = rng.bytes(rng.range(0, 300));
            // Steer some past the Ethernet checks so the IP and UDP checks see garbage too.
            static constexpr uint16_t kTypes[] = {0x0800, 0x86dd, 0x8100, 0x0806};
            if (junk.size() >= 14 && i % 2) {
                const uint16_t type = kTypes[rng.range(0, 3)];
                junk[12] = static_cast<uint8_t>(type >> 8);
                junk[13] = static_cast<uint8_t>(type);
            }
            burst.push_back(junk);
            expected.push_back(rtp(0xabc, seq));
            burst.push_back(frame_of(from_ue(s, kUeV4, ue.protect(rtp(0xabc, seq++)))));
        }
        const uint64_t before = early_drops(g);
        const Output out = g.receive(kFromAccess, burst);
        ASSERT_EQ(out.core.size(), expected.size());
        for (size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(out.core[i].decoded().payload, expected[i]);
        EXPECT_EQ(early_drops(g) - before, 16u);
    }
}

TEST(WorkerBadTraffic, PayloadsTooShortForRtpAreCountedMalformedOnTheirFlow) {
    Gateway g;
    api::SessionSpec s = session(1);
    s.access.remote = kUeV4;  // configured: core traffic needs no latch
    g.add(s);
    Ue ue(s);
    const Output out = g.receive(kFromAccess, {from_ue(s, kUeV4, {}), from_ue(s, kUeV4, {0x80, 0, 0, 1, 0}),
                                               from_ue(s, plus(kUeV4, 1), {0x80, 200, 0, 1}, true),
                                               from_ue(s, kUeV4, ue.protect(rtp(0xabc, 1)))});
    ASSERT_EQ(out.core.size(), 1u);
    EXPECT_EQ(g.flow(1, access_rtp).malformed.get(), 2u);
    EXPECT_EQ(g.flow(1, access_rtcp).malformed.get(), 1u);
    const Output back = g.receive(kFromCore, {from_core(s, {}), from_core(s, {0x80, 0, 0}), from_core(s, rtp(0xdef, 1))});
    ASSERT_EQ(back.access.size(), 1u);
    EXPECT_EQ(ue.unprotect(back.access[0].decoded().payload), rtp(0xdef, 1));
    EXPECT_EQ(g.flow(1, core_rtp).malformed.get(), 2u);
    EXPECT_EQ(g.table().info(1, kNow)->core.malformed, 2u);
}

TEST(WorkerBadTraffic, EthernetPaddingAndIpSurplusAreNotRelayedAndAZeroUdpChecksumIsAccepted) {
    Gateway g;
    const api::SessionSpec s = session(1);
    g.add(s);
    Ue ue(s);
    // Ethernet pads short frames to 60 bytes: bytes after the IP packet are not payload.
    Bytes padded = frame_of(from_ue(s, kUeV4, ue.protect(rtp(0xabc, 1, 0))));
    padded.resize(std::max<size_t>(padded.size() + 7, 60), 0xee);
    // RFC 768: bytes inside the IP packet after the UDP length are not payload either.
    const Bytes plain = rtp(0xabc, 2, 20);
    Bytes surplus = frame_of(from_ue(s, kUeV4, ue.protect(plain)));
    surplus.insert(surplus.end(), {1, 2, 3, 4});
    const auto total = static_cast<uint16_t>(get16(&surplus[kEth + 2]) + 4);
    surplus[kEth + 2] = static_cast<uint8_t>(total >> 8);
    surplus[kEth + 3] = static_cast<uint8_t>(total);
    fix_ipv4_checksum(surplus, kEth);
    // RFC 768: a zero UDP checksum over IPv4 means none was computed.
    Bytes unchecked = frame_of(from_ue(s, kUeV4, ue.protect(rtp(0xabc, 3))));
    unchecked[kEth + 26] = unchecked[kEth + 27] = 0;
    const Output out = g.receive(kFromAccess, {padded, surplus, unchecked});
    ASSERT_EQ(out.core.size(), 3u);
    EXPECT_EQ(out.core[0].decoded().payload, rtp(0xabc, 1, 0));
    EXPECT_EQ(out.core[1].decoded().payload, plain);
    EXPECT_EQ(out.core[2].decoded().payload, rtp(0xabc, 3));
    for (const Sent& sent : out.core)
        expect_headers(sent.decoded(), {api::Side::core, kCoreMac, s.core.local, s.core.remote, {}, 0});
}

TEST(WorkerBadTraffic, MultiSegmentMbufsAreDroppedWhole) {
    Gateway g;
    const api::SessionSpec s = session(1);
    g.add(s);
    Ue ue(s);
    rte_mbuf* head = Gateway::mbuf_of(frame_of(from_ue(s, kUeV4, ue.protect(rtp(0xabc, 1)))));
    rte_mbuf* tail = Gateway::mbuf_of(Bytes(100, 0x55));
    ASSERT_EQ(rte_pktmbuf_chain(head, tail), 0);
    const Output out =
        g.process(kFromAccess, {head, Gateway::mbuf_of(frame_of(from_ue(s, kUeV4, ue.protect(rtp(0xabc, 2)))))});
    ASSERT_EQ(out.core.size(), 1u);
    EXPECT_EQ(out.core[0].decoded().payload, rtp(0xabc, 2));
    EXPECT_EQ(g.frame_errors(net::FrameError::bad_ip_length), 1u);
}

// ARP (RFC 826), ICMP echo and ICMPv6 neighbour solicitation (RFC 4861 §4.3): for the control
// lcore.
Bytes arp_request(const net::IpAddr& target) {
    Bytes f(6, 0xff);
    f.insert(f.end(), kRouterMac.bytes.begin(), kRouterMac.bytes.end());
    put16(f, 0x0806);
    f.insert(f.end(), {0, 1, 0x08, 0, 6, 4, 0, 1});
    f.insert(f.end(), kRouterMac.bytes.begin(), kRouterMac.bytes.end());
    f.insert(f.end(), {192, 0, 2, 254});
    f.insert(f.end(), 6, 0);
    f.insert(f.end(), target.bytes.begin(), target.bytes.begin() + 4);
    f.resize(60, 0);  // Ethernet minimum
    return f;
}

Bytes icmp_echo(const net::IpAddr& dst) {
    Datagram d;
    d.src = ep("192.0.2.254", 0);
    d.dst = {dst, 0};
    d.protocol = 1;
    d.payload = {8, 0, 0, 0, 0, 1, 0, 1, 'p', 'i', 'n', 'g'};
    const auto c = static_cast<uint16_t>(~fold(sum16(d.payload.data(), d.payload.size())));
    d.payload[2] = static_cast<uint8_t>(c >> 8);
    d.payload[3] = static_cast<uint8_t>(c);
    return frame_of(d);
}

Bytes neighbour_solicitation(const net::IpAddr& target) {
    Datagram d;
    d.src = ep("fe80::1", 0);
    d.dst = ep("ff02::1:ff00:1", 0);
    d.ttl = 255;
    d.protocol = 58;
    d.payload = {135, 0, 0, 0, 0, 0, 0, 0};
    d.payload.insert(d.payload.end(), target.bytes.begin(), target.bytes.end());
    const auto c = static_cast<uint16_t>(~fold(sum16(d.payload.data(), d.payload.size(),
                                                     pseudo_sum(d.src.addr, d.dst.addr,
                                                                static_cast<uint32_t>(d.payload.size()), 58))));
    d.payload[2] = static_cast<uint8_t>(c >> 8);
    d.payload[3] = static_cast<uint8_t>(c);
    return frame_of(d);
}

TEST(WorkerSlowPath, ArpIcmpAndNdGoToTheRingAndAreCountedWhenItIsFull) {
    GatewayOptions o;
    o.slow_path_ring = 4;  // room for 3
    Gateway g(o);
    const api::SessionSpec s = session(1);
    g.add(s);
    Ue ue(s);
    const std::vector<Bytes> control = {arp_request(kAccessV4), icmp_echo(kAccessV4),
                                        neighbour_solicitation(kAccessV6), arp_request(kCoreV4),
                                        icmp_echo(kCoreV4)};
    std::vector<Bytes> burst;
    for (size_t i = 0; i < control.size(); ++i) {
        burst.push_back(control[i]);
        burst.push_back(frame_of(from_ue(s, kUeV4, ue.protect(rtp(0xabc, static_cast<uint16_t>(i + 1))))));
    }
    const Output out = g.receive(kFromAccess, burst);
    EXPECT_EQ(out.core.size(), control.size());
    EXPECT_EQ(g.counters().slow_path.get(), 3u);
    EXPECT_EQ(g.counters().slow_path_full.get(), 2u);
    EXPECT_EQ(g.worker().stats(0).drops_overload, 2u);
    EXPECT_EQ(g.worker().stats(0).slow_path, 3u);

    // The ring holds the first three frames, untouched.
    for (size_t i = 0; i < 3; ++i) {
        void* p = nullptr;
        ASSERT_EQ(rte_ring_dequeue(g.ring(), &p), 0);
        auto* m = static_cast<rte_mbuf*>(p);
        const uint8_t* bytes = rte_pktmbuf_mtod(m, const uint8_t*);
        EXPECT_EQ(Bytes(bytes, bytes + m->data_len), control[i]);
        rte_pktmbuf_free(m);
    }
    EXPECT_EQ(pool_in_use(), 0u);
}

TEST(WorkerSlowPath, WithoutARingControlFramesAreDroppedAndCounted) {
    Gateway g;
    EXPECT_TRUE(g.receive(kFromCore, std::vector<Bytes>{arp_request(kCoreV4), icmp_echo(kCoreV4)}).core.empty());
    EXPECT_EQ(g.counters().slow_path_full.get(), 2u);
    EXPECT_EQ(g.counters().slow_path.get(), 0u);
}

// ---------------------------------------------------------------------------------------------
// Neighbours, and many sessions in one burst.

TEST(WorkerNeighbours, UnresolvedNextHopDropsOnlyThatDestinationsPackets) {
    Gateway g;
    const api::SessionSpec a = session(1);
    api::SessionSpec b = session(2);
    b.core.remote.addr = ip("198.51.100.30");
    g.add(a);
    g.add(b);
    Ue ua(a), ub(b);
    g.unresolved = {a.core.remote.addr};
    const Output out = g.receive(kFromAccess, {from_ue(a, kUeV4, ua.protect(rtp(1, 1))),
                                               from_ue(b, kUeV4, ub.protect(rtp(2, 1))),
                                               from_ue(a, kUeV4, ua.protect(rtp(1, 2)))});
    ASSERT_EQ(out.core.size(), 1u);
    expect_headers(out.core[0].decoded(), {api::Side::core, kCoreMac, b.core.local, b.core.remote, {}, 0});
    EXPECT_EQ(g.counters().no_neighbour.get(), 2u);
    EXPECT_EQ(g.flow(1, access_rtp).other_drops.get(), 2u);
    EXPECT_EQ(g.flow(2, access_rtp).other_drops.get(), 0u);
    // Resolved later: the session carries on.
    g.unresolved.clear();
    EXPECT_EQ(g.receive(kFromAccess, {from_ue(a, kUeV4, ua.protect(rtp(1, 3)))}).core.size(), 1u);
}

TEST(WorkerNeighbours, TheNeighbourTableIsAskedAgainInEveryBurst) {
    Gateway g;
    const api::SessionSpec s = session(1);
    g.add(s);
    Ue ue(s);
    Output out = g.receive(kFromAccess, {from_ue(s, kUeV4, ue.protect(rtp(1, 1))), from_ue(s, kUeV4, ue.protect(rtp(1, 2)))});
    ASSERT_EQ(out.core.size(), 2u);
    EXPECT_EQ(out.core[1].decoded().dst_mac, peer_mac(api::Side::core, s.core.remote.addr));
    // The peer's MAC changed (a failover, a new router): the next burst must not use the old one.
    const net::MacAddr new_mac{{0x06, 0x99, 0x99, 0x99, 0x99, 0x99}};
    g.moved = {{s.core.remote.addr, new_mac}};
    out = g.receive(kFromAccess, {from_ue(s, kUeV4, ue.protect(rtp(1, 3)))});
    ASSERT_EQ(out.core.size(), 1u);
    EXPECT_EQ(out.core[0].decoded().dst_mac, new_mac);
}

TEST(WorkerNeighbours, BehindAGatewayABurstToManyPeersResolvesTheGatewayOnce) {
    GatewayOptions o;
    o.egress[static_cast<int>(api::Side::core)].gateway4 = ip("198.51.100.1");
    Gateway g(o);
    std::vector<api::SessionSpec> specs;
    std::vector<std::unique_ptr<Ue>> ues;
    std::vector<Datagram> frames;
    for (uint64_t id = 1; id <= 3; ++id) {
        api::SessionSpec s = session(id);
        s.core.remote.addr = ip(("198.51.100." + std::to_string(40 + id)).c_str());  // three core peers
        g.add(s);
        ues.push_back(std::make_unique<Ue>(s));
        frames.push_back(from_ue(s, kUeV4, ues.back()->protect(rtp(static_cast<uint32_t>(id), 1))));
        specs.push_back(s);
    }
    const Output out = g.receive(kFromAccess, frames);
    ASSERT_EQ(out.core.size(), 3u);
    // One question for the gateway's MAC, not one per peer; every frame still goes to its peer.
    EXPECT_EQ(g.next_hop_calls.size(), 1u);
    for (size_t i = 0; i < 3; ++i) {
        const Relayed r = out.core[i].decoded();
        ASSERT_EQ(r.error, "");
        EXPECT_EQ(r.dst_mac, peer_mac(api::Side::core, specs[0].core.remote.addr));  // the gateway's
        EXPECT_EQ(r.src, specs[i].core.local) << r.src.to_string();
        EXPECT_EQ(r.dst, specs[i].core.remote) << r.dst.to_string();
    }
}

TEST(WorkerNeighbours, BehindAGatewayAGroupDestinationIsStillResolvedByItself) {
    // A multicast peer's frames go to its group MAC (neighbour resolve()), never to the
    // gateway's, so it must not share the gateway's cache entry.
    GatewayOptions o;
    o.egress[static_cast<int>(api::Side::core)].gateway4 = ip("198.51.100.1");
    Gateway g(o);
    api::SessionSpec unicast = session(1);
    unicast.core.remote.addr = ip("198.51.100.41");
    api::SessionSpec group = session(2);
    group.core.remote.addr = ip("239.1.2.3");
    g.add(unicast);
    g.add(group);
    Ue u1(unicast), u2(group);
    const Output out = g.receive(kFromAccess, {from_ue(unicast, kUeV4, u1.protect(rtp(1, 1))),
                                               from_ue(group, kUeV4, u2.protect(rtp(2, 1)))});
    ASSERT_EQ(out.core.size(), 2u);
    ASSERT_EQ(g.next_hop_calls.size(), 2u);
    EXPECT_EQ(g.next_hop_calls[1].second, ip("239.1.2.3"));
    EXPECT_EQ(out.core[1].decoded().dst_mac, peer_mac(api::Side::core, ip("239.1.2.3")));
}

TEST(WorkerNeighbours, WithoutAGatewayEachPeerOnTheLinkIsResolvedByItself) {
    Gateway g;
    std::vector<std::unique_ptr<Ue>> ues;
    std::vector<Datagram> frames;
    for (uint64_t id = 1; id <= 3; ++id) {
        api::SessionSpec s = session(id);
        s.core.remote.addr = ip(("198.51.100." + std::to_string(40 + id)).c_str());
        g.add(s);
        ues.push_back(std::make_unique<Ue>(s));
        frames.push_back(from_ue(s, kUeV4, ues.back()->protect(rtp(static_cast<uint32_t>(id), 1))));
    }
    ASSERT_EQ(g.receive(kFromAccess, frames).core.size(), 3u);
    ASSERT_EQ(g.next_hop_calls.size(), 3u);
    for (uint64_t id = 1; id <= 3; ++id)
        EXPECT_EQ(g.next_hop_calls[id - 1].second, ip(("198.51.100." + std::to_string(40 + id)).c_str()));
}

struct MixedSession {
    api::SessionSpec spec;
    std::unique_ptr<Ue> ue;
    net::Endpoint ue_at;
    std::optional<net::Endpoint> srtcp_from;  // where the UE's SRTCP came from, if it sent any
    uint32_t ssrc_up = 0, ssrc_down = 0;
    uint16_t seq_up = 1, seq_down = 1;
};

TEST(WorkerMixedBurst, SixSuitesInOneBurstOf64EachPacketKeepsItsOwnResult) {
    Gateway g;
    std::vector<MixedSession> ss;
    for (size_t i = 0; i < 6; ++i) {
        MixedSession m;
        const uint64_t id = i + 1;
        m.spec = session(id, kAllSuites[i], i % 2 ? net::Family::ipv6 : net::Family::ipv4,
                         i % 3 ? net::Family::ipv4 : net::Family::ipv6);
        // Each core peer at its own address: each frame needs its own next hop.
        m.spec.core.remote.addr.bytes[m.spec.core.remote.addr.is_v4() ? 3 : 15] = static_cast<uint8_t>(100 + i);
        if (i == 1 || i == 4) {  // with MKIs (RFC 3711 §3.1)
            m.spec.from_ue = key_spec(kAllSuites[i], static_cast<uint8_t>(50 + i), 2);
            m.spec.to_ue = key_spec(kAllSuites[i], static_cast<uint8_t>(60 + i), 3);
        }
        if (i == 5) m.spec.access.rtcp_mux = m.spec.core.rtcp_mux = true;
        m.ue_at = m.spec.access.local.addr.is_v4() ? kUeV4 : kUeV6;
        m.ue_at.addr.bytes[m.ue_at.addr.is_v4() ? 3 : 15] = static_cast<uint8_t>(10 + i);
        if (i == 2) m.spec.access.remote = m.ue_at;  // a configured UE among latched ones
        m.ssrc_up = 0x1000 + static_cast<uint32_t>(i);
        m.ssrc_down = 0x2000 + static_cast<uint32_t>(i);
        g.add(m.spec);
        m.ue = std::make_unique<Ue>(m.spec);
        ss.push_back(std::move(m));
    }

    // UE -> core: 64 packets round-robin over the sessions; SRTCP among SRTP, some tampered,
    // some replayed.
    struct Want {
        size_t session;
        Bytes payload;
        bool rtcp;
    };
    std::vector<Bytes> burst;
    std::vector<Want> want;
    std::vector<uint64_t> tampered(6), replayed(6);
    std::vector<Bytes> previous(6);
    for (size_t k = 0; burst.size() < kMaxBurst; ++k) {
        const size_t i = k % 6;
        MixedSession& m = ss[i];
        if (k == 20 || k == 45) {
            Bytes p = m.ue->protect(rtp(m.ssrc_up, m.seq_up++));
            p[14] ^= 0x04;
            burst.push_back(frame_of(from_ue(m.spec, m.ue_at, p)));
            ++tampered[i];
        } else if (k == 31 || k == 50) {  // this session's previous packet, earlier in the burst
            burst.push_back(frame_of(from_ue(m.spec, m.ue_at, previous[i])));
            ++replayed[i];
        } else if (k % 7 == 3 && i != 1 && i != 3) {  // 1 and 3 send no SRTCP
            const Bytes report = rtcp(m.ssrc_up, static_cast<uint32_t>(k));
            // The configured UE must use its RTCP port; the others send from their RTP port.
            m.srtcp_from = plus(m.ue_at, m.spec.access.remote.empty() ? 0 : 1);
            burst.push_back(frame_of(from_ue(m.spec, *m.srtcp_from, m.ue->protect_rtcp(report), true)));
            want.push_back({i, report, true});
        } else {
            const Bytes plain = rtp(m.ssrc_up, m.seq_up++, 40 + 13 * i);
            previous[i] = m.ue->protect(plain);
            burst.push_back(frame_of(from_ue(m.spec, m.ue_at, previous[i])));
            want.push_back({i, plain, false});
        }
    }
    Output out = g.receive(kFromAccess, burst);
    ASSERT_EQ(out.core.size(), want.size());
    // Output order: the unprotected RTP packets, then the RTCP packets, each in arrival order.
    std::stable_partition(want.begin(), want.end(), [](const Want& w) { return !w.rtcp; });
    for (size_t n = 0; n < want.size(); ++n) {
        SCOPED_TRACE("packet " + std::to_string(n) + " of session " + std::to_string(want[n].session + 1));
        const api::SessionSpec& sp = ss[want[n].session].spec;
        const bool rtcp_port = want[n].rtcp && !sp.core.rtcp_mux;
        const Relayed r = out.core[n].decoded();
        expect_headers(r, {api::Side::core, kCoreMac, rtcp_port ? core_rtcp_local(sp) : sp.core.local,
                           rtcp_port ? core_rtcp_remote(sp) : sp.core.remote, {}, 0});
        EXPECT_EQ(r.payload, want[n].payload);
    }
    for (size_t i = 0; i < 6; ++i) {
        SCOPED_TRACE("session " + std::to_string(i + 1));
        const FlowState& f = g.flow(i + 1, access_rtp);
        EXPECT_EQ(f.auth_failures.get(), tampered[i]);
        EXPECT_EQ(f.replays.get(), replayed[i]);
        if (i != 2) {
            EXPECT_EQ(g.table().info(i + 1, kNow)->latched_ue, ss[i].ue_at);
        }
    }

    // Core -> UE: 64 packets; among them a session whose UE cannot be resolved and packets from
    // an unknown source.
    api::SessionSpec lost = session(7);
    lost.access.remote = ep("203.0.113.250", 40000);
    g.add(lost);
    g.unresolved = {lost.access.remote.addr};
    burst.clear();
    want.clear();
    size_t lost_frames = 0, unknown = 0;
    for (size_t k = 0; burst.size() < kMaxBurst; ++k) {
        if (k % 16 == 5) {
            burst.push_back(frame_of(from_core(lost, rtp(0x777, static_cast<uint16_t>(k)))));
            ++lost_frames;
            continue;
        }
        const size_t i = k % 6;
        MixedSession& m = ss[i];
        if (k % 16 == 9) {
            Datagram d = from_core(m.spec, rtp(m.ssrc_down, 999));
            d.src.port = static_cast<uint16_t>(d.src.port + 4);
            burst.push_back(frame_of(d));
            ++unknown;
            continue;
        }
        // libsrtp cannot unprotect SRTCP of a _32 suite with an MKI (DESIGN.md): no RTCP for 1.
        const bool as_rtcp = k % 5 == 2 && i != 1;
        const Bytes plain = as_rtcp ? rtcp(m.ssrc_down, static_cast<uint32_t>(k))
                                    : rtp(m.ssrc_down, m.seq_down++, 20 + 31 * i);
        burst.push_back(frame_of(from_core(m.spec, plain, as_rtcp)));
        want.push_back({i, plain, as_rtcp});
    }
    out = g.receive(kFromCore, burst);
    ASSERT_EQ(out.access.size(), want.size());
    std::stable_partition(want.begin(), want.end(), [](const Want& w) { return !w.rtcp; });
    for (size_t n = 0; n < want.size(); ++n) {
        const size_t i = want[n].session;
        SCOPED_TRACE("packet " + std::to_string(n) + " of session " + std::to_string(i + 1));
        const MixedSession& m = ss[i];
        const bool rtcp_port = want[n].rtcp && !m.spec.access.rtcp_mux;
        // Where the UE gets RTCP: configured port + 1, where its SRTCP came from, or RTP port + 1.
        net::Endpoint to = m.ue_at;
        if (rtcp_port) to = !m.spec.access.remote.empty() ? plus(m.ue_at, 1) : m.srtcp_from.value_or(plus(m.ue_at, 1));
        const Relayed r = out.access[n].decoded();
        expect_headers(r, {api::Side::access, kAccessMac, rtcp_port ? access_rtcp_local(m.spec) : m.spec.access.local,
                           to, {}, 0});
        const auto plain = want[n].rtcp ? m.ue->unprotect_rtcp(r.payload) : m.ue->unprotect(r.payload);
        ASSERT_TRUE(plain) << "libsrtp refused it";
        EXPECT_EQ(*plain, want[n].payload);
    }
    EXPECT_EQ(g.counters().no_neighbour.get(), lost_frames);
    EXPECT_EQ(g.flow(7, core_rtp).other_drops.get(), lost_frames);
    uint64_t unknown_counted = 0;
    for (size_t i = 0; i < 6; ++i) unknown_counted += g.flow(i + 1, core_rtp).unknown_source.get();
    EXPECT_EQ(unknown_counted, unknown);
}

// ---------------------------------------------------------------------------------------------
// Sessions change between bursts.

TEST(WorkerSessionChanges, AddedSessionRelaysFromTheNextBurst) {
    Gateway g;
    const api::SessionSpec s = session(1);
    Ue ue(s);
    const Bytes early = ue.protect(rtp(0xabc, 1));
    EXPECT_TRUE(g.receive(kFromAccess, {from_ue(s, kUeV4, early)}).core.empty());
    EXPECT_EQ(g.counters().no_session.get(), 1u);
    g.add(s);
    // The early packet never reached a context: it is not a replay now.
    EXPECT_EQ(g.receive(kFromAccess, {from_ue(s, kUeV4, early)}).core.size(), 1u);
}

TEST(WorkerSessionChanges, RekeyTakesEffectInBothDirectionsAndKeepsCountersAndLatch) {
    Gateway g;
    api::SessionSpec s = session(1, Suite::aes_cm_128_hmac_sha1_80);
    g.add(s);
    Ue old_ue(s);
    latch(g, s, old_ue, kUeV4, 0xabc, 1);

    api::SessionSpec rekeyed = s;
    rekeyed.from_ue = key_spec(Suite::aead_aes_128_gcm, 90);
    rekeyed.to_ue = key_spec(Suite::aead_aes_128_gcm, 91);
    g.modify(rekeyed);
    Ue new_ue(rekeyed);

    Output out = g.receive(kFromAccess, {from_ue(s, kUeV4, old_ue.protect(rtp(0xabc, 2))),
                                         from_ue(s, kUeV4, new_ue.protect(rtp(0xabc, 3)))});
    ASSERT_EQ(out.core.size(), 1u);
    EXPECT_EQ(out.core[0].decoded().payload, rtp(0xabc, 3));
    EXPECT_EQ(g.flow(1, access_rtp).auth_failures.get(), 1u);
    EXPECT_EQ(g.flow(1, access_rtp).packets_out.get(), 2u) << "counters survive a modify";

    out = g.receive(kFromCore, {from_core(s, rtp(0xdef, 1))});
    ASSERT_EQ(out.access.size(), 1u);
    const Relayed r = out.access[0].decoded();
    EXPECT_EQ(r.dst, kUeV4) << "the latch survives a modify";
    EXPECT_EQ(new_ue.unprotect(r.payload), rtp(0xdef, 1));
    EXPECT_FALSE(old_ue.unprotect(r.payload)) << "still protected with the old key";
}

TEST(WorkerSessionChanges, NewCoreRemoteTakesEffectAndUnchangedKeysKeepTheirReplayState) {
    Gateway g;
    const api::SessionSpec s = session(1);
    g.add(s);
    Ue ue(s);
    const Bytes first = ue.protect(rtp(0xabc, 1));
    ASSERT_EQ(g.receive(kFromAccess, {from_ue(s, kUeV4, first)}).core.size(), 1u);

    api::SessionSpec moved = s;
    moved.core.remote = ep("198.51.100.99", 41000);
    g.modify(moved);

    Output out = g.receive(kFromAccess, {from_ue(s, kUeV4, first), from_ue(s, kUeV4, ue.protect(rtp(0xabc, 2))),
                                         from_ue(s, plus(kUeV4, 1), ue.protect_rtcp(rtcp(0xabc, 1)), true)});
    EXPECT_EQ(g.flow(1, access_rtp).replays.get(), 1u) << "same keys: the replay window was kept";
    ASSERT_EQ(out.core.size(), 2u);
    expect_headers(out.core[0].decoded(), {api::Side::core, kCoreMac, s.core.local, moved.core.remote, {}, 0});
    expect_headers(out.core[1].decoded(), {api::Side::core, kCoreMac, plus(s.core.local, 1), plus(moved.core.remote, 1), {}, 0});

    out = g.receive(kFromCore, {from_core(s, rtp(0xdef, 1)), from_core(moved, rtp(0xdef, 2)),
                                from_core(s, rtcp(0xdef, 1), true), from_core(moved, rtcp(0xdef, 2), true)});
    ASSERT_EQ(out.access.size(), 2u);
    EXPECT_EQ(ue.unprotect(out.access[0].decoded().payload), rtp(0xdef, 2));
    EXPECT_EQ(ue.unprotect_rtcp(out.access[1].decoded().payload), rtcp(0xdef, 2));
    EXPECT_EQ(g.flow(1, core_rtp).unknown_source.get(), 1u);
    EXPECT_EQ(g.flow(1, core_rtcp).unknown_source.get(), 1u);
}

TEST(WorkerSessionChanges, RemovedSessionIsNoSessionAndItsSlotReturnsAfterTheQuiescentState) {
    Gateway g(GatewayOptions{.max_sessions = 1});
    rte_rcu_qsbr* qsbr = g.table().qsbr();
    constexpr unsigned kThread = 0;  // this thread plays the worker's lcore
    ASSERT_EQ(rte_rcu_qsbr_thread_register(qsbr, kThread), 0);
    rte_rcu_qsbr_thread_online(qsbr, kThread);

    const api::SessionSpec s = session(1);
    g.add(s);
    Ue ue(s);
    latch(g, s, ue, kUeV4, 0xabc, 1);
    rte_rcu_qsbr_quiescent(qsbr, kThread);

    ASSERT_TRUE(g.table().remove(1).ok());
    const Output out = g.receive(kFromAccess, {from_ue(s, kUeV4, ue.protect(rtp(0xabc, 2))),
                                               from_ue(s, plus(kUeV4, 1), ue.protect_rtcp(rtcp(0xabc, 1)), true)});
    EXPECT_TRUE(out.core.empty());
    g.receive(kFromCore, {from_core(s, rtp(0xdef, 1)), from_core(s, rtcp(0xdef, 1), true)});
    EXPECT_EQ(g.counters().no_session.get(), 4u);

    // The worker has not reported a quiescent state since the removal: the slot stays taken.
    const api::SessionSpec next = session(2);
    EXPECT_EQ(g.table().reclaim(), 0u);
    EXPECT_EQ(g.table().add(next, kNow).error, TableError::no_space);
    rte_rcu_qsbr_quiescent(qsbr, kThread);
    EXPECT_EQ(g.table().reclaim(), 1u);
    g.add(next);
    Ue next_ue(next);
    EXPECT_EQ(g.receive(kFromAccess, {from_ue(next, kUeV4, next_ue.protect(rtp(0x123, 1)))}).core.size(), 1u);

    rte_rcu_qsbr_thread_offline(qsbr, kThread);
    rte_rcu_qsbr_thread_unregister(qsbr, kThread);
}

// ---------------------------------------------------------------------------------------------
// Buffers too small for the rewrite.

TEST(WorkerBuffers, NoHeadroomForALargerHeaderIsDroppedAndCounted) {
    Gateway g;
    const api::SessionSpec s = session(1, Suite::aes_cm_128_hmac_sha1_80, net::Family::ipv4, net::Family::ipv6);
    g.add(s);
    Ue ue(s);
    // IPv4 in (42 header bytes) at the very start of the buffer; IPv6 out needs 62.
    rte_mbuf* tight = Gateway::mbuf_of(frame_of(from_ue(s, kUeV4, ue.protect(rtp(0xabc, 1)))), 0);
    rte_mbuf* roomy = Gateway::mbuf_of(frame_of(from_ue(s, kUeV4, ue.protect(rtp(0xabc, 2)))), 20);
    const Output out = g.process(kFromAccess, {tight, roomy});
    ASSERT_EQ(out.core.size(), 1u);
    expect_headers(out.core[0].decoded(), {api::Side::core, kCoreMac, s.core.local, s.core.remote, {}, 0});
    EXPECT_EQ(out.core[0].decoded().payload, rtp(0xabc, 2));
    EXPECT_EQ(g.counters().no_headroom.get(), 1u);
    EXPECT_EQ(g.flow(1, access_rtp).other_drops.get(), 1u);
}

TEST(WorkerBuffers, NoTailroomForTheTagIsDroppedAndCounted) {
    Gateway g;
    const api::SessionSpec s = session(1);
    g.add(s);
    Ue ue(s);
    latch(g, s, ue, kUeV4, 0xabc, 1);
    const Bytes f = frame_of(from_core(s, rtp(0xdef, 1)));
    rte_mbuf* probe = rte_pktmbuf_alloc(g_pool);
    const auto at_end = static_cast<uint16_t>(probe->buf_len - f.size());
    rte_pktmbuf_free(probe);
    const Output out = g.process(kFromCore, {Gateway::mbuf_of(f, at_end), Gateway::mbuf_of(frame_of(from_core(s, rtp(0xdef, 2))))});
    ASSERT_EQ(out.access.size(), 1u);
    EXPECT_EQ(ue.unprotect(out.access[0].decoded().payload), rtp(0xdef, 2));
    EXPECT_EQ(g.flow(1, core_rtp).other_drops.get(), 1u);
    EXPECT_EQ(g.counters().crypto_failed.get(), 1u);
}

// ---------------------------------------------------------------------------------------------
// One port for both sides.

TEST(WorkerSharedPort, OneQueueForBothSidesTellsThemApartByDestination) {
    Gateway g;
    const api::SessionSpec s = session(1);
    g.add(s);
    Ue ue(s);
    const RxQueue both{0, 0, true, true, false};
    ASSERT_EQ(g.receive(both, {from_ue(s, kUeV4, ue.protect(rtp(0xabc, 1)))}).core.size(), 1u);
    const Output out = g.receive(both, {from_core(s, rtp(0xdef, 1)), from_ue(s, kUeV4, ue.protect(rtp(0xabc, 2)))});
    ASSERT_EQ(out.core.size(), 1u);
    ASSERT_EQ(out.access.size(), 1u);
    EXPECT_EQ(out.core[0].decoded().payload, rtp(0xabc, 2));
    EXPECT_EQ(ue.unprotect(out.access[0].decoded().payload), rtp(0xdef, 1));
}

}  // namespace
}  // namespace msf::dp

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    // No NIC and no hugepages: the worker only needs mbufs and rings.
    const char* eal[] = {"worker_test", "--no-huge", "--no-pci", "--no-shconf", "--no-telemetry",
                         "-m", "256", "--log-level=error"};
    if (rte_eal_init(static_cast<int>(std::size(eal)), const_cast<char**>(eal)) < 0) {
        std::fprintf(stderr, "worker_test: rte_eal_init failed\n");
        return 1;
    }
    msf::dp::g_pool = rte_pktmbuf_pool_create("worker_test", msf::dp::kPoolSize, 0, 0,
                                               RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    if (!msf::dp::g_pool) {
        std::fprintf(stderr, "worker_test: mbuf pool creation failed\n");
        return 1;
    }
    const int rc = RUN_ALL_TESTS();
    rte_mempool_free(msf::dp::g_pool);
    rte_eal_cleanup();
    return rc;
}
