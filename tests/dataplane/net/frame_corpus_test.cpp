// The frames of the fuzz seed corpus (tests/fuzz/corpus/frame_parse/, built with scapy by
// tests/fuzz/make_frame_corpus.py) parsed as a worker would: each file's name says what it is, and
// this table says what parse_frame must make of it. A second, independent builder of frames.
#include "dataplane/net/frame.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

namespace msf::net {
namespace {

struct Expected {
    FrameError error;
    FrameKind kind = FrameKind::other;
};

const std::map<std::string, Expected>& expectations() {
    static const std::map<std::string, Expected> table{
        {"ipv4_udp_rtp", {FrameError::none, FrameKind::udp}},
        {"ipv4_vlan_udp_rtp", {FrameError::none, FrameKind::udp}},
        {"ipv6_udp_rtp", {FrameError::none, FrameKind::udp}},
        {"ipv6_vlan_udp_rtp", {FrameError::none, FrameKind::udp}},
        {"ipv4_udp_rtcp", {FrameError::none, FrameKind::udp}},
        {"ipv6_udp_rtcp_mux", {FrameError::none, FrameKind::udp}},
        {"ipv4_udp_padded_60", {FrameError::none, FrameKind::udp}},
        {"ipv4_udp_empty", {FrameError::none, FrameKind::udp}},
        {"ipv4_udp_no_checksum", {FrameError::none, FrameKind::udp}},
        {"ipv4_udp_short_of_ip", {FrameError::none, FrameKind::udp}},
        {"arp_request", {FrameError::none, FrameKind::arp}},
        {"arp_reply_vlan", {FrameError::none, FrameKind::arp}},
        {"icmp_echo", {FrameError::none, FrameKind::icmp4}},
        {"icmpv6_echo", {FrameError::none, FrameKind::icmp6}},
        {"icmpv6_ns", {FrameError::none, FrameKind::icmp6}},
        {"icmpv6_na_vlan", {FrameError::none, FrameKind::icmp6}},
        {"ipv4_tcp", {FrameError::none, FrameKind::other}},
        {"ipv6_tcp", {FrameError::none, FrameKind::other}},
        {"ipv6_no_next_header", {FrameError::none, FrameKind::other}},
        {"truncated_ethernet", {FrameError::truncated}},
        {"truncated_ipv4", {FrameError::truncated}},
        {"truncated_ipv6", {FrameError::truncated}},
        {"lldp", {FrameError::unsupported_ethertype}},
        {"qinq", {FrameError::vlan_stacked}},
        {"vlan_in_vlan", {FrameError::vlan_stacked}},
        {"ipv4_header_length_4", {FrameError::bad_ip_header_length}},
        {"ipv4_options", {FrameError::ip_options}},
        {"ipv4_total_length_long", {FrameError::bad_ip_length}},
        {"ipv4_first_fragment", {FrameError::fragment}},
        {"ipv4_last_fragment", {FrameError::fragment}},
        {"ipv6_fragment", {FrameError::fragment}},
        {"ipv6_hop_by_hop_mld", {FrameError::ipv6_extension}},
        {"ipv6_routing", {FrameError::ipv6_extension}},
        {"ipv4_bad_checksum", {FrameError::bad_ip_checksum}},
        {"ipv4_udp_bad_checksum", {FrameError::bad_udp_checksum}},
        {"ipv6_udp_zero_checksum", {FrameError::bad_udp_checksum}},
        {"ipv4_udp_length_7", {FrameError::bad_udp_length}},
        {"ipv6_udp_length_long", {FrameError::bad_udp_length}},
        {"ipv6_version_4", {FrameError::bad_ip_version}},
    };
    return table;
}

TEST(FrameCorpus, EveryScapyFrameParsesAsItsNameSays) {
    const std::filesystem::path dir = MSF_FRAME_CORPUS_DIR;
    ASSERT_TRUE(std::filesystem::is_directory(dir)) << dir;
    size_t seen = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        const std::string name = entry.path().filename().string();
        const auto it = expectations().find(name);
        if (it == expectations().end()) {
            ADD_FAILURE() << name << ": a corpus frame this table does not know";
            continue;
        }
        std::ifstream in(entry.path(), std::ios::binary);
        const std::vector<uint8_t> frame{std::istreambuf_iterator<char>(in), {}};
        ParsedFrame p;
        const FrameError e = parse_frame(frame.data(), static_cast<uint32_t>(frame.size()), ParseOptions{}, p);
        EXPECT_EQ(frame_error_name(e), frame_error_name(it->second.error)) << name;
        if (e == FrameError::none) {
            EXPECT_EQ(frame_kind_name(p.kind), frame_kind_name(it->second.kind)) << name;
        }
        ++seen;
    }
    EXPECT_EQ(seen, expectations().size()) << "corpus frames missing";
}

}  // namespace
}  // namespace msf::net
