// libFuzzer target for the control-socket protocol decoder (dataplane/api/protocol.hpp): the
// bytes a local client can put on the control socket. Input format: api_fuzz_input.hpp.
//
// Checked beyond "does not crash": a failure is a DecodeError with a code a decoder may give
// and a message that starts with what it was decoding; whatever decodes re-encodes to exactly
// the bytes it came from (the encoding is canonical) and decodes again to an equal value.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "dataplane/api/protocol.hpp"
#include "tests/fuzz/api_fuzz_input.hpp"

namespace {

using namespace msf::api;

[[noreturn]] void fail(const char* what, const std::string& detail) {
    std::fprintf(stderr, "api_decode_fuzz: %s: %s\n", what, detail.c_str());
    std::abort();
}

void check_error(const DecodeError& e) {
    if (e.code != ResultCode::bad_message && e.code != ResultCode::unknown_type &&
        e.code != ResultCode::unsupported_version)
        fail("unexpected error code", std::string(result_code_name(e.code)) + " " + e.message);
    if (e.message.empty()) fail("error without a message", "");
}

void check_body(uint16_t raw_type, std::span<const uint8_t> body) {
    auto decoded = decode_body(raw_type, body);
    if (!decoded) {
        check_error(decoded.error());
        const std::string name = message_type_name(raw_type);
        if (decoded.error().code != ResultCode::unknown_type &&
            decoded.error().message.rfind(name + ": ", 0) != 0)
            fail("error does not name the message", decoded.error().message);
        return;
    }
    if (static_cast<uint16_t>(type_of(*decoded)) != raw_type)
        fail("decoded as another type", message_type_name(raw_type));
    std::vector<uint8_t> again;
    encode_body(*decoded, again);
    if (again.size() != body.size() || !std::equal(again.begin(), again.end(), body.begin()))
        fail("re-encoded body differs", message_type_name(raw_type));
    auto twice = decode_body(raw_type, again);
    if (!twice) fail("re-encoded body does not decode", twice.error().message);
    if (!(*twice == *decoded)) fail("decoded twice to different values", message_type_name(raw_type));
    // Exercise the semantic check on whatever session spec got through.
    if (const auto* add = std::get_if<SessionAddRequest>(&*decoded)) (void)validate_session_spec(add->spec);
    if (const auto* mod = std::get_if<SessionModifyRequest>(&*decoded)) (void)validate_session_spec(mod->spec);
}

void check_frame_bytes(std::span<const uint8_t> frame) {
    auto decoded = decode(frame);
    if (!decoded) {
        check_error(decoded.error());
        return;
    }
    const std::vector<uint8_t> again = encode(*decoded);
    if (again.size() != frame.size() || !std::equal(again.begin(), again.end(), frame.begin()))
        fail("re-encoded frame differs", std::string(message_type_name(type_of(decoded->body))));
    auto twice = decode(again);
    if (!twice || !(*twice == *decoded)) fail("frame decoded twice to different values", "");
    // The body alone must decode the same way.
    check_body(static_cast<uint16_t>(type_of(decoded->body)), frame.subspan(kHeaderSize));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    const uint8_t mode = data[0];
    std::span<const uint8_t> rest(data + 1, size - 1);
    if (mode % 2 == msf::api::fuzz::kModeBody) {
        if (rest.size() < 2) return 0;
        const auto raw_type = static_cast<uint16_t>(rest[0] << 8 | rest[1]);
        check_body(raw_type, rest.subspan(2));
        return 0;
    }
    for (;;) {
        const FrameCheck check = check_frame(rest);
        if (check.state == FrameCheck::State::invalid) {
            if (check.error.empty()) fail("invalid frame without a reason", "");
            return 0;
        }
        if (check.state == FrameCheck::State::need_more) return 0;
        if (check.length < kHeaderSize || check.length > rest.size() || check.length > kMaxMessageSize)
            fail("check_frame gave a bad length", std::to_string(check.length));
        check_frame_bytes(rest.first(check.length));
        rest = rest.subspan(check.length);
    }
}
