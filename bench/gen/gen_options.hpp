// msf-gen's command line, the contract with bench/throughput.py (bench/gen/README.md):
//
//   msf-gen --calls FILE --access-port DEV --core-port DEV [--eal '...'] [--lcores L] [--file-prefix P]
//           [--mode hairpin|protect|unprotect] [--rate PPS] [--size BYTES] [--duration S]
//           [--warmup S] [--ipv6] [--json] [--verify-every N] [--queues N] [--serve]
//   msf-gen export-pcap --calls FILE --out FILE [--packets-per-session N] [--size BYTES]
//           [--direction access|core]
//
// A wrong or missing option is a usage error (exit 2) naming it; the run starts only with
// settings that make sense.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>

namespace msf::gen {

enum class GenMode : uint8_t { hairpin, protect, unprotect };
enum class PcapDirection : uint8_t { access, core };

std::string_view gen_mode_name(GenMode mode);

// The limits of a trial's settings, on the command line and in a --serve request alike.
inline constexpr double kMaxRatePps = 1e9;
inline constexpr double kMaxTrialSeconds = 86400;
// memif negotiates up to 255 rings per direction; an lcore polling more than this many queues
// would spend its time on empty polls.
inline constexpr uint16_t kMaxQueues = 16;

struct GenOptions {
    std::string calls;
    std::string access_port;  // DPDK devargs facing the gateway's access side (we are the UEs)
    std::string core_port;    // ... facing its core side (we are the core peers)
    std::string eal;          // extra EAL arguments, split on spaces, passed last
    std::string lcores = "0";
    std::string file_prefix;  // "" : msf-gen-<pid>
    GenMode mode = GenMode::hairpin;
    double rate = 1000;       // offered packets/s in total; 0: as fast as possible
    uint32_t size = 172;      // UDP payload bytes incl. the RTP header (G.711 20 ms: 172)
    double duration_s = 5;
    double warmup_s = 1;
    bool ipv6 = false;        // the calls must be IPv6 (a check: the family comes from the calls)
    bool json = false;
    uint32_t verify_every = 1000;  // protect: unprotect and byte-check every Nth packet with libsrtp2
    // rx and tx queues on each port; stream s always sends on queue s % queues (memif has no RSS:
    // queue i is the dataplane's rx queue i, one worker's). With K lcores, lcore k owns the
    // queues q with q % K == k (lane_plan.hpp), so queues >= K, checked once the EAL is up.
    uint16_t queues = 1;
    // Set up once, then run one trial per JSON request line on stdin (trial_request.hpp) and
    // answer each with the --json report line, until EOF or SIGTERM.
    bool serve = false;
};

struct ExportOptions {
    std::string calls;
    std::string out;
    uint32_t packets_per_session = 1000;
    uint32_t size = 172;
    PcapDirection direction = PcapDirection::access;
};

struct GenHelpRequest {};
struct GenUsageError {
    std::string message;
};

using GenParse = std::variant<GenOptions, ExportOptions, GenHelpRequest, GenUsageError>;

// args excludes the program name; "--name value" and "--name=value" both work.
GenParse parse_gen_args(std::span<const std::string_view> args);
std::string gen_help();

}  // namespace msf::gen
