// PortAllocator: even RTP ports with the odd RTCP port reserved (RFC 3550 §11), next-fit reuse,
// reserve for restore, and a randomized run checked against a plain set.
#include <gtest/gtest.h>

#include <random>
#include <set>

#include "controlplane/sessions/port_allocator.hpp"

namespace msf::sessions {
namespace {

net::IpAddr ip(const char* text) { return *net::IpAddr::parse(text); }

const net::IpAddr kA = ip("192.0.2.10");
const net::IpAddr kB = ip("2001:db8::10");

PortAllocator make(uint16_t min, uint16_t max) {
    PortAllocator ports;
    std::string error;
    EXPECT_TRUE(ports.add_address(kA, min, max, &error)) << error;
    return ports;
}

TEST(PortAllocator, HandsOutEvenPortsWhoseOddNeighbourFitsInTheRange) {
    PortAllocator ports = make(20001, 20010);  // pairs 20002/3 .. 20008/9; 20010 has no odd port
    std::set<uint16_t> got;
    while (std::optional<uint16_t> p = ports.allocate(kA)) got.insert(*p);
    EXPECT_EQ(got, (std::set<uint16_t>{20002, 20004, 20006, 20008}));
    EXPECT_EQ(ports.usage()[0].pairs, 4u);
    EXPECT_EQ(ports.usage()[0].pairs_in_use, 4u);
}

TEST(PortAllocator, ExhaustedRangeGivesNothingUntilAPairIsReleased) {
    PortAllocator ports = make(30000, 30003);
    ASSERT_EQ(ports.allocate(kA), 30000);
    ASSERT_EQ(ports.allocate(kA), 30002);
    EXPECT_EQ(ports.allocate(kA), std::nullopt);
    EXPECT_TRUE(ports.release(kA, 30000));
    EXPECT_EQ(ports.allocate(kA), 30000);
    EXPECT_EQ(ports.allocate(kA), std::nullopt);
}

TEST(PortAllocator, ReleasedPairIsNotReusedBeforeTheRestOfTheRange) {
    PortAllocator ports = make(40000, 40099);  // 50 pairs
    const uint16_t first = *ports.allocate(kA);
    ASSERT_TRUE(ports.release(kA, first));
    std::set<uint16_t> seen;
    for (int i = 0; i < 49; ++i) {
        const uint16_t p = *ports.allocate(kA);
        EXPECT_NE(p, first) << "reused after " << i << " allocations";
        seen.insert(p);
    }
    EXPECT_EQ(seen.size(), 49u);
    EXPECT_EQ(ports.allocate(kA), first);  // the cursor wrapped: only now
}

TEST(PortAllocator, NextFitWrapsAcrossWordBoundariesAndSkipsUsedPairs) {
    PortAllocator ports = make(2, 301);  // 150 pairs, three bitmap words
    std::vector<uint16_t> all;
    while (std::optional<uint16_t> p = ports.allocate(kA)) all.push_back(*p);
    ASSERT_EQ(all.size(), 150u);
    // Free three pairs spread over the words, the cursor is back at 0: they come back in order.
    for (uint16_t p : {uint16_t{260}, uint16_t{4}, uint16_t{130}}) ASSERT_TRUE(ports.release(kA, p));
    EXPECT_EQ(ports.allocate(kA), 4);
    EXPECT_EQ(ports.allocate(kA), 130);
    EXPECT_EQ(ports.allocate(kA), 260);
    EXPECT_EQ(ports.allocate(kA), std::nullopt);
}

TEST(PortAllocator, ReserveTakesAFreePairAndRefusesTakenOddOrForeignPorts) {
    PortAllocator ports = make(20000, 20099);
    EXPECT_EQ(ports.reserve(kA, 20050), PortAllocator::Reserve::ok);
    EXPECT_EQ(ports.reserve(kA, 20050), PortAllocator::Reserve::taken);
    EXPECT_EQ(ports.reserve(kA, 20051), PortAllocator::Reserve::odd_port);
    EXPECT_EQ(ports.reserve(kA, 19998), PortAllocator::Reserve::out_of_range);
    EXPECT_EQ(ports.reserve(kA, 20100), PortAllocator::Reserve::out_of_range);
    EXPECT_EQ(ports.reserve(kB, 20000), PortAllocator::Reserve::unknown_address);
    EXPECT_TRUE(ports.in_use(kA, 20050));
    EXPECT_TRUE(ports.manages(kA, 20052));
    EXPECT_FALSE(ports.manages(kA, 20100));
    // A reserved pair is never allocated.
    for (int i = 0; i < 49; ++i) EXPECT_NE(ports.allocate(kA), 20050);
    EXPECT_EQ(ports.allocate(kA), std::nullopt);
}

TEST(PortAllocator, ReleaseOfAPairNotInUseChangesNothing) {
    PortAllocator ports = make(20000, 20099);
    const uint16_t p = *ports.allocate(kA);
    EXPECT_FALSE(ports.release(kA, p + 2));
    EXPECT_FALSE(ports.release(kA, p + 1));
    EXPECT_FALSE(ports.release(kB, p));
    EXPECT_TRUE(ports.release(kA, p));
    EXPECT_FALSE(ports.release(kA, p));
    EXPECT_EQ(ports.pairs_in_use(), 0u);
}

TEST(PortAllocator, AddressesHaveIndependentRanges) {
    PortAllocator ports = make(20000, 20003);
    std::string error;
    ASSERT_TRUE(ports.add_address(kB, 20000, 20003, &error)) << error;
    EXPECT_EQ(ports.allocate(kA), 20000);
    EXPECT_EQ(ports.allocate(kB), 20000);
    EXPECT_EQ(ports.first_address(net::Family::ipv6), kB);
    EXPECT_EQ(ports.first_address(net::Family::ipv4), kA);
    EXPECT_EQ(ports.pairs_in_use(), 2u);
}

TEST(PortAllocator, AddressWithRoomMovesToTheNextAddressOfTheFamilyWhenOneIsFull) {
    PortAllocator ports = make(20000, 20003);  // kA: two pairs
    const net::IpAddr a2 = *net::IpAddr::parse("192.0.2.99");
    std::string error;
    ASSERT_TRUE(ports.add_address(kB, 20000, 20001, &error)) << error;  // another family
    ASSERT_TRUE(ports.add_address(a2, 30000, 30001, &error)) << error;  // one pair
    EXPECT_EQ(ports.address_with_room(net::Family::ipv4), kA);
    ASSERT_TRUE(ports.allocate(kA));
    ASSERT_TRUE(ports.allocate(kA));
    EXPECT_EQ(ports.address_with_room(net::Family::ipv4), a2);
    EXPECT_EQ(ports.allocate(a2), 30000);
    // All full: the first address, whose allocate() then reports the exhaustion.
    EXPECT_EQ(ports.address_with_room(net::Family::ipv4), kA);
    EXPECT_FALSE(ports.allocate(kA));
    EXPECT_EQ(ports.address_with_room(net::Family::ipv6), kB);
    ASSERT_TRUE(ports.release(kA, 20002));
    EXPECT_EQ(ports.address_with_room(net::Family::ipv4), kA);
}

TEST(PortAllocator, RejectsRangesWithoutAPairDuplicateAndEmptyAddresses) {
    PortAllocator ports;
    std::string error;
    EXPECT_FALSE(ports.add_address(kA, 20001, 20002, &error));  // 20002 needs 20003
    EXPECT_NE(error.find("no even/odd port pair"), std::string::npos) << error;
    EXPECT_FALSE(ports.add_address(kA, 20010, 20000, &error));
    EXPECT_FALSE(ports.add_address(net::IpAddr{}, 20000, 20010, &error));
    EXPECT_NE(error.find("no address"), std::string::npos) << error;
    ASSERT_TRUE(ports.add_address(kA, 0, 65535, &error)) << error;  // port 0 is never handed out
    EXPECT_EQ(ports.allocate(kA), 2);
    EXPECT_EQ(ports.usage()[0].pairs, 32767u);
    EXPECT_FALSE(ports.add_address(kA, 30000, 30010, &error));
    EXPECT_NE(error.find("two media port ranges"), std::string::npos) << error;
}

TEST(PortAllocator, FullRangeUpToPort65535HandsOutThePair65534) {
    PortAllocator ports = make(65530, 65535);
    EXPECT_EQ(ports.allocate(kA), 65530);
    EXPECT_EQ(ports.allocate(kA), 65532);
    EXPECT_EQ(ports.allocate(kA), 65534);
    EXPECT_EQ(ports.allocate(kA), std::nullopt);
}

// 10^5 random allocations, reservations and releases against a std::set model: no pair handed
// out twice, none lost, counts always equal to the model's.
TEST(PortAllocator, RandomAllocateReserveReleaseKeepsNoCollisionsAndNoLeaks) {
    constexpr uint16_t kMin = 20000, kMax = 21999;  // 1000 pairs
    PortAllocator ports = make(kMin, kMax);
    std::set<uint16_t> model;
    std::mt19937 rng(20240501);
    for (int i = 0; i < 100'000; ++i) {
        const unsigned op = rng() % 10;
        if (op < 5) {
            const std::optional<uint16_t> p = ports.allocate(kA);
            if (model.size() == 1000) {
                ASSERT_FALSE(p.has_value()) << "allocated from a full range at step " << i;
            } else {
                ASSERT_TRUE(p.has_value()) << "nothing allocated with " << model.size() << " in use, step " << i;
                ASSERT_EQ(*p % 2, 0);
                ASSERT_GE(*p, kMin);
                ASSERT_LE(*p + 1, kMax);
                ASSERT_TRUE(model.insert(*p).second) << "port " << *p << " handed out twice, step " << i;
            }
        } else if (op < 6) {
            const uint16_t p = static_cast<uint16_t>(kMin + 2 * (rng() % 1000));
            const PortAllocator::Reserve r = ports.reserve(kA, p);
            ASSERT_EQ(r, model.count(p) ? PortAllocator::Reserve::taken : PortAllocator::Reserve::ok) << "step " << i;
            model.insert(p);
        } else if (!model.empty()) {
            auto it = model.begin();
            std::advance(it, static_cast<long>(rng() % model.size()));
            ASSERT_TRUE(ports.release(kA, *it)) << "step " << i;
            ASSERT_FALSE(ports.release(kA, *it)) << "released twice, step " << i;
            model.erase(it);
        }
        ASSERT_EQ(ports.pairs_in_use(), model.size()) << "step " << i;
    }
    for (uint16_t p = kMin; p < kMax; p += 2) ASSERT_EQ(ports.in_use(kA, p), model.count(p) == 1) << p;
    for (uint16_t p : model) ASSERT_TRUE(ports.release(kA, p));
    EXPECT_EQ(ports.pairs_in_use(), 0u);
}

}  // namespace
}  // namespace msf::sessions
