// SRTP master key and salt of one direction of one media stream, however they were obtained
// (derived from the security association by kdf.hpp, or taken from an SDES a=crypto line by
// sdes.hpp).
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "controlplane/keying/secret.hpp"
#include "dataplane/srtp/suite.hpp"

namespace msf::keying {

// Sized for the suite (suite_info(suite).key_len and .salt_len); wiped when destroyed.
// Field types match api::KeySpec, so `spec.master_key = keys.master_key` installs them.
struct MediaKeys {
    srtp::Suite suite = srtp::Suite::aes_cm_128_hmac_sha1_80;
    std::vector<uint8_t> master_key;
    std::vector<uint8_t> master_salt;

    MediaKeys() = default;
    MediaKeys(srtp::Suite s, std::vector<uint8_t> key, std::vector<uint8_t> salt)
        : suite(s), master_key(std::move(key)), master_salt(std::move(salt)) {}
    MediaKeys(const MediaKeys&) = default;
    MediaKeys(MediaKeys&&) noexcept = default;
    // Assignment wipes the keys it replaces before their buffers are freed.
    MediaKeys& operator=(const MediaKeys& other) {
        if (this != &other) {
            wipe_keys();
            suite = other.suite;
            master_key = other.master_key;
            master_salt = other.master_salt;
        }
        return *this;
    }
    MediaKeys& operator=(MediaKeys&& other) noexcept {
        if (this != &other) {
            wipe_keys();
            suite = other.suite;
            master_key = std::move(other.master_key);
            master_salt = std::move(other.master_salt);
        }
        return *this;
    }
    ~MediaKeys() { wipe_keys(); }
    void wipe_keys() noexcept {
        wipe(master_key);
        wipe(master_salt);
    }
    bool operator==(const MediaKeys&) const = default;
};

}  // namespace msf::keying
