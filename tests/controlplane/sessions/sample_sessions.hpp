// Sessions and temporary directories shared by the sessions tests.
#pragma once

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "controlplane/sessions/model.hpp"

namespace msf::sessions::testing {

// "prefix" + number, spelled so that GCC 12's -Wrestrict false positive on
// operator+(const char*, std::string&&) does not fire.
inline std::string numbered(const char* prefix, int n) {
    std::string s(prefix);
    s += std::to_string(n);
    return s;
}

inline net::IpAddr ip(const char* text) { return *net::IpAddr::parse(text); }
inline net::Endpoint endpoint(const char* text) { return *net::Endpoint::parse(text); }

// Distinct, recognisable key bytes per (seed, direction): tests can look for them in files.
inline std::vector<uint8_t> key_bytes(uint32_t seed, uint8_t direction, size_t len) {
    std::vector<uint8_t> k(len);
    for (size_t i = 0; i < len; ++i) k[i] = static_cast<uint8_t>((seed * 131 + direction * 17 + i * 7 + 0x5a) & 0xff);
    return k;
}

inline api::KeySpec keys(uint32_t seed, uint8_t direction,
                         srtp::Suite suite = srtp::Suite::aes_cm_128_hmac_sha1_80) {
    api::KeySpec k;
    k.suite = suite;
    const srtp::SuiteInfo& info = srtp::suite_info(suite);
    k.master_key = key_bytes(seed, direction, info.key_len);
    k.master_salt = key_bytes(seed + 1000, direction, info.salt_len);
    return k;
}

// A stream as the Rx layer hands it to the manager: ports 0 (allocate), core peer given.
inline MediaStream stream(uint32_t component, uint32_t seed, const char* core_peer = "198.51.100.20:30000") {
    MediaStream s;
    s.component_number = component;
    s.media_type = component % 2 ? "audio" : "video";
    s.spec.core.remote = endpoint(core_peer);
    s.spec.from_ue = keys(seed, 1);
    s.spec.to_ue = keys(seed, 2, srtp::Suite::aead_aes_128_gcm);
    s.to_ue_key_generated = seed % 2 == 0;
    return s;
}

// An MSRP component with every field set; the PSK bytes follow from seed.
inline MessageStream message(uint32_t component, uint32_t seed = 1) {
    MessageStream m;
    m.component_number = component;
    m.psk_identity = "e2ae-" + std::to_string(1000000 + seed);
    for (uint8_t i = 0; i < 32; ++i) m.psk.push_back(static_cast<uint8_t>(seed * 37 + i * 11 + 1));
    m.ue_path = "msrps://192.0.2.2:2855/ue" + std::to_string(seed) + ";tcp";
    m.core_path = "msrp://198.51.100.20:2855/core" + std::to_string(seed) + ";tcp";
    m.gw_access_path = "msrps://192.0.2.10:2855/gwa" + std::to_string(seed) + ";tcp";
    m.gw_core_path = "msrp://198.51.100.10:2855/gwc" + std::to_string(seed) + ";tcp";
    m.ue_allow = "192.0.2.2";
    return m;
}

inline ControlSession session(const std::string& id, size_t streams = 2, uint32_t seed = 1) {
    ControlSession s;
    s.session_id = id;
    s.peer = "pcscf1.ims.example.org";
    s.realm = "ims.example.org";
    for (uint32_t i = 0; i < streams; ++i) s.streams.push_back(stream(i + 1, seed * 10 + i));
    return s;
}

// A stream as stored: ports and id filled in (the store does not check them).
inline ControlSession stored_session(const std::string& id, uint64_t first_id, size_t streams = 2, uint32_t seed = 1) {
    ControlSession s = session(id, streams, seed);
    for (size_t i = 0; i < streams; ++i) {
        api::SessionSpec& spec = s.streams[i].spec;
        spec.id = first_id + i;
        spec.access.local = {ip("192.0.2.10"), static_cast<uint16_t>(20000 + 2 * (first_id + i))};
        spec.core.local = {ip("198.51.100.10"), static_cast<uint16_t>(20000 + 2 * (first_id + i))};
    }
    s.created_unix_ms = 1700000000000 + static_cast<int64_t>(first_id);
    s.updated_unix_ms = s.created_unix_ms + 5;
    return s;
}

// A fresh directory under TMPDIR, removed with everything in it at the end of the test.
class TempDir {
public:
    TempDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "msf-sessions-XXXXXX").string();
        if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    std::string file(const std::string& name) const { return (path_ / name).string(); }
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

inline std::vector<uint8_t> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline bool contains(const std::vector<uint8_t>& haystack, const std::vector<uint8_t>& needle) {
    return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end()) != haystack.end();
}

}  // namespace msf::sessions::testing
