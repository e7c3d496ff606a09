// The Wireshark dictionary of our vendor AVPs: the committed file is what the AVP table generates,
// and tshark with it installed dissects every golden message (and Kamailio's frames) without a
// malformed frame or an expert warning, naming our AVPs. Skipped where tshark is not installed.
#include "controlplane/diameter/wireshark_dictionary.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/controlplane/diameter/kamailio_frames.hpp"
#include "tests/controlplane/diameter/sample_messages.hpp"

namespace msf::diameter {
namespace {

using namespace testing;
using ::testing::HasSubstr;
using Bytes = std::vector<uint8_t>;

std::string source_root() {
    const char* root = std::getenv("MSF_SOURCE_ROOT");
    return root != nullptr ? root : ".";
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

void put16(Bytes& b, uint16_t v) {
    b.push_back(uint8_t(v >> 8));
    b.push_back(uint8_t(v));
}
void put32(Bytes& b, uint32_t v) {
    put16(b, uint16_t(v >> 16));
    put16(b, uint16_t(v));
}
void put32_le(Bytes& b, uint32_t v) {
    for (int i = 0; i < 4; ++i) b.push_back(uint8_t(v >> (8 * i)));
}

// A classic pcap with one Ethernet/IPv4/TCP segment per message, client 192.0.2.10:40000 to
// server 192.0.2.20:3868, sequence numbers continuing so tshark sees one stream.
Bytes pcap_of(const std::vector<Bytes>& messages) {
    Bytes out;
    put32_le(out, 0xa1b2c3d4);
    out.insert(out.end(), {2, 0, 4, 0});  // version 2.4, little endian
    put32_le(out, 0);
    put32_le(out, 0);
    put32_le(out, 65535);
    put32_le(out, 1);  // LINKTYPE_ETHERNET
    uint32_t seq = 1000;
    uint32_t seconds = 1700000000;
    for (const Bytes& payload : messages) {
        Bytes pkt = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00};
        const size_t ip_start = pkt.size();
        pkt.insert(pkt.end(), {0x45, 0});
        put16(pkt, uint16_t(20 + 20 + payload.size()));
        pkt.insert(pkt.end(), {0, 1, 0x40, 0, 64, 6, 0, 0, 192, 0, 2, 10, 192, 0, 2, 20});
        uint32_t sum = 0;
        for (size_t i = ip_start; i < ip_start + 20; i += 2)
            sum += uint32_t(pkt[i] << 8 | pkt[i + 1]);
        while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
        pkt[ip_start + 10] = uint8_t(~sum >> 8);
        pkt[ip_start + 11] = uint8_t(~sum);
        put16(pkt, 40000);
        put16(pkt, 3868);
        put32(pkt, seq);
        put32(pkt, 5000);
        pkt.insert(pkt.end(), {0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0});  // PSH ACK, no checksum
        pkt.insert(pkt.end(), payload.begin(), payload.end());
        seq += uint32_t(payload.size());
        put32_le(out, seconds++);
        put32_le(out, 0);
        put32_le(out, uint32_t(pkt.size()));
        put32_le(out, uint32_t(pkt.size()));
        out.insert(out.end(), pkt.begin(), pkt.end());
    }
    return out;
}

bool have(const char* program) {
    return std::system(("command -v " + std::string(program) + " >/dev/null 2>&1").c_str()) == 0;
}

// tshark_check.py's exit status.
int tshark_check(const std::string& pcap, const std::string& extra) {
    const std::string cmd = "python3 " + source_root() +
                            "/tests/controlplane/diameter/tshark_check.py " + pcap + " 3868 " +
                            extra + " >" + pcap + ".log 2>&1";
    const int status = std::system(cmd.c_str());
    std::printf("%s", read_file(pcap + ".log").c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

class TempDir {
public:
    TempDir() {
        char pattern[] = "/tmp/msf-diameter-test-XXXXXX";
        path_ = mkdtemp(pattern);
    }
    ~TempDir() { std::system(("rm -rf " + path_).c_str()); }
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

TEST(WiresharkDictionary, CommittedFileIsWhatTheAvpTableGenerates) {
    const std::string committed = read_file(source_root() + "/config/wireshark/msf-dictionary.xml");
    ASSERT_FALSE(committed.empty()) << "MSF_SOURCE_ROOT=" << source_root();
    EXPECT_EQ(committed, wireshark_dictionary_xml())
        << "run `ninja -C <build> wireshark-dictionary` after changing the MSF AVPs";
}

TEST(WiresharkDictionary, NamesEveryMsfAvpWithItsCodeUnderTheVendor) {
    const std::string xml = wireshark_dictionary_xml(424242);
    EXPECT_THAT(xml, HasSubstr("<vendor vendor-id=\"MSF\" code=\"424242\" name=\"MSF\">"));
    for (const AvpDef& def : kAvps) {
        if (def.vendor != Vendor::msf) continue;
        EXPECT_THAT(xml, HasSubstr("<avp name=\"" + std::string(def.name) + "\" code=\"" +
                                   std::to_string(def.code) +
                                   "\" vendor-id=\"MSF\" mandatory=\"mustnot\""));
    }
    EXPECT_THAT(xml, HasSubstr("<enum name=\"AUTH_FAILURE_STORM\" code=\"2\"/>"));
    EXPECT_THAT(xml, HasSubstr("<gavp name=\"Media-Component-Number\"/>"));
}

TEST(Tshark, GoldenMessagesAndKamailioFramesDissectCleanlyWithOurAvpsNamed) {
    if (!have("tshark") || !have("python3") || !have("setpriv"))
        GTEST_SKIP() << "tshark, python3 or setpriv missing";
    TempDir dir;
    std::vector<Bytes> messages;
    for (const NamedMessage& sample : sample_messages())
        messages.push_back(sample.message.encode());
    for (auto hex : {kKamailioCerHex, kKamailioAarHex, kKamailioStrHex, kKamailioAsaHex})
        messages.push_back(from_hex(hex));
    const std::string pcap = dir.path() + "/golden.pcap";
    const Bytes capture = pcap_of(messages);
    std::ofstream(pcap, std::ios::binary)
        .write(reinterpret_cast<const char*>(capture.data()), std::streamsize(capture.size()));
    EXPECT_EQ(
        tshark_check(pcap,
                     "--require MSF-Media-Protection MSF-Master-Key MSF-Media-Address "
                     "MSF-Access-Address MSF-Session-Counters MSF-Event-Cause MSF-SDES-Crypto"),
        0);
}

TEST(Tshark, CheckFailsWhenOurAvpsAreUnknownToWireshark) {
    if (!have("tshark") || !have("python3") || !have("setpriv"))
        GTEST_SKIP() << "tshark, python3 or setpriv missing";
    TempDir dir;
    const std::string pcap = dir.path() + "/aar.pcap";
    const Bytes capture = pcap_of({sample_aar().encode()});
    std::ofstream(pcap, std::ios::binary)
        .write(reinterpret_cast<const char*>(capture.data()), std::streamsize(capture.size()));
    // A dictionary fragment for another vendor: our AVPs stay unknown, an expert warning each.
    const std::string other = dir.path() + "/other.xml";
    std::ofstream(other) << wireshark_dictionary_xml(424242);
    EXPECT_EQ(tshark_check(pcap, "--dictionary " + other), 1);
}

}  // namespace
}  // namespace msf::diameter
