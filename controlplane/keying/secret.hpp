// Holding secrets: every buffer that held key material is overwritten before it is freed
// (OPENSSL_cleanse, which the compiler may not optimise away the way it may a memset).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace msf::keying {

void wipe(std::span<uint8_t> bytes) noexcept;
void wipe(std::vector<uint8_t>& bytes) noexcept;  // overwrites and empties
void wipe(std::string& text) noexcept;            // overwrites and empties

// A byte string that is wiped when destroyed and before assignment replaces it. Sized once:
// nothing appends to it, so no reallocation leaves a copy behind.
class SecretBytes {
public:
    SecretBytes() = default;
    explicit SecretBytes(std::span<const uint8_t> bytes) : bytes_(bytes.begin(), bytes.end()) {}
    explicit SecretBytes(std::string_view text) : bytes_(text.begin(), text.end()) {}
    SecretBytes(std::initializer_list<uint8_t> bytes) : bytes_(bytes) {}
    SecretBytes(const SecretBytes& other) = default;
    SecretBytes(SecretBytes&& other) noexcept = default;
    SecretBytes& operator=(const SecretBytes& other) {
        if (this != &other) {
            wipe(bytes_);
            bytes_ = other.bytes_;
        }
        return *this;
    }
    SecretBytes& operator=(SecretBytes&& other) noexcept {
        if (this != &other) {
            wipe(bytes_);
            bytes_ = std::move(other.bytes_);
        }
        return *this;
    }
    ~SecretBytes() { wipe(bytes_); }

    std::span<const uint8_t> bytes() const { return bytes_; }
    const uint8_t* data() const { return bytes_.data(); }
    size_t size() const { return bytes_.size(); }
    bool empty() const { return bytes_.empty(); }
    bool operator==(const SecretBytes&) const = default;

private:
    std::vector<uint8_t> bytes_;
};

}  // namespace msf::keying
