// ARP for IPv4 over Ethernet (RFC 826): parsing a received message and writing one.
#pragma once

#include <cstdint>
#include <span>

#include "dataplane/neigh/verdict.hpp"
#include "dataplane/net/addr.hpp"

namespace msf::neigh {

enum class ArpOp : uint16_t { request = 1, reply = 2 };

struct ArpMessage {
    ArpOp op = ArpOp::request;
    net::MacAddr sender_mac;
    net::IpAddr sender_ip;  // IPv4; 0.0.0.0 in an RFC 5227 probe
    net::MacAddr target_mac;
    net::IpAddr target_ip;  // IPv4
};

// Ethernet/IPv4 ARP: hardware type 1, protocol 0x0800, lengths 6 and 4 (RFC 826).
inline constexpr size_t kArpMessageLen = 28;

// Parses the ARP message at the start of `bytes`, the Ethernet payload (padding after the 28
// bytes is allowed). Other hardware or protocol types and opcodes are ignored, not malformed:
// RFC 826 tells a receiver to discard what it does not speak.
Parsed<ArpMessage> parse_arp(std::span<const uint8_t> bytes);

// Writes the kArpMessageLen bytes of `msg` at `out`.
void write_arp(uint8_t* out, const ArpMessage& msg);

}  // namespace msf::neigh
