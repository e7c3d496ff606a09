#include "bench/gen/sequence_state.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

namespace msf::gen {

namespace {

constexpr char kMagic[8] = {'M', 'S', 'F', 'G', 'S', 'E', 'Q', '1'};

void put_le(std::string& out, uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}

uint64_t get_le(const std::string& in, size_t at, int bytes) {
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v |= uint64_t{static_cast<uint8_t>(in[at + static_cast<size_t>(i)])} << (8 * i);
    return v;
}

}  // namespace

SequenceState SequenceState::load(const std::string& path, uint64_t fingerprint, size_t sessions) {
    SequenceState state(fingerprint, sessions);
    std::ifstream in(path, std::ios::binary);
    if (!in) return state;
    const size_t expected = sizeof kMagic + 16 + 8 * sessions;
    std::string bytes(expected + 1, '\0');
    in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (static_cast<size_t>(in.gcount()) != expected) return state;  // short, or longer than this install's
    if (std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0 || get_le(bytes, 8, 8) != fingerprint ||
        get_le(bytes, 16, 8) != sessions)
        return state;
    for (size_t s = 0; s < sessions; ++s) {
        state.to_ue_[s] = static_cast<uint32_t>(get_le(bytes, 24 + 8 * s, 4));
        state.from_ue_[s] = static_cast<uint32_t>(get_le(bytes, 28 + 8 * s, 4));
    }
    return state;
}

bool SequenceState::save(const std::string& path, std::string* error) const {
    std::string bytes(kMagic, sizeof kMagic);
    put_le(bytes, fingerprint_, 8);
    put_le(bytes, to_ue_.size(), 8);
    for (size_t s = 0; s < to_ue_.size(); ++s) {
        put_le(bytes, to_ue_[s], 4);
        put_le(bytes, from_ue_[s], 4);
    }
    const std::string tmp = path + ".tmp";
    std::FILE* f = std::fopen(tmp.c_str(), "wb");
    bool ok = f != nullptr && std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
    if (f != nullptr) ok = std::fclose(f) == 0 && ok;
    if (ok) ok = std::rename(tmp.c_str(), path.c_str()) == 0;
    if (!ok) {
        *error = path + ": " + std::strerror(errno);
        std::remove(tmp.c_str());
    }
    return ok;
}

}  // namespace msf::gen
