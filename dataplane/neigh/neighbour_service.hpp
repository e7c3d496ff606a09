// Neighbour handling of the access and the core side, the control thread's half of it: answers
// ARP (RFC 826), Neighbor Solicitations (RFC 4861 §7.2.4) and echo requests (RFC 792,
// RFC 4443 §4) for the gateway's own addresses, resolves next hops with ARP requests and
// Neighbor Solicitations, and keeps one NeighbourTable per side.
//
// Pure C++ over Ethernet frames: the dataplane hands handle_frame() the frames its workers
// classified as ARP, ICMP or ICMPv6 and transmits what comes out of the FrameSink.
// Threads: resolve() and next_hop() may be called from any thread (workers); everything else
// belongs to the control thread.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "dataplane/api/types.hpp"
#include "dataplane/neigh/bounded_mpsc_queue.hpp"
#include "dataplane/neigh/neighbour_table.hpp"
#include "dataplane/neigh/verdict.hpp"
#include "dataplane/net/addr.hpp"
#include "dataplane/net/frame.hpp"

namespace msf::neigh {

// Where frames built here go: the dataplane puts them on the side's port.
struct FrameSink {
    virtual void send(api::Side side, std::span<const uint8_t> frame) = 0;
    virtual ~FrameSink() = default;
};

struct StaticNeighbour {
    net::IpAddr ip;
    net::MacAddr mac;
};

struct SideConfig {
    net::MacAddr mac;                     // the port's own address
    std::vector<net::IpAddr> addresses;   // the gateway's addresses on this side
    std::optional<net::IpAddr> gateway4;  // next hop for IPv4; unset: destinations are on the link
    std::optional<net::IpAddr> gateway6;  // next hop for IPv6 (link-local destinations excepted)
    bool has_vlan = false;
    uint16_t vlan_tci = 0;  // PCP, DEI and VID as on the wire; sent on every frame
    std::vector<StaticNeighbour> static_entries;
};

struct NeighbourConfig {
    std::array<SideConfig, 2> sides;       // indexed by api::Side
    size_t cache_capacity = 4096;          // entries per side, static ones included
    size_t request_queue_capacity = 1024;  // resolution requests from workers waiting for tick()
    NeighbourTimers timers;
};

// Per side. One writer each (the control thread), except requests_dropped (any thread).
struct NeighbourCounters {
    uint64_t arp_requests_answered = 0;
    uint64_t ns_answered = 0;
    uint64_t echo4_answered = 0;
    uint64_t echo6_answered = 0;
    uint64_t arp_requests_sent = 0;
    uint64_t ns_sent = 0;
    uint64_t cache_updates = 0;      // an ARP, NS or NA that changed or confirmed an entry
    uint64_t address_conflicts = 0;  // another host claims one of our addresses
    uint64_t malformed = 0;          // frames that break a protocol rule
    uint64_t ignored = 0;            // well-formed frames that are not ours to answer
    uint64_t resolutions_started = 0;
    uint64_t resolutions_completed = 0;  // an incomplete (or failed) entry got its answer
    uint64_t resolutions_failed = 0;     // no answer to max_probes requests
    uint64_t refreshes_failed = 0;       // a stale entry in use stopped answering: removed
    uint64_t aged_out = 0;               // a stale entry nobody used: removed
    uint64_t evictions = 0;              // the table was full: least recently confirmed removed
    uint64_t cache_full = 0;             // no resolution started: every entry is static
    uint64_t requests_dropped = 0;       // resolve() found the request queue full
};

class NeighbourService {
public:
    // Frames longer than this are ignored: replies are built in a buffer of this size.
    static constexpr size_t kMaxFrameLen = 9216;
    // IEEE 802.3 minimum frame without the FCS: shorter frames are padded with zeros.
    static constexpr size_t kMinFrameLen = 60;

    // Throws std::invalid_argument naming the side and the field that is wrong.
    explicit NeighbourService(NeighbourConfig config);
    ~NeighbourService();
    NeighbourService(const NeighbourService&) = delete;
    NeighbourService& operator=(const NeighbourService&) = delete;

    // ---- control thread ----

    // One received frame (FCS stripped) of `side`: answered through `out`, learned from, or
    // counted as malformed or ignored.
    void handle_frame(api::Side side, std::span<const uint8_t> frame, FrameSink& out,
                      uint64_t now_ms);
    // Starts the resolutions workers asked for, sends requests and retries that are due, ages
    // entries. Call it every few milliseconds; now_ms is a monotonic clock.
    void tick(uint64_t now_ms, FrameSink& out);

    NeighbourCounters counters(api::Side side) const;
    // The check that dropped the last malformed or ignored frame of `side` (static string).
    std::string_view last_drop_reason(api::Side side) const;
    const NeighbourTable& table(api::Side side) const;
    const SideConfig& config(api::Side side) const;

    // ---- any thread ----

    // The MAC to send a packet for `dst` to: of the next hop (next_hop()) when it is known,
    // the group address for multicast and broadcast. On a miss, asks the control thread to
    // resolve the next hop (unless it is already being resolved) and returns nullopt.
    std::optional<net::MacAddr> resolve(api::Side side, const net::IpAddr& dst);
    // The side's gateway of dst's family when one is configured, else dst itself (on the link).
    // IPv6 link-local destinations are always on the link.
    net::IpAddr next_hop(api::Side side, const net::IpAddr& dst) const;

private:
    struct ResolutionRequest {
        api::Side side = api::Side::access;
        net::IpAddr ip;
    };
    struct SideState {
        SideConfig config;
        std::unique_ptr<NeighbourTable> table;
        NeighbourCounters counters;
        std::atomic<uint64_t> requests_dropped{0};
        std::string_view last_drop_reason;
        std::optional<net::IpAddr> source4;             // ARP sender address
        std::optional<net::IpAddr> source6_link_local;  // NS source toward link-local targets
        std::optional<net::IpAddr> source6;             // NS source toward other targets
    };

    void drop(SideState& s, Verdict verdict, std::string_view reason);
    bool is_ours(const SideState& s, const net::IpAddr& ip) const;
    void handle_arp(SideState& s, api::Side side, const net::ParsedFrame& pf,
                    std::span<const uint8_t> frame, FrameSink& out, uint64_t now_ms);
    void handle_icmp4(SideState& s, api::Side side, const net::ParsedFrame& pf,
                      std::span<const uint8_t> frame, FrameSink& out);
    void handle_icmp6(SideState& s, api::Side side, const net::ParsedFrame& pf,
                      std::span<const uint8_t> frame, FrameSink& out, uint64_t now_ms);
    void handle_solicitation(SideState& s, api::Side side, const net::ParsedFrame& pf,
                             std::span<const uint8_t> frame, std::span<const uint8_t> message,
                             FrameSink& out, uint64_t now_ms);
    void handle_advertisement(SideState& s, const net::ParsedFrame& pf,
                              std::span<const uint8_t> frame, std::span<const uint8_t> message,
                              uint64_t now_ms);
    bool learn(SideState& s, const net::IpAddr& ip, const net::MacAddr& mac, bool confirmed,
               uint64_t now_ms);
    void send_request(SideState& s, api::Side side, const net::IpAddr& target,
                      const std::optional<net::MacAddr>& unicast_to, FrameSink& out);
    size_t write_ethernet(const SideState& s, const net::MacAddr& dst, uint16_t ether_type);
    void emit(api::Side side, size_t len, FrameSink& out);

    std::array<SideState, 2> sides_;
    BoundedMpscQueue<ResolutionRequest> requests_;
    std::vector<TimerEvent> events_;          // reused by tick()
    std::array<uint8_t, kMaxFrameLen> tx_{};  // the frame being built
};

}  // namespace msf::neigh
