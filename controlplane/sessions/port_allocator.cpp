#include "controlplane/sessions/port_allocator.hpp"

#include <bit>

namespace msf::sessions {

std::string_view reserve_name(PortAllocator::Reserve reserve) {
    switch (reserve) {
        case PortAllocator::Reserve::ok: return "ok";
        case PortAllocator::Reserve::taken: return "taken";
        case PortAllocator::Reserve::odd_port: return "odd port";
        case PortAllocator::Reserve::out_of_range: return "out of range";
        case PortAllocator::Reserve::unknown_address: return "unknown address";
    }
    return "unknown";
}

bool PortAllocator::add_address(const net::IpAddr& address, uint16_t port_min, uint16_t port_max,
                                std::string* error) {
    const std::string range = std::to_string(port_min) + "-" + std::to_string(port_max);
    if (address.empty()) {
        *error = "media port range " + range + " has no address";
        return false;
    }
    if (find(address)) {
        *error = "address " + address.to_string() + " has two media port ranges";
        return false;
    }
    // Lowest even port >= port_min (and never port 0), highest pair whose odd port <= port_max.
    const uint32_t first = port_min <= 2 ? 2u : (port_min + 1u) & ~1u;
    if (port_max < port_min || first + 1u > port_max) {
        *error = "media port range " + range + " of " + address.to_string() +
                 " holds no even/odd port pair (RFC 3550 §11)";
        return false;
    }
    Pool pool;
    pool.address = address;
    pool.port_min = port_min;
    pool.port_max = port_max;
    pool.first_port = static_cast<uint16_t>(first);
    pool.pairs = (port_max - first + 1u) / 2u;
    pool.bitmap.assign((pool.pairs + 63) / 64, 0);
    pools_.push_back(std::move(pool));
    return true;
}

std::optional<net::IpAddr> PortAllocator::first_address(net::Family family) const {
    for (const Pool& pool : pools_)
        if (pool.address.family == family) return pool.address;
    return std::nullopt;
}

std::optional<net::IpAddr> PortAllocator::address_with_room(net::Family family) const {
    for (const Pool& pool : pools_)
        if (pool.address.family == family && pool.in_use < pool.pairs) return pool.address;
    return first_address(family);
}

PortAllocator::Pool* PortAllocator::find(const net::IpAddr& address) {
    for (Pool& pool : pools_)
        if (pool.address == address) return &pool;
    return nullptr;
}

const PortAllocator::Pool* PortAllocator::find(const net::IpAddr& address) const {
    for (const Pool& pool : pools_)
        if (pool.address == address) return &pool;
    return nullptr;
}

std::optional<size_t> PortAllocator::pair_index(const Pool& pool, uint16_t rtp_port) {
    if (rtp_port < pool.first_port) return std::nullopt;
    const size_t pair = (rtp_port - pool.first_port) / 2u;
    if (pair >= pool.pairs) return std::nullopt;
    return pair;
}

std::optional<uint16_t> PortAllocator::allocate(const net::IpAddr& address) {
    Pool* pool = find(address);
    if (!pool || pool->in_use == pool->pairs) return std::nullopt;
    // Next fit: the first free pair at or after the cursor, wrapping once. A free pair exists.
    const size_t words = pool->bitmap.size();
    size_t word = pool->cursor / 64;
    uint64_t free_bits = ~pool->bitmap[word] & (~uint64_t{0} << (pool->cursor % 64));
    for (size_t scanned = 0; free_bits == 0 && scanned <= words; ++scanned) {
        word = (word + 1) % words;
        free_bits = ~pool->bitmap[word];
    }
    size_t pair = word * 64 + static_cast<size_t>(std::countr_zero(free_bits));
    if (pair >= pool->pairs) {
        // Bits past the last pair of the last word read as free: wrap to the start.
        for (word = 0; (free_bits = ~pool->bitmap[word]) == 0; ++word) {
        }
        pair = word * 64 + static_cast<size_t>(std::countr_zero(free_bits));
    }
    pool->bitmap[pair / 64] |= uint64_t{1} << (pair % 64);
    ++pool->in_use;
    pool->cursor = pair + 1 == pool->pairs ? 0 : pair + 1;
    return static_cast<uint16_t>(pool->first_port + 2 * pair);
}

PortAllocator::Reserve PortAllocator::reserve(const net::IpAddr& address, uint16_t rtp_port) {
    Pool* pool = find(address);
    if (!pool) return Reserve::unknown_address;
    if (rtp_port % 2 != 0) return Reserve::odd_port;
    const std::optional<size_t> pair = pair_index(*pool, rtp_port);
    if (!pair) return Reserve::out_of_range;
    if (test(*pool, *pair)) return Reserve::taken;
    pool->bitmap[*pair / 64] |= uint64_t{1} << (*pair % 64);
    ++pool->in_use;
    return Reserve::ok;
}

bool PortAllocator::release(const net::IpAddr& address, uint16_t rtp_port) {
    Pool* pool = find(address);
    if (!pool || rtp_port % 2 != 0) return false;
    const std::optional<size_t> pair = pair_index(*pool, rtp_port);
    if (!pair || !test(*pool, *pair)) return false;
    pool->bitmap[*pair / 64] &= ~(uint64_t{1} << (*pair % 64));
    --pool->in_use;
    return true;
}

bool PortAllocator::manages(const net::IpAddr& address, uint16_t rtp_port) const {
    const Pool* pool = find(address);
    return pool && rtp_port % 2 == 0 && pair_index(*pool, rtp_port).has_value();
}

bool PortAllocator::in_use(const net::IpAddr& address, uint16_t rtp_port) const {
    const Pool* pool = find(address);
    if (!pool || rtp_port % 2 != 0) return false;
    const std::optional<size_t> pair = pair_index(*pool, rtp_port);
    return pair && test(*pool, *pair);
}

std::vector<PortAllocator::Usage> PortAllocator::usage() const {
    std::vector<Usage> out;
    out.reserve(pools_.size());
    for (const Pool& pool : pools_)
        out.push_back({pool.address, pool.port_min, pool.port_max, pool.pairs, pool.in_use});
    return out;
}

size_t PortAllocator::pairs_in_use() const {
    size_t n = 0;
    for (const Pool& pool : pools_) n += pool.in_use;
    return n;
}

}  // namespace msf::sessions
