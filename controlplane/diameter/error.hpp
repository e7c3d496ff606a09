// Errors as values for the Diameter codec: what an answer needs to report a request that failed
// (RFC 6733 §7: Result-Code, Failed-AVP, Error-Message), and a value-or-error type.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "controlplane/diameter/dictionary.hpp"

namespace msf::diameter {

struct Error {
    ResultCode result_code = ResultCode::unable_to_comply;
    // The data of the answer's Failed-AVP (§7.5): one whole encoded AVP (header, data, padding),
    // or for an AVP header cut short, its bytes padded with zeros to a header's size (§7.1.5).
    // Empty when the error names no AVP.
    std::vector<uint8_t> failed_avp;
    // For the Error-Message AVP and logs: "Media-Component-Number (518/10415): 3 data bytes,
    // Unsigned32 has 4".
    std::string message;

    uint32_t code() const { return static_cast<uint32_t>(result_code); }
    // 3xxx: answered with the E bit and the CCF of §7.2.
    bool protocol_error() const { return is_protocol_error(code()); }
    bool operator==(const Error&) const = default;
};

// "DIAMETER_MISSING_AVP (5005): AAR lacks Destination-Realm (283)".
std::string to_string(const Error& error);

// A value or the error that prevented it.
template <class T>
class Decoded {
public:
    Decoded(T value) : state_(std::move(value)) {}      // NOLINT: implicit by design
    Decoded(Error error) : state_(std::move(error)) {}  // NOLINT: implicit by design

    bool ok() const { return state_.index() == 0; }
    explicit operator bool() const { return ok(); }
    T& value() { return std::get<0>(state_); }
    const T& value() const { return std::get<0>(state_); }
    T& operator*() { return value(); }
    const T& operator*() const { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    const Error& error() const { return std::get<1>(state_); }

private:
    std::variant<T, Error> state_;
};

}  // namespace msf::diameter
