// Frames in, frames out. Golden frames come from scapy 2.5 (Debian python3-scapy); each hex
// string says the scapy expression it is, padded with zeros to 60 bytes where shorter.
// A = 02:00:00:00:00:01 (access side), C = 02:00:00:00:00:02 (core side),
// P = 02:00:00:00:00:aa (peer on the access link), G = 02:00:00:00:00:bb (core router).
#include "dataplane/neigh/neighbour_service.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "tests/dataplane/neigh/emitted_frame_check.hpp"
#include "tests/dataplane/neigh/test_network.hpp"

namespace msf::neigh {
namespace {

using api::Side;
using test::from_hex;
using test::ip;

// Ether(dst="ff:ff:ff:ff:ff:ff", src=P)/ARP(op=1, hwsrc=P, psrc="192.0.2.10", pdst="192.0.2.1")
const char* kArpRequestIn =
    "ffffffffffff0200000000aa080600010800060400010200000000aac000020a000000000000c0000201000000000000000000000000000000000000";
// Ether(dst=P, src=A)/ARP(op=2, hwsrc=A, psrc="192.0.2.1", hwdst=P, pdst="192.0.2.10")
const char* kArpReplyOut =
    "0200000000aa02000000000108060001080006040002020000000001c00002010200000000aac000020a000000000000000000000000000000000000";
// Ether(dst="ff:ff:ff:ff:ff:ff", src=G)/Dot1Q(prio=1, vlan=100)
//   /ARP(op=1, hwsrc=G, psrc="198.51.100.254", pdst="198.51.100.1")
const char* kArpRequestVlanIn =
    "ffffffffffff0200000000bb81002064080600010800060400010200000000bbc63364fe000000000000c63364010000000000000000000000000000";
// Ether(dst=G, src=C)/Dot1Q(prio=1, vlan=100)
//   /ARP(op=2, hwsrc=C, psrc="198.51.100.1", hwdst=G, pdst="198.51.100.254")
const char* kArpReplyVlanOut =
    "0200000000bb0200000000028100206408060001080006040002020000000002c63364010200000000bbc63364fe0000000000000000000000000000";
// Ether(dst=A, src=P)/ARP(op=2, hwsrc=P, psrc="192.0.2.10", hwdst=A, pdst="192.0.2.1")
const char* kArpReplyIn =
    "0200000000010200000000aa080600010800060400020200000000aac000020a020000000001c0000201000000000000000000000000000000000000";
// Ether(dst="ff:ff:ff:ff:ff:ff", src="02:00:00:00:00:ab")
//   /ARP(op=1, hwsrc="02:00:00:00:00:ab", psrc="192.0.2.10", pdst="192.0.2.10")   (gratuitous)
const char* kGratuitousArpIn =
    "ffffffffffff0200000000ab080600010800060400010200000000abc000020a000000000000c000020a000000000000000000000000000000000000";
// Ether(dst="ff:ff:ff:ff:ff:ff", src=A)/ARP(op=1, hwsrc=A, psrc="192.0.2.1", pdst="192.0.2.10")
const char* kArpRequestOut =
    "ffffffffffff02000000000108060001080006040001020000000001c0000201000000000000c000020a000000000000000000000000000000000000";
// Ether(dst=P, src=A)/ARP(op=1, hwsrc=A, psrc="192.0.2.1", pdst="192.0.2.10")   (refresh)
const char* kArpRefreshOut =
    "0200000000aa02000000000108060001080006040001020000000001c0000201000000000000c000020a000000000000000000000000000000000000";
// Ether(dst="33:33:ff:00:00:01", src=P)/IPv6(src="2001:db8::10", dst="ff02::1:ff00:1", hlim=255)
//   /ICMPv6ND_NS(tgt="2001:db8::1")/ICMPv6NDOptSrcLLAddr(lladdr=P)
const char* kNsIn =
    "3333ff0000010200000000aa86dd6000000000203aff20010db8000000000000000000000010ff0200000000000000000001ff00000187001b710000000020010db800000000000000000000000101010200000000aa";
// Ether(dst=P, src=A)/IPv6(src="2001:db8::1", dst="2001:db8::10", hlim=255)
//   /ICMPv6ND_NA(tgt="2001:db8::1", R=0, S=1, O=1)/ICMPv6NDOptDstLLAddr(lladdr=A)
const char* kNaOut =
    "0200000000aa02000000000186dd6000000000203aff20010db800000000000000000000000120010db800000000000000000000001088008a656000000020010db80000000000000000000000010201020000000001";
// Ether(dst="33:33:ff:00:00:01", src=P)/IPv6(src="::", dst="ff02::1:ff00:1", hlim=255)
//   /ICMPv6ND_NS(tgt="2001:db8::1")   (duplicate address detection)
const char* kDadNsIn =
    "3333ff0000010200000000aa86dd6000000000183aff00000000000000000000000000000000ff0200000000000000000001ff00000187004ced0000000020010db8000000000000000000000001";
// Ether(dst="33:33:00:00:00:01", src=A)/IPv6(src="2001:db8::1", dst="ff02::1", hlim=255)
//   /ICMPv6ND_NA(tgt="2001:db8::1", R=0, S=0, O=1)/ICMPv6NDOptDstLLAddr(lladdr=A)
const char* kDadNaOut =
    "33330000000102000000000186dd6000000000203aff20010db8000000000000000000000001ff0200000000000000000000000000018800f92a2000000020010db80000000000000000000000010201020000000001";
// Ether(dst="33:33:ff:00:00:10", src=A)/IPv6(src="2001:db8::1", dst="ff02::1:ff00:10", hlim=255)
//   /ICMPv6ND_NS(tgt="2001:db8::10")/ICMPv6NDOptSrcLLAddr(lladdr=A)
const char* kNsOut =
    "3333ff00001002000000000186dd6000000000203aff20010db8000000000000000000000001ff0200000000000000000001ff00001087001c0b0000000020010db80000000000000000000000100101020000000001";
// Ether(dst=A, src=P)/IPv6(src="2001:db8::10", dst="2001:db8::1", hlim=255)
//   /ICMPv6ND_NA(tgt="2001:db8::10", R=0, S=1, O=1)/ICMPv6NDOptDstLLAddr(lladdr=P)
const char* kNaIn =
    "0200000000010200000000aa86dd6000000000203aff20010db800000000000000000000001020010db8000000000000000000000001880089ad6000000020010db800000000000000000000001002010200000000aa";
// Ether(dst="33:33:ff:00:00:fe", src=C)/Dot1Q(prio=1, vlan=100)
//   /IPv6(src="2001:db8:1::1", dst="ff02::1:ff00:fe", hlim=255)/ICMPv6ND_NS(tgt="2001:db8:1::fe")
//   /ICMPv6NDOptSrcLLAddr(lladdr=C)
const char* kNsVlanOut =
    "3333ff0000fe0200000000028100206486dd6000000000203aff20010db8000100000000000000000001ff0200000000000000000001ff0000fe87001a2c0000000020010db80001000000000000000000fe0101020000000002";
// Ether(dst=C, src=G)/Dot1Q(prio=1, vlan=100)/IPv6(src="2001:db8:1::fe", dst="2001:db8:1::1",
// hlim=255)
//   /ICMPv6ND_NA(tgt="2001:db8:1::fe", R=1, S=1, O=1)/ICMPv6NDOptDstLLAddr(lladdr=G)
const char* kNaVlanIn =
    "0200000000020200000000bb8100206486dd6000000000203aff20010db80001000000000000000000fe20010db8000100000000000000000001880007bde000000020010db80001000000000000000000fe02010200000000bb";
// Ether(dst=A, src=P)/IP(src="192.0.2.10", dst="192.0.2.1", id=0x1234, ttl=61)
//   /ICMP(type=8, id=7, seq=1)/Raw(bytes(range(40)))
const char* kEcho4In =
    "0200000000010200000000aa080045000044123400003d01e779c000020ac000020108007a6600070001000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2021222324252627";
// Ether(dst=P, src=A)/IP(src="192.0.2.1", dst="192.0.2.10", id=0x1234, ttl=64, flags="DF")
//   /ICMP(type=0, id=7, seq=1)/Raw(bytes(range(40)))
const char* kEcho4Out =
    "0200000000aa020000000001080045000044123440004001a479c0000201c000020a0000826600070001000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2021222324252627";
// Ether(dst=A, src=P)/IPv6(src="2001:db8::10", dst="2001:db8::1", hlim=60)
//   /ICMPv6EchoRequest(id=7, seq=1, data=bytes(range(40)))
const char* kEcho6In =
    "0200000000010200000000aa86dd6000000000303a3c20010db800000000000000000000001020010db80000000000000000000000018000a67800070001000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2021222324252627";
// Ether(dst=P, src=A)/IPv6(src="2001:db8::1", dst="2001:db8::10", hlim=64)
//   /ICMPv6EchoReply(id=7, seq=1, data=bytes(range(40)))
const char* kEcho6Out =
    "0200000000aa02000000000186dd6000000000303a4020010db800000000000000000000000120010db80000000000000000000000108100a57800070001000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2021222324252627";

constexpr size_t kUntaggedL3 = 14;

// Recomputes the ICMPv6 checksum of an untagged IPv6 frame after a test edited it, with the
// test's own checksum code, so that only the edit is under test.
void fix_icmpv6_checksum(std::vector<uint8_t>& f, size_t l3 = kUntaggedL3) {
    const size_t plen = size_t{f[l3 + 4]} << 8 | f[l3 + 5];
    uint8_t* m = f.data() + l3 + 40;
    m[2] = m[3] = 0;
    const uint16_t c = test::plain_icmpv6_checksum(std::span<const uint8_t>(f.data() + l3 + 8, 16),
                                                   std::span<const uint8_t>(f.data() + l3 + 24, 16),
                                                   std::span<const uint8_t>(m, plen));
    m[2] = static_cast<uint8_t>(c >> 8);
    m[3] = static_cast<uint8_t>(c);
}

class NeighbourServiceTest : public ::testing::Test {
protected:
    NeighbourServiceTest() : service(test::test_config()) {}

    void feed(Side side, const std::vector<uint8_t>& frame, uint64_t now = 0) {
        service.handle_frame(side, frame, sink, now);
    }
    void feed(Side side, const char* hex, uint64_t now = 0) { feed(side, from_hex(hex), now); }

    // Every frame the service sent in a test must pass the independent checker.
    void TearDown() override {
        for (const auto& f : sink.frames)
            EXPECT_EQ(test::check_emitted_frame(service.config(f.side), f.bytes), "")
                << test::to_hex(f.bytes);
    }

    NeighbourService service;
    test::RecordingSink sink;
};

// ---- ARP ----

TEST_F(NeighbourServiceTest, ArpRequestForOurAddressGetsTheExactReply) {
    feed(Side::access, kArpRequestIn);
    ASSERT_EQ(sink.frames.size(), 1u);
    EXPECT_EQ(sink.frames[0].side, Side::access);
    EXPECT_EQ(sink.last_hex(), kArpReplyOut);
    EXPECT_EQ(service.counters(Side::access).arp_requests_answered, 1u);
}

TEST_F(NeighbourServiceTest, ArpRequestWithoutPaddingIsAnsweredPadded) {
    auto f = from_hex(kArpRequestIn);
    f.resize(42);
    feed(Side::access, f);
    ASSERT_EQ(sink.frames.size(), 1u);
    EXPECT_EQ(sink.last_hex(), kArpReplyOut);
}

TEST_F(NeighbourServiceTest, ArpRequestForSomeoneElsesAddressGetsNothing) {
    auto f = from_hex(kArpRequestIn);
    f[41] = 99;  // target 192.0.2.99
    feed(Side::access, f);
    EXPECT_TRUE(sink.frames.empty());
    EXPECT_EQ(service.counters(Side::access).ignored, 1u);
    EXPECT_EQ(service.last_drop_reason(Side::access), "ARP request for an address not ours");
    EXPECT_FALSE(service.table(Side::access).lookup_entry(ip("192.0.2.10")).found);  // not learned
}

TEST_F(NeighbourServiceTest, ArpForTheOtherSidesAddressGetsNothing) {
    auto f = from_hex(kArpRequestIn);
    const uint8_t core_ip[4] = {198, 51, 100, 1};
    std::copy(core_ip, core_ip + 4, f.begin() + 38);
    feed(Side::access, f);
    EXPECT_TRUE(sink.frames.empty());
}

TEST_F(NeighbourServiceTest, ArpReplyKeepsTheVlanTagOfTheSide) {
    feed(Side::core, kArpRequestVlanIn);
    ASSERT_EQ(sink.frames.size(), 1u);
    EXPECT_EQ(sink.frames[0].side, Side::core);
    EXPECT_EQ(sink.last_hex(), kArpReplyVlanOut);
    // The router is a static neighbour: its ARP changes nothing.
    EXPECT_EQ(service.counters(Side::core).cache_updates, 0u);
}

TEST_F(NeighbourServiceTest, FrameWithTheWrongVlanIsIgnored) {
    feed(Side::access, kArpRequestVlanIn);  // tagged on the untagged side
    auto f = from_hex(kArpRequestVlanIn);
    f[15] = 0x65;  // VID 101
    feed(Side::core, f);
    feed(Side::core, kArpRequestIn);  // untagged on the tagged side
    EXPECT_TRUE(sink.frames.empty());
    EXPECT_EQ(service.counters(Side::access).ignored, 1u);
    EXPECT_EQ(service.counters(Side::core).ignored, 2u);
    EXPECT_EQ(service.last_drop_reason(Side::core), "VLAN tag does not match the side");
}

TEST_F(NeighbourServiceTest, PriorityBitsOfTheTagDoNotMatter) {
    auto f = from_hex(kArpRequestVlanIn);
    f[14] = 0xa0;  // PCP 5, VID 100
    feed(Side::core, f);
    ASSERT_EQ(sink.frames.size(), 1u);
    EXPECT_EQ(sink.last_hex(), kArpReplyVlanOut);  // we send our own TCI
}

TEST_F(NeighbourServiceTest, ArpClaimingOurAddressIsCountedAsConflict) {
    auto f = from_hex(kGratuitousArpIn);
    const uint8_t ours[4] = {192, 0, 2, 1};
    std::copy(ours, ours + 4, f.begin() + 28);
    std::copy(ours, ours + 4, f.begin() + 38);
    feed(Side::access, f);
    EXPECT_TRUE(sink.frames.empty());
    EXPECT_EQ(service.counters(Side::access).address_conflicts, 1u);
}

TEST_F(NeighbourServiceTest, ArpProbeFromUnspecifiedSenderIsAnswered) {  // RFC 5227 §2.1.1
    auto f = from_hex(kArpRequestIn);
    std::fill(f.begin() + 28, f.begin() + 32, 0);
    feed(Side::access, f);
    ASSERT_EQ(sink.frames.size(), 1u);
    EXPECT_EQ(test::to_hex(std::span<const uint8_t>(sink.frames[0].bytes).subspan(38, 4)),
              "00000000");
}

TEST_F(NeighbourServiceTest, ArpToAnotherUnicastMacIsIgnored) {
    auto f = from_hex(kArpRequestIn);
    f[0] = 0x02;
    f[5] = 0x42;
    feed(Side::access, f);
    EXPECT_TRUE(sink.frames.empty());
    EXPECT_EQ(service.counters(Side::access).ignored, 1u);
}

// ---- IPv6 neighbour discovery ----

TEST_F(NeighbourServiceTest, NeighborSolicitationGetsTheExactAdvertisement) {
    feed(Side::access, kNsIn);
    ASSERT_EQ(sink.frames.size(), 1u);
    EXPECT_EQ(sink.last_hex(), kNaOut);
    // The checksum, recomputed here independently: 0 over a correct message.
    const auto& f = sink.frames[0].bytes;
    EXPECT_EQ(test::plain_icmpv6_checksum(std::span<const uint8_t>(f).subspan(22, 16),
                                          std::span<const uint8_t>(f).subspan(38, 16),
                                          std::span<const uint8_t>(f).subspan(54, 32)),
              0);
    EXPECT_EQ(f[21], 255);  // hop limit
    EXPECT_EQ(service.counters(Side::access).ns_answered, 1u);
}

TEST_F(NeighbourServiceTest, UnicastSolicitationIsAnswered) {  // RFC 4861 §7.3.3 probes
    auto f = from_hex(kNsIn);
    const auto mac = test::kAccessMac.bytes;
    std::copy(mac.begin(), mac.end(), f.begin());
    const auto target = ip("2001:db8::1").bytes;
    std::copy(target.begin(), target.end(), f.begin() + 38);
    fix_icmpv6_checksum(f);
    feed(Side::access, f);
    ASSERT_EQ(sink.frames.size(), 1u);
    EXPECT_EQ(sink.last_hex(), kNaOut);
}

TEST_F(NeighbourServiceTest, DuplicateAddressDetectionIsAnsweredToAllNodes) {  // RFC 4861 §7.2.4
    feed(Side::access, kDadNsIn);
    ASSERT_EQ(sink.frames.size(), 1u);
    EXPECT_EQ(sink.last_hex(), kDadNaOut);
}

TEST_F(NeighbourServiceTest, MalformedSolicitationsAreDroppedAndCounted) {
    struct Case {
        const char* name;
        void (*edit)(std::vector<uint8_t>&);
        const char* reason;
    };
    const Case cases[] = {
        {"hop limit 254", [](std::vector<uint8_t>& f) { f[21] = 254; }, "ND hop limit is not 255"},
        {"bad checksum", [](std::vector<uint8_t>& f) { f[57] ^= 0x10; }, "ICMPv6 checksum wrong"},
        {"code 1",
         [](std::vector<uint8_t>& f) {
             f[55] = 1;
             fix_icmpv6_checksum(f);
         },
         "ND code is not 0"},
        {"truncated option",
         [](std::vector<uint8_t>& f) {
             f.resize(f.size() - 3);
             f[19] = 29;  // payload length
             fix_icmpv6_checksum(f);
         },
         "ND option runs past the message"},
        {"option length 0",
         [](std::vector<uint8_t>& f) {
             f[79] = 0;
             fix_icmpv6_checksum(f);
         },
         "ND option with length 0"},
        {"multicast target",
         [](std::vector<uint8_t>& f) {
             f[62] = 0xff;
             fix_icmpv6_checksum(f);
         },
         "ND target is a multicast address"},
        {"short message",
         [](std::vector<uint8_t>& f) {
             f.resize(14 + 40 + 20);
             f[19] = 20;
             fix_icmpv6_checksum(f);
         },
         "ND message shorter than 24 bytes"},
    };
    uint64_t expected = 0;
    for (const Case& c : cases) {
        auto f = from_hex(kNsIn);
        c.edit(f);
        feed(Side::access, f);
        EXPECT_TRUE(sink.frames.empty()) << c.name;
        EXPECT_EQ(service.counters(Side::access).malformed, ++expected) << c.name;
        EXPECT_EQ(service.last_drop_reason(Side::access), c.reason) << c.name;
    }
    EXPECT_EQ(service.counters(Side::access).ns_answered, 0u);
}

TEST_F(NeighbourServiceTest, SolicitationForAnotherAddressOrGroupIsIgnored) {
    auto f = from_hex(kNsIn);
    f[77] = 0x02;  // target 2001:db8::2, still sent to ff02::1:ff00:1
    fix_icmpv6_checksum(f);
    feed(Side::access, f);
    EXPECT_EQ(service.last_drop_reason(Side::access), "NS for an address not ours");
    f = from_hex(kNsIn);
    f[53] = 0x02;  // to ff02::1:ff00:2, target 2001:db8::1
    f[5] = 0x02;
    fix_icmpv6_checksum(f);
    feed(Side::access, f);
    EXPECT_EQ(service.last_drop_reason(Side::access),
              "NS sent neither to the target nor to its solicited-node address");
    f = from_hex(kNsIn);
    f[5] = 0x02;  // Ethernet 33:33:ff:00:00:02 for IPv6 ff02::1:ff00:1
    feed(Side::access, f);
    EXPECT_EQ(service.last_drop_reason(Side::access),
              "NS Ethernet destination does not match its IPv6 destination");
    EXPECT_TRUE(sink.frames.empty());
    EXPECT_EQ(service.counters(Side::access).ignored, 3u);
}

TEST_F(NeighbourServiceTest, SolicitationUpdatesAHeldEntryAsStale) {  // RFC 4861 §7.2.3
    ASSERT_FALSE(service.resolve(Side::access, ip("2001:db8::10")));
    service.tick(0, sink);  // sends an NS: the entry is incomplete
    sink.frames.clear();
    feed(Side::access, kNsIn, 10);
    ASSERT_EQ(sink.frames.size(), 1u);
    const auto e = service.table(Side::access).entry(ip("2001:db8::10"));
    ASSERT_TRUE(e);
    EXPECT_EQ(e->state, NeighbourState::stale);
    EXPECT_EQ(e->mac, test::kPeerMac);
    EXPECT_EQ(service.resolve(Side::access, ip("2001:db8::10")), test::kPeerMac);
}

// ---- echo ----

TEST_F(NeighbourServiceTest, Icmp4EchoIsAnsweredWithThePayload) {
    feed(Side::access, kEcho4In);
    ASSERT_EQ(sink.frames.size(), 1u);
    EXPECT_EQ(sink.last_hex(), kEcho4Out);
    const auto& f = sink.frames[0].bytes;
    EXPECT_EQ(test::plain_checksum(std::span<const uint8_t>(f).subspan(14, 20)), 0);
    EXPECT_EQ(test::plain_checksum(std::span<const uint8_t>(f).subspan(34)), 0);
    EXPECT_EQ(service.counters(Side::access).echo4_answered, 1u);
}

TEST_F(NeighbourServiceTest, Icmp6EchoIsAnsweredWithThePayload) {
    feed(Side::access, kEcho6In);
    ASSERT_EQ(sink.frames.size(), 1u);
    EXPECT_EQ(sink.last_hex(), kEcho6Out);
    EXPECT_EQ(service.counters(Side::access).echo6_answered, 1u);
}

TEST_F(NeighbourServiceTest, EchoOnTheTaggedSideIsAnsweredTagged) {
    auto f = from_hex(kEcho4In);
    // To C on VLAN 100, 198.51.100.1, from 198.51.100.20: rebuilt with the test's checksums.
    const auto core_mac = test::kCoreMac.bytes;
    std::copy(core_mac.begin(), core_mac.end(), f.begin());
    const uint8_t tag[4] = {0x81, 0x00, 0x20, 0x64};
    f.insert(f.begin() + 12, tag, tag + 4);
    const uint8_t src[4] = {198, 51, 100, 20}, dst[4] = {198, 51, 100, 1};
    std::copy(src, src + 4, f.begin() + 30);
    std::copy(dst, dst + 4, f.begin() + 34);
    f[28] = f[29] = 0;
    const uint16_t c = test::plain_checksum(std::span<const uint8_t>(f).subspan(18, 20));
    f[28] = static_cast<uint8_t>(c >> 8);
    f[29] = static_cast<uint8_t>(c);
    feed(Side::core, f);
    ASSERT_EQ(sink.frames.size(), 1u);
    const auto& out = sink.frames[0].bytes;
    EXPECT_EQ(test::to_hex(std::span<const uint8_t>(out).subspan(12, 4)), "81002064");
    EXPECT_EQ(std::vector<uint8_t>(out.begin() + 46, out.end()),
              std::vector<uint8_t>(f.begin() + 46, f.end()));
}

TEST_F(NeighbourServiceTest, EchoThatIsNotOursOrIsBrokenGetsNothing) {
    auto f = from_hex(kEcho4In);
    f[33] = 99;  // to 192.0.2.99 (the IP header checksum now fails)
    feed(Side::access, f);
    EXPECT_EQ(service.counters(Side::access).malformed, 1u);
    f = from_hex(kEcho4In);
    f[40] ^= 1;  // ICMP checksum
    feed(Side::access, f);
    EXPECT_EQ(service.last_drop_reason(Side::access), "ICMP checksum wrong");
    f = from_hex(kEcho6In);
    f[60] ^= 1;
    feed(Side::access, f);
    EXPECT_EQ(service.last_drop_reason(Side::access), "ICMPv6 checksum wrong");
    f = from_hex(kEcho6In);
    f[53] = 0x02;  // to 2001:db8::2
    feed(Side::access, f);
    EXPECT_EQ(service.last_drop_reason(Side::access), "ICMPv6 echo to an address not ours");
    EXPECT_TRUE(sink.frames.empty());
}

TEST_F(NeighbourServiceTest, EveryTruncationOfEveryInputIsDroppedWithoutReply) {
    for (const char* hex : {kArpRequestIn, kNsIn, kDadNsIn, kEcho4In, kEcho6In}) {
        const auto whole = from_hex(hex);
        // ARP frames carry 18 bytes of padding: any cut inside it still holds the whole message.
        const size_t needed = whole[12] == 0x08 && whole[13] == 0x06 ? 42 : whole.size();
        for (size_t len = 0; len < needed; ++len) {
            feed(Side::access,
                 std::vector<uint8_t>(whole.begin(),
                                      whole.begin() + static_cast<std::ptrdiff_t>(len)));
            ASSERT_TRUE(sink.frames.empty()) << hex << " cut to " << len;
        }
    }
    EXPECT_GT(service.counters(Side::access).malformed, 0u);
}

TEST_F(NeighbourServiceTest, FramesFromOurselvesOrFromGroupAddressesAreDropped) {
    auto f = from_hex(kArpRequestIn);
    const auto ours = test::kAccessMac.bytes;
    std::copy(ours.begin(), ours.end(), f.begin() + 6);
    feed(Side::access, f);
    EXPECT_EQ(service.last_drop_reason(Side::access), "frame from our own MAC");
    f = from_hex(kArpRequestIn);
    f[6] = 0x03;
    feed(Side::access, f);
    EXPECT_EQ(service.last_drop_reason(Side::access), "Ethernet source is not a unicast address");
    feed(Side::access, std::vector<uint8_t>(NeighbourService::kMaxFrameLen + 1, 0));
    EXPECT_EQ(service.last_drop_reason(Side::access), "frame longer than 9216 bytes");
    EXPECT_TRUE(sink.frames.empty());
}

TEST_F(NeighbourServiceTest, OtherTrafficIsIgnored) {
    // The echo request turned into TCP (protocol 6), IP checksum recomputed: not ours.
    auto f = from_hex(kEcho4In);
    f[23] = 6;
    f[24] = f[25] = 0;
    const uint16_t c = test::plain_checksum(std::span<const uint8_t>(f).subspan(14, 20));
    f[24] = static_cast<uint8_t>(c >> 8);
    f[25] = static_cast<uint8_t>(c);
    feed(Side::access, f);
    EXPECT_EQ(service.last_drop_reason(Side::access), "neither ARP, ICMP nor ICMPv6");
    auto g = from_hex(kArpRequestIn);
    g[12] = 0x88;  // ethertype 0x88cc (LLDP)
    g[13] = 0xcc;
    feed(Side::access, g);
    EXPECT_EQ(service.last_drop_reason(Side::access), "unsupported_ethertype");
    EXPECT_EQ(service.counters(Side::access).ignored, 2u);
    EXPECT_EQ(service.counters(Side::access).malformed, 0u);
    EXPECT_TRUE(sink.frames.empty());
}

// ---- resolution ----

TEST_F(NeighbourServiceTest, ResolveMissQueuesArpThenTheReplyMakesItHit) {
    EXPECT_FALSE(service.resolve(Side::access, ip("192.0.2.10")));
    EXPECT_TRUE(sink.frames.empty());  // resolve() never sends; the control thread does
    service.tick(0, sink);
    ASSERT_EQ(sink.frames.size(), 1u);
    EXPECT_EQ(sink.last_hex(), kArpRequestOut);
    EXPECT_EQ(service.counters(Side::access).resolutions_started, 1u);
    EXPECT_EQ(service.counters(Side::access).arp_requests_sent, 1u);
    EXPECT_FALSE(service.resolve(Side::access, ip("192.0.2.10")));  // still incomplete

    feed(Side::access, kArpReplyIn, 20);
    EXPECT_EQ(service.resolve(Side::access, ip("192.0.2.10")), test::kPeerMac);
    const auto c = service.counters(Side::access);
    EXPECT_EQ(c.resolutions_completed, 1u);
    EXPECT_EQ(c.cache_updates, 1u);
    EXPECT_EQ(c.ignored, 0u);
    service.tick(1000, sink);
    EXPECT_EQ(sink.frames.size(), 1u);  // no retry after the answer
}

TEST_F(NeighbourServiceTest, ResolveMissQueuesNsThenTheAdvertisementMakesItHit) {
    EXPECT_FALSE(service.resolve(Side::access, ip("2001:db8::10")));
    service.tick(0, sink);
    ASSERT_EQ(sink.frames.size(), 1u);
    EXPECT_EQ(sink.last_hex(), kNsOut);
    EXPECT_EQ(service.counters(Side::access).ns_sent, 1u);
    feed(Side::access, kNaIn, 5);
    EXPECT_EQ(service.resolve(Side::access, ip("2001:db8::10")), test::kPeerMac);
    EXPECT_EQ(service.table(Side::access).entry(ip("2001:db8::10"))->state,
              NeighbourState::reachable);
    EXPECT_EQ(service.counters(Side::access).resolutions_completed, 1u);
}

TEST_F(NeighbourServiceTest, LinkLocalTargetsAreAskedFromOurLinkLocalAddress) {
    service.resolve(Side::access, ip("fe80::10"));
    service.tick(0, sink);
    ASSERT_EQ(sink.frames.size(), 1u);
    EXPECT_EQ(test::to_hex(std::span<const uint8_t>(sink.frames[0].bytes).subspan(22, 16)),
              "fe800000000000000000000000000001");
}

TEST_F(NeighbourServiceTest, TheGatewayIsTheNextHopWhenConfigured) {
    // IPv4: the core gateway is a static neighbour, so any IPv4 destination resolves at once.
    EXPECT_EQ(service.next_hop(Side::core, ip("203.0.113.5")), ip("198.51.100.254"));
    EXPECT_EQ(service.resolve(Side::core, ip("203.0.113.5")), test::kRouterMac);
    // IPv6: a miss resolves the gateway, on the side's VLAN.
    EXPECT_EQ(service.next_hop(Side::core, ip("2001:db8:99::5")), ip("2001:db8:1::fe"));
    EXPECT_FALSE(service.resolve(Side::core, ip("2001:db8:99::5")));
    service.tick(0, sink);
    ASSERT_EQ(sink.frames.size(), 1u);
    EXPECT_EQ(sink.frames[0].side, Side::core);
    EXPECT_EQ(sink.last_hex(), kNsVlanOut);
    feed(Side::core, kNaVlanIn, 3);
    EXPECT_EQ(service.resolve(Side::core, ip("2001:db8:99::5")), test::kRouterMac);
    EXPECT_EQ(service.resolve(Side::core, ip("2001:db8:77::1")), test::kRouterMac);
    // Link-local destinations are never routed; without a gateway, the destination is the hop.
    EXPECT_EQ(service.next_hop(Side::core, ip("fe80::7")), ip("fe80::7"));
    EXPECT_EQ(service.next_hop(Side::access, ip("192.0.2.77")), ip("192.0.2.77"));
}

TEST_F(NeighbourServiceTest, GroupDestinationsMapWithoutResolution) {
    EXPECT_EQ(service.resolve(Side::access, ip("ff02::1:ff00:10")), test::mac("33:33:ff:00:00:10"));
    EXPECT_EQ(service.resolve(Side::access, ip("239.1.130.5")), test::mac("01:00:5e:01:82:05"));
    EXPECT_EQ(service.resolve(Side::access, ip("255.255.255.255")), test::mac("ff:ff:ff:ff:ff:ff"));
    EXPECT_FALSE(service.resolve(Side::access, ip("0.0.0.0")));
    EXPECT_FALSE(service.resolve(Side::access, ip("::1")));
    service.tick(0, sink);
    EXPECT_TRUE(sink.frames.empty());
}

TEST_F(NeighbourServiceTest, RetriesThreeTimesThenCountsAFailure) {
    service.resolve(Side::access, ip("192.0.2.10"));
    for (uint64_t now = 0; now < 3000; now += 250) service.tick(now, sink);
    EXPECT_EQ(sink.frames.size(), 3u);
    for (const auto& f : sink.frames) EXPECT_EQ(test::to_hex(f.bytes), kArpRequestOut);
    service.tick(3000, sink);
    EXPECT_EQ(service.counters(Side::access).resolutions_failed, 1u);
    // Held back: resolve() during the hold queues nothing and nothing is sent.
    EXPECT_FALSE(service.resolve(Side::access, ip("192.0.2.10")));
    service.tick(4000, sink);
    EXPECT_EQ(sink.frames.size(), 3u);
    EXPECT_EQ(service.counters(Side::access).resolutions_started, 1u);
    // After the hold the address is forgotten and a new resolve starts over.
    service.tick(6000, sink);
    EXPECT_FALSE(service.resolve(Side::access, ip("192.0.2.10")));
    service.tick(6001, sink);
    EXPECT_EQ(sink.frames.size(), 4u);
    EXPECT_EQ(service.counters(Side::access).resolutions_started, 2u);
}

TEST_F(NeighbourServiceTest, AnAnswerAfterFailureStillCompletes) {
    service.resolve(Side::access, ip("192.0.2.10"));
    for (uint64_t now : {0, 1000, 2000, 3000}) service.tick(now, sink);
    ASSERT_EQ(service.counters(Side::access).resolutions_failed, 1u);
    feed(Side::access, kArpReplyIn, 3500);
    EXPECT_EQ(service.resolve(Side::access, ip("192.0.2.10")), test::kPeerMac);
}

TEST_F(NeighbourServiceTest, AFullRequestQueueDropsAndCounts) {
    // 64 cells; until tick() runs, every miss asks again.
    for (int i = 0; i < 100; ++i) service.resolve(Side::access, ip("192.0.2.10"));
    EXPECT_EQ(service.counters(Side::access).requests_dropped, 36u);
    service.tick(0, sink);
    EXPECT_EQ(service.counters(Side::access).resolutions_started, 1u);
    EXPECT_EQ(sink.frames.size(), 1u);
    // Now the entry is incomplete: further misses ask nothing.
    for (int i = 0; i < 100; ++i) service.resolve(Side::access, ip("192.0.2.10"));
    EXPECT_EQ(service.counters(Side::access).requests_dropped, 36u);
}

TEST_F(NeighbourServiceTest, UnknownSendersAreNotLearned) {
    feed(Side::access, kArpReplyIn);
    feed(Side::access, kGratuitousArpIn);
    feed(Side::access, kNaIn);
    EXPECT_EQ(service.table(Side::access).size(), 0u);
    EXPECT_EQ(service.counters(Side::access).ignored, 3u);
}

TEST_F(NeighbourServiceTest, GratuitousArpFromAKnownNeighbourUpdatesIt) {
    service.resolve(Side::access, ip("192.0.2.10"));
    service.tick(0, sink);
    feed(Side::access, kArpReplyIn, 10);
    feed(Side::access, kGratuitousArpIn, 20);  // moved to 02:00:00:00:00:ab
    EXPECT_EQ(service.resolve(Side::access, ip("192.0.2.10")), test::mac("02:00:00:00:00:ab"));
    EXPECT_EQ(service.counters(Side::access).cache_updates, 2u);
}

TEST_F(NeighbourServiceTest, AdvertisementFlagsFollowRfc4861Section725) {
    service.resolve(Side::access, ip("2001:db8::10"));
    service.tick(0, sink);
    feed(Side::access, kNaIn, 10);  // S=1 O=1: reachable
    const auto other = test::mac("02:00:00:00:00:cc");
    auto na = from_hex(kNaIn);
    na[85] = 0xcc;  // last byte of the target link-layer address
    na[58] = 0x40;  // S only: another address without O
    fix_icmpv6_checksum(na);
    feed(Side::access, na, 20);
    auto e = service.table(Side::access).entry(ip("2001:db8::10"));
    EXPECT_EQ(e->state, NeighbourState::stale);  // in doubt
    EXPECT_EQ(e->mac, test::kPeerMac);           // not believed
    na[58] = 0x20;                               // O only, unsolicited: the new address, stale
    fix_icmpv6_checksum(na);
    feed(Side::access, na, 30);
    e = service.table(Side::access).entry(ip("2001:db8::10"));
    EXPECT_EQ(e->state, NeighbourState::stale);
    EXPECT_EQ(e->mac, other);
    na[58] = 0x60;  // S and O: confirmed
    fix_icmpv6_checksum(na);
    feed(Side::access, na, 40);
    e = service.table(Side::access).entry(ip("2001:db8::10"));
    EXPECT_EQ(e->state, NeighbourState::reachable);
    EXPECT_EQ(e->confirmed_ms, 40u);
}

TEST_F(NeighbourServiceTest, AdvertisementClaimingOurAddressIsAConflict) {
    auto na = from_hex(kNaIn);
    na[77] = 0x01;  // target 2001:db8::1, with P's link-layer address
    fix_icmpv6_checksum(na);
    feed(Side::access, na);
    EXPECT_EQ(service.counters(Side::access).address_conflicts, 1u);
    EXPECT_TRUE(sink.frames.empty());
}

TEST_F(NeighbourServiceTest, InUseEntriesAreRefreshedUnicastWhenStale) {
    service.resolve(Side::access, ip("192.0.2.10"));
    service.tick(0, sink);
    feed(Side::access, kArpReplyIn, 0);
    ASSERT_TRUE(service.resolve(Side::access, ip("192.0.2.10")));  // used
    sink.frames.clear();
    service.tick(30000, sink);
    ASSERT_EQ(sink.frames.size(), 1u);
    EXPECT_EQ(sink.last_hex(), kArpRefreshOut);
    EXPECT_TRUE(service.resolve(Side::access, ip("192.0.2.10")));  // stale is still used
    feed(Side::access, kArpReplyIn, 30010);
    EXPECT_EQ(service.table(Side::access).entry(ip("192.0.2.10"))->state,
              NeighbourState::reachable);
}

TEST_F(NeighbourServiceTest, StaticEntriesOutliveEveryTimer) {
    for (uint64_t now = 0; now <= 24 * 3600 * 1000ull; now += 3600 * 1000ull)
        service.tick(now, sink);
    EXPECT_EQ(service.resolve(Side::core, ip("198.51.100.254")), test::kRouterMac);
    EXPECT_TRUE(sink.frames.empty());
}

TEST_F(NeighbourServiceTest, AFullCacheEvictsTheLeastRecentlyConfirmed) {
    NeighbourService small(test::test_config(2));
    test::RecordingSink out;
    auto reply_from = [&](uint8_t host, uint64_t now) {
        auto f = from_hex(kArpReplyIn);
        f[11] = f[27] = host;  // MAC 02:00:00:00:00:<host>
        f[31] = host;          // 192.0.2.<host>
        small.handle_frame(Side::access, f, out, now);
    };
    for (uint8_t host : {10, 11}) {
        const uint8_t b[4] = {192, 0, 2, host};
        small.resolve(Side::access, net::IpAddr::v4(b));
        small.tick(host, out);
        reply_from(host, host);
    }
    reply_from(10, 50);  // 10 confirmed again: 11 is now the least recent
    small.resolve(Side::access, ip("192.0.2.12"));
    small.tick(60, out);
    EXPECT_EQ(small.counters(Side::access).evictions, 1u);
    EXPECT_TRUE(small.resolve(Side::access, ip("192.0.2.10")));
    EXPECT_FALSE(small.table(Side::access).lookup_entry(ip("192.0.2.11")).found);
    EXPECT_EQ(small.table(Side::access).size(), 2u);
}

// ---- configuration ----

TEST(NeighbourServiceConfig, BadConfigurationNamesTheField) {
    auto expect_error = [](NeighbourConfig c, const std::string& words) {
        try {
            NeighbourService s(std::move(c));
            ADD_FAILURE() << "accepted; expected: " << words;
        } catch (const std::invalid_argument& e) {
            EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
        }
    };
    auto c = test::test_config();
    c.sides[0].mac = test::mac("01:00:5e:00:00:01");
    expect_error(c, "access side: mac");
    c = test::test_config();
    c.sides[1].gateway4 = ip("2001:db8::1");
    expect_error(c, "core side: gateway4");
    c = test::test_config();
    c.sides[0].gateway6 = ip("2001:db8::fe");
    c.sides[0].addresses = {ip("192.0.2.1")};
    expect_error(c, "gateway6 is set but the side has no IPv6 address");
    c = test::test_config();
    c.sides[1].vlan_tci = 0x2000;
    expect_error(c, "vlan id");
    c = test::test_config();
    c.sides[0].addresses.push_back(ip("192.0.2.1"));
    expect_error(c, "listed twice");
    c = test::test_config();
    c.sides[0].addresses.push_back(ip("224.0.0.5"));
    expect_error(c, "is not a unicast address");
    c = test::test_config();
    c.cache_capacity = 0;
    expect_error(c, "capacity");
}

}  // namespace
}  // namespace msf::neigh
