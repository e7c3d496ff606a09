// export-pcap: the file parses as pcap, every frame is valid Ethernet/IP/UDP toward the
// gateway, core-direction payloads pass the receiver's check and access-direction SRTP
// unprotects (libsrtp2, with the session's UE->network key) to the same payload.
#include "bench/gen/export_pcap.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <iterator>

#include "bench/gen/payload.hpp"
#include "bench/gen/srtp_stream.hpp"
#include "dataplane/net/frame.hpp"

namespace msf::gen {
namespace {

std::vector<GenSession> two_sessions() {
    std::vector<GenSession> s(2);
    for (size_t i = 0; i < 2; ++i) {
        s[i].call_index = i;
        s[i].ue = *net::Endpoint::parse("192.0.2.20:" + std::to_string(40000 + 2 * i));
        s[i].core = *net::Endpoint::parse("198.51.100.20:" + std::to_string(30000 + 2 * i));
        s[i].msf_access = *net::Endpoint::parse("192.0.2.10:" + std::to_string(20000 + 2 * i));
        s[i].msf_core = *net::Endpoint::parse("198.51.100.10:" + std::to_string(20000 + 2 * i));
        s[i].suite = srtp::Suite::aead_aes_128_gcm;
        s[i].from_ue = keying::MediaKeys(s[i].suite, std::vector<uint8_t>(16, static_cast<uint8_t>(i + 1)),
                                         std::vector<uint8_t>(12, 9));
        s[i].to_ue = s[i].from_ue;
    }
    return s;
}

struct Frame {
    std::vector<uint8_t> bytes;
};

std::vector<Frame> read_pcap(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::vector<uint8_t> all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<Frame> frames;
    EXPECT_GE(all.size(), 24u);
    uint32_t magic = 0, linktype = 0;
    std::memcpy(&magic, all.data(), 4);
    std::memcpy(&linktype, all.data() + 20, 4);
    EXPECT_EQ(magic, 0xa1b2c3d4u);
    EXPECT_EQ(linktype, 1u);
    size_t at = 24;
    while (at + 16 <= all.size()) {
        uint32_t incl = 0;
        std::memcpy(&incl, all.data() + at + 8, 4);
        at += 16;
        EXPECT_LE(at + incl, all.size());
        frames.push_back({std::vector<uint8_t>(all.begin() + static_cast<long>(at), all.begin() + static_cast<long>(at + incl))});
        at += incl;
    }
    return frames;
}

std::string temp(const char* name) { return ::testing::TempDir() + "gen_" + std::to_string(getpid()) + name; }

TEST(ExportPcap, CoreDirectionIsPlainCheckableRtpToTheGatewaysCoreAddresses) {
    ExportOptions o;
    o.out = temp("core.pcap");
    o.packets_per_session = 3;
    o.size = 64;
    o.direction = PcapDirection::core;
    const auto sessions = two_sessions();
    uint64_t packets = 0;
    std::string error;
    ASSERT_TRUE(export_pcap(o, sessions, &packets, &error)) << error;
    EXPECT_EQ(packets, 6u);
    const auto frames = read_pcap(o.out);
    ::unlink(o.out.c_str());
    ASSERT_EQ(frames.size(), 6u);
    for (size_t i = 0; i < frames.size(); ++i) {
        net::ParsedFrame p;
        ASSERT_EQ(net::parse_frame(frames[i].bytes.data(), static_cast<uint32_t>(frames[i].bytes.size()), {}, p),
                  net::FrameError::none);
        EXPECT_EQ(p.dst_endpoint(), sessions[i % 2].msf_core);
        EXPECT_EQ(p.src_endpoint(), sessions[i % 2].core);
        const PayloadCheck c = check_payload({frames[i].bytes.data() + p.payload_offset, p.payload_len}, 64);
        EXPECT_EQ(c.status, PayloadStatus::ok);
        EXPECT_EQ(c.id.session, i % 2);
        EXPECT_EQ(c.id.seq, i / 2);
    }
}

TEST(ExportPcap, AccessDirectionIsSrtpThatUnprotectsWithTheUeToNetworkKey) {
    ExportOptions o;
    o.out = temp("access.pcap");
    o.packets_per_session = 4;
    o.size = 172;
    const auto sessions = two_sessions();
    uint64_t packets = 0;
    std::string error;
    ASSERT_TRUE(export_pcap(o, sessions, &packets, &error)) << error;
    const auto frames = read_pcap(o.out);
    ::unlink(o.out.c_str());
    ASSERT_EQ(frames.size(), 8u);
    std::vector<std::unique_ptr<SrtpStream>> receivers;
    for (size_t i = 0; i < sessions.size(); ++i)
        receivers.push_back(SrtpStream::create(sessions[i].from_ue, SrtpStream::Role::receiver,
                                               session_ssrc(static_cast<uint32_t>(i)), &error));
    for (size_t i = 0; i < frames.size(); ++i) {
        net::ParsedFrame p;
        ASSERT_EQ(net::parse_frame(frames[i].bytes.data(), static_cast<uint32_t>(frames[i].bytes.size()), {}, p),
                  net::FrameError::none);
        EXPECT_EQ(p.dst_endpoint(), sessions[i % 2].msf_access);
        ASSERT_EQ(p.payload_len, 172 + 16);  // GCM tag
        alignas(8) uint8_t packet[512];
        std::memcpy(packet, frames[i].bytes.data() + p.payload_offset, p.payload_len);
        EXPECT_EQ(check_payload({packet, p.payload_len}, 0).status, PayloadStatus::not_ours);  // encrypted
        size_t len = p.payload_len;
        ASSERT_TRUE(receivers[i % 2]->unprotect(packet, &len));
        EXPECT_EQ(check_payload({packet, len}, 172).status, PayloadStatus::ok);
    }
}

TEST(ExportPcap, UnwritablePathIsAnErrorNamingIt) {
    ExportOptions o;
    o.out = "/nonexistent/dir/x.pcap";
    uint64_t packets = 0;
    std::string error;
    EXPECT_FALSE(export_pcap(o, two_sessions(), &packets, &error));
    EXPECT_NE(error.find("/nonexistent/dir/x.pcap"), std::string::npos);
}

}  // namespace
}  // namespace msf::gen
