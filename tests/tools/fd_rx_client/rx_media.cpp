#include "tests/tools/fd_rx_client/rx_media.hpp"

#include <algorithm>

namespace msf::fdrx {

namespace {

// Protocol 17: every flow here is RTP or RTCP over UDP.
std::string flow_rule(std::string_view direction, const net::Endpoint& from, const net::Endpoint& to) {
    return "permit " + std::string(direction) + " 17 from " + from.addr.to_string() + " " +
           std::to_string(from.port) + " to " + to.addr.to_string() + " " + std::to_string(to.port);
}

net::Endpoint rtcp_of(net::Endpoint rtp) {
    ++rtp.port;
    return rtp;
}

// The m-line media name and one payload type with its rtpmap for each Media-Type.
struct SdpMedia {
    std::string_view media;
    std::string_view payload;
    std::string_view rtpmap;
};

SdpMedia sdp_media(MediaType type) {
    switch (type) {
        case MediaType::audio: return {"audio", "0", "0 PCMU/8000"};
        case MediaType::video: return {"video", "96", "96 H264/90000"};
        case MediaType::text: return {"text", "98", "98 t140/1000"};
        case MediaType::message: return {"message", "98", "98 t140/1000"};
        case MediaType::data:
        case MediaType::application:
        case MediaType::control:
        case MediaType::other: break;
    }
    return {"application", "96", "96 x-msf-test/8000"};
}

std::string m_section(const SessionSpec& spec, const net::Endpoint& at, bool with_crypto) {
    const SdpMedia media = sdp_media(spec.media_type);
    const bool secure = with_crypto && spec.sdes.has_value();
    std::string out = "m=" + std::string(media.media) + " " + std::to_string(at.port) +
                      (secure ? " RTP/SAVP " : " RTP/AVP ") + std::string(media.payload) + "\r\n";
    out += "c=IN " + std::string(at.addr.is_v4() ? "IP4 " : "IP6 ") + at.addr.to_string() + "\r\n";
    out += "a=rtpmap:" + std::string(media.rtpmap) + "\r\n";
    out += "a=sendrecv\r\n";
    if (spec.rtcp == RtcpMode::mux) out += "a=rtcp-mux\r\n";
    if (secure) {
        std::vector<uint8_t> key_and_salt = spec.sdes->key;
        key_and_salt.insert(key_and_salt.end(), spec.sdes->salt.begin(), spec.sdes->salt.end());
        out += "a=crypto:1 " + std::string(srtp::suite_info(spec.sdes->suite).name) + " inline:" +
               base64(key_and_salt) + "\r\n";
    }
    return out;
}

}  // namespace

std::vector<SubComponent> media_sub_components(const SessionSpec& spec) {
    std::vector<SubComponent> out;
    out.push_back({1, FlowUsage::no_information,
                   {flow_rule("out", spec.ue, spec.core), flow_rule("in", spec.core, spec.ue)}});
    if (spec.rtcp == RtcpMode::separate) {
        const net::Endpoint ue = rtcp_of(spec.ue);
        const net::Endpoint core = rtcp_of(spec.core);
        out.push_back({2, FlowUsage::rtcp, {flow_rule("out", ue, core), flow_rule("in", core, ue)}});
    }
    return out;
}

std::array<std::string, 2> codec_data(const SessionSpec& spec) {
    // TS 29.214 §5.3.7: direction line, offer/answer line, then the media's SDP lines.
    return {"uplink\noffer\n" + m_section(spec, spec.ue, true),
            "downlink\nanswer\n" + m_section(spec, spec.core, false)};
}

std::string base64(std::span<const uint8_t> bytes) {
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        const uint32_t v = uint32_t{bytes[i]} << 16 | uint32_t{bytes[i + 1]} << 8 | bytes[i + 2];
        out += kAlphabet[v >> 18 & 63];
        out += kAlphabet[v >> 12 & 63];
        out += kAlphabet[v >> 6 & 63];
        out += kAlphabet[v & 63];
    }
    const size_t rest = bytes.size() - i;
    if (rest > 0) {
        const uint32_t v = uint32_t{bytes[i]} << 16 | (rest == 2 ? uint32_t{bytes[i + 1]} << 8 : 0);
        out += kAlphabet[v >> 18 & 63];
        out += kAlphabet[v >> 12 & 63];
        out += rest == 2 ? kAlphabet[v >> 6 & 63] : '=';
        out += '=';
    }
    return out;
}

std::vector<uint8_t> diameter_address(const net::IpAddr& ip) {
    // Sized first and filled in place (GCC 12 misreads insert() after a 2-byte initialiser).
    std::vector<uint8_t> out(2 + ip.size());
    out[1] = ip.is_v4() ? 1 : 2;
    std::copy_n(ip.bytes.begin(), ip.size(), out.begin() + 2);
    return out;
}

std::optional<net::IpAddr> parse_diameter_address(std::span<const uint8_t> bytes) {
    if (bytes.size() == 6 && bytes[0] == 0 && bytes[1] == 1) return net::IpAddr::v4(bytes.data() + 2);
    if (bytes.size() == 18 && bytes[0] == 0 && bytes[1] == 2) return net::IpAddr::v6(bytes.data() + 2);
    return std::nullopt;
}

std::vector<uint8_t> framed_ipv4_address(const net::IpAddr& ip) { return {ip.bytes.begin(), ip.bytes.begin() + 4}; }

std::vector<uint8_t> framed_ipv6_prefix(const net::IpAddr& ip) {
    std::vector<uint8_t> out(2 + 8);
    out[1] = 64;
    std::copy_n(ip.bytes.begin(), 8, out.begin() + 2);
    return out;
}

}  // namespace msf::fdrx
