// Errors as values for the keying library: a value or the reason there is none. Every parser
// and derivation of controlplane/keying returns one; nothing here throws on bad input.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>

namespace msf::keying {

enum class ErrorCode : uint8_t {
    malformed,         // the text does not follow the grammar (RFC 4568 §9.1, RFC 8866 §9)
    unknown_suite,     // a=crypto names a suite this project does not implement: try the next line
    invalid_argument,  // a caller's value out of range: wrong key length, section index, port
    too_large,         // a limit of this library (line length, section count, SDP size)
    crypto_failure,    // OpenSSL refused (no exporter on that connection, HMAC failed)
};

struct KeyingError {
    ErrorCode code = ErrorCode::malformed;
    std::string message;  // "a=crypto: tag 'x' is not a decimal number"
    bool operator==(const KeyingError&) const = default;
};

inline KeyingError make_error(ErrorCode code, std::string message) {
    return KeyingError{code, std::move(message)};
}

// Like std::expected (C++23), reduced to what callers here need.
template <class T>
class Expected {
public:
    Expected(T value) : state_(std::move(value)) {}             // NOLINT: implicit by design
    Expected(KeyingError error) : state_(std::move(error)) {}  // NOLINT: implicit by design

    bool ok() const { return state_.index() == 0; }
    explicit operator bool() const { return ok(); }
    T& value() { return std::get<0>(state_); }
    const T& value() const { return std::get<0>(state_); }
    T& operator*() { return value(); }
    const T& operator*() const { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    const KeyingError& error() const { return std::get<1>(state_); }

private:
    std::variant<T, KeyingError> state_;
};

// An operation that returns nothing on success.
template <>
class Expected<void> {
public:
    Expected() = default;
    Expected(KeyingError error) : error_(std::move(error)), ok_(false) {}  // NOLINT: implicit

    bool ok() const { return ok_; }
    explicit operator bool() const { return ok_; }
    const KeyingError& error() const { return error_; }

private:
    KeyingError error_;
    bool ok_ = true;
};

}  // namespace msf::keying
