// Capabilities exchange (RFC 6733 §5.3): what a node advertises in its CER or CEA, building ours,
// reading a peer's from a decoded and validated message, and finding the applications the two
// have in common (§5.3: "the receiver ... determines common applications").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/diameter/message.hpp"
#include "dataplane/net/addr.hpp"

namespace msf::diameter {

// An application as a CER lists it: Auth-Application-Id, alone or inside a
// Vendor-Specific-Application-Id with its Vendor-Id (§6.11). vendor_id 0: not vendor-specific.
struct Application {
    uint32_t id = 0;
    uint32_t vendor_id = 0;
    bool operator==(const Application&) const = default;
};

// Our side of the exchange: the fixed AVPs of every CER and CEA we send.
struct LocalCapabilities {
    std::string origin_host;
    std::string origin_realm;
    // Host-IP-Address values; empty: the local address of the connection the message goes on.
    std::vector<net::IpAddr> host_addresses;
    uint32_t vendor_id = 0;           // Vendor-Id: the vendor of this product (IANA enterprise)
    std::string product_name;         // Product-Name
    uint32_t firmware_revision = 0;   // Firmware-Revision, 0: not sent
    uint32_t origin_state_id = 0;     // Origin-State-Id: changes every time the node starts
    std::vector<uint32_t> supported_vendor_ids;  // Supported-Vendor-Id
    std::vector<Application> auth_applications;  // vendor_id != 0: sent as V-S-Application-Id
};

// The peer's side, from its CER or CEA.
struct PeerCapabilities {
    std::string origin_host;
    std::string origin_realm;
    std::vector<net::IpAddr> host_addresses;  // may be empty (Kamailio 5.6's cdp)
    uint32_t vendor_id = 0;
    std::string product_name;
    std::optional<uint32_t> origin_state_id;
    std::optional<uint32_t> firmware_revision;
    std::vector<uint32_t> supported_vendor_ids;
    // Auth- and Acct-Application-Id, top level and inside Vendor-Specific-Application-Id, in the
    // order given, duplicates removed.
    std::vector<Application> applications;
    std::vector<uint32_t> inband_security_ids;  // Inband-Security-Id values
};

// At most this many of each list are kept from a peer's message (the codec bounds the AVP count;
// this bounds what a peer makes us keep for its lifetime).
inline constexpr size_t kMaxAdvertised = 64;

// Reads a CER or CEA that passed decode() and validate().
PeerCapabilities read_capabilities(const Message& cer_or_cea);

// Our CER (§5.3.1), ids still zero. `local_address` fills Host-IP-Address when the settings have
// none.
Message make_cer(const LocalCapabilities& local, const net::IpAddr& local_address, uint32_t msf_vendor_id);
// Our CEA to `cer` with `result` (§5.3.2). A success carries our capabilities; a failure adds
// Error-Message when `error_message` is not empty. Protocol errors (3xxx) get the E bit and the
// §7.2 layout, which needs none of the capabilities.
Message make_cea(const Message& cer, ResultCode result, const LocalCapabilities& local,
                 const net::IpAddr& local_address, std::string_view error_message = {});
// Adds what a CEA needs beyond error_answer()'s AVPs (Host-IP-Address, Vendor-Id, Product-Name,
// Origin-State-Id) to an error CEA without the E bit.
void complete_error_cea(Message& cea, const LocalCapabilities& local, const net::IpAddr& local_address);

// Why a peer's advertised capabilities do not fit ours, as the Result-Code to answer its CER with
// and a line for the log, or nullopt when they fit:
//  - DIAMETER_NO_COMMON_APPLICATION (5010) when it advertises none of our applications and not
//    the relay application (§5.3, §2.4);
//  - DIAMETER_NO_COMMON_SECURITY (5017) when it lists Inband-Security-Id values and none is
//    NO_INBAND_SECURITY (0): TLS in this implementation starts with the first byte (§2.1), never
//    in band after the CER (the RFC 3588 way).
struct CapabilityMismatch {
    ResultCode result;
    std::string reason;
};
std::optional<CapabilityMismatch> check_capabilities(const PeerCapabilities& peer, const LocalCapabilities& local);

// True when `peer` advertises `application` (the Vendor-Id need not match: Kamailio and
// freeDiameter list Rx both with and without it) or the relay application.
bool advertises(const PeerCapabilities& peer, uint32_t application);

}  // namespace msf::diameter
