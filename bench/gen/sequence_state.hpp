// Where each session's two RTP/SRTP directions stand, kept between msf-gen runs. The gateway
// protects as an SRTP sender and never reuses an index (RFC 3711 §9.2: a repeated index reuses
// key stream), and unprotects with a replay window (§3.3.2), so a second run that started
// every session at sequence 0 again would be dropped as replays. msf-gen therefore resumes
// each direction where the previous run over the same install of the calls left it; a jump of
// less than 2^15 keeps the gateway's rollover-counter estimate right (§3.3.1).
//
// The file (FILE.seq next to --calls FILE): "MSFGSEQ1", the calls' fingerprint (u64), the
// session count (u64), then per session the next network->UE and UE->network sequence (u32
// each), all little-endian. A missing file, or one for another install, starts from 0.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace msf::gen {

class SequenceState {
public:
    SequenceState(uint64_t fingerprint, size_t sessions)
        : fingerprint_(fingerprint), to_ue_(sessions, 0), from_ue_(sessions, 0) {}

    // The state saved for this install, or all zeros (missing file, other install, damaged).
    static SequenceState load(const std::string& path, uint64_t fingerprint, size_t sessions);
    // Writes to path + ".tmp", then renames: a crash leaves the old state or the new one.
    bool save(const std::string& path, std::string* error) const;

    uint32_t& to_ue(size_t session) { return to_ue_[session]; }
    uint32_t& from_ue(size_t session) { return from_ue_[session]; }
    size_t sessions() const { return to_ue_.size(); }

private:
    uint64_t fingerprint_;
    std::vector<uint32_t> to_ue_;
    std::vector<uint32_t> from_ue_;
};

}  // namespace msf::gen
