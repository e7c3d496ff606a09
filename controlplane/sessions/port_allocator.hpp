// Local media ports of one side (access or core) of the gateway, per local address.
//
// RFC 3550 §11: RTP uses an even port and RTCP the next odd one. Every port handed out is even and
// its odd neighbour is reserved with it, also for rtcp-mux streams (RFC 5761), which then simply
// leave the odd port unused: one rule for every stream, and a stream can drop rtcp-mux later
// without moving.
//
// Per address a bitmap of pairs and a next-fit cursor: allocation continues after the pair handed
// out last, so a released pair is reused only after the rest of the range has been handed out
// (late packets of a finished call do not reach the next one). Allocation is a word scan from the
// cursor, O(1) while the range is not nearly full; release and reserve are O(1).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/net/addr.hpp"

namespace msf::sessions {

class PortAllocator {
public:
    enum class Reserve : uint8_t {
        ok,
        taken,            // the pair is already in use
        odd_port,         // RTP ports are even
        out_of_range,     // the pair is not inside the address's range
        unknown_address,  // no range for that address
    };

    struct Usage {
        net::IpAddr address;
        uint16_t port_min = 0;  // the range as configured
        uint16_t port_max = 0;
        size_t pairs = 0;       // even/odd pairs inside the range
        size_t pairs_in_use = 0;
    };

    // Adds an address with its range [port_min, port_max] (start-up configuration). The range
    // must hold at least one even/odd pair. False, with *error naming what is wrong, for an empty
    // address, a duplicate address or an unusable range.
    bool add_address(const net::IpAddr& address, uint16_t port_min, uint16_t port_max, std::string* error);
    bool has_address(const net::IpAddr& address) const { return find(address) != nullptr; }
    // The first configured address of a family; nullopt if there is none.
    std::optional<net::IpAddr> first_address(net::Family family) const;
    // The first address of a family, in configuration order, with a free pair; the first address
    // of the family when all are full (its allocate() then says so); nullopt if there is none.
    // One address holds at most ~32k pairs, so a million sessions need many.
    std::optional<net::IpAddr> address_with_room(net::Family family) const;

    // An even RTP port whose pair was free, now in use; nullopt when the range is exhausted or
    // the address unknown.
    std::optional<uint16_t> allocate(const net::IpAddr& address);
    // Marks a specific pair in use (restoring from the store, or a port the caller chose).
    Reserve reserve(const net::IpAddr& address, uint16_t rtp_port);
    // Frees a pair. False if it was not in use or is not managed here (nothing changes then).
    bool release(const net::IpAddr& address, uint16_t rtp_port);
    // Whether the pair of rtp_port lies in a range managed here (in use or not).
    bool manages(const net::IpAddr& address, uint16_t rtp_port) const;
    bool in_use(const net::IpAddr& address, uint16_t rtp_port) const;

    std::vector<Usage> usage() const;
    size_t pairs_in_use() const;

private:
    struct Pool {
        net::IpAddr address;
        uint16_t port_min = 0, port_max = 0;
        uint16_t first_port = 0;       // lowest even port whose pair fits in the range
        size_t pairs = 0;
        size_t in_use = 0;
        size_t cursor = 0;             // next pair index to try
        std::vector<uint64_t> bitmap;  // bit i set: pair i (first_port + 2i) in use
    };

    Pool* find(const net::IpAddr& address);
    const Pool* find(const net::IpAddr& address) const;
    // Pair index of a port inside the pool, or nullopt when outside it.
    static std::optional<size_t> pair_index(const Pool& pool, uint16_t rtp_port);
    static bool test(const Pool& pool, size_t pair) { return (pool.bitmap[pair / 64] >> (pair % 64)) & 1; }

    std::vector<Pool> pools_;
};

std::string_view reserve_name(PortAllocator::Reserve reserve);

}  // namespace msf::sessions
