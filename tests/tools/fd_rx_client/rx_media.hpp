// What an AAR says about one media component, as text and bytes, built from a SessionSpec: the
// Media-Sub-Components with their Flow-Descriptions (IPFilterRule, RFC 6733 §4.3.1), the two
// Codec-Data values (TS 29.214 §5.3.7), and the Address / Framed-IP encodings. Pure functions,
// so the tests check them without freeDiameter.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "dataplane/net/addr.hpp"
#include "tests/tools/fd_rx_client/client_args.hpp"

namespace msf::fdrx {

// TS 29.214 §5.3.12 Flow-Usage.
enum class FlowUsage : uint32_t { no_information = 0, rtcp = 1, af_signalling = 2 };

// One Media-Sub-Component (TS 29.214 §5.3.29): a flow number and the rules of both directions.
struct SubComponent {
    uint32_t flow_number = 0;
    FlowUsage usage = FlowUsage::no_information;
    // The way Kamailio's ims_qos writes them for the UE that sent the offer:
    //   "permit out 17 from UE_IP UE_PORT to CORE_IP CORE_PORT"
    //   "permit in 17 from CORE_IP CORE_PORT to UE_IP UE_PORT"
    std::array<std::string, 2> flow_descriptions;
};

// RTP on flow 1; with rtcp=separate, RTCP on both ports + 1 as flow 2.
std::vector<SubComponent> media_sub_components(const SessionSpec& spec);

// The offer and the answer as Codec-Data values: "uplink\noffer\n" + the UE's m-section, then
// "downlink\nanswer\n" + the core side's. SDP lines end in CRLF (RFC 4566 §5) as the SIP body
// carries them; the offer holds a=crypto (RFC 4568 §9.1) when the spec has SDES keys.
std::array<std::string, 2> codec_data(const SessionSpec& spec);

// RFC 4648 §4 base64 with padding, as RFC 4568 §6.1 inline keys use it.
std::string base64(std::span<const uint8_t> bytes);

// RFC 6733 §4.3.1 Address: AddressType (1 IPv4, 2 IPv6, IANA address family numbers) then the
// address bytes.
std::vector<uint8_t> diameter_address(const net::IpAddr& ip);
std::optional<net::IpAddr> parse_diameter_address(std::span<const uint8_t> bytes);

// RFC 7155 §4.4.10.5.1 Framed-IP-Address: the 4 bytes of an IPv4 address.
// RFC 3162 §2.3 Framed-IPv6-Prefix: reserved, prefix length, prefix; a UE's IPv6 address is
// given as its /64.
std::vector<uint8_t> framed_ipv4_address(const net::IpAddr& ip);
std::vector<uint8_t> framed_ipv6_prefix(const net::IpAddr& ip);

}  // namespace msf::fdrx
