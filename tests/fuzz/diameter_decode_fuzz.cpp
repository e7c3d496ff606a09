// libFuzzer target for the Diameter codec (controlplane/diameter/message.hpp): the bytes a peer
// can put on a Diameter connection.
//
// Input: starting with 0x01 (the version), a byte stream split with check_frame; anything else is
// [flags][3-byte command][4-byte application] followed by AVP bytes, wrapped into one frame with
// the right Message Length (so the fuzzer reaches the AVP decoder without solving the header).
//
// Checked beyond "does not crash": check_frame gives sane lengths; a failed decode carries a
// Result-Code decode may give; whatever decodes re-encodes to exactly its frame with padding bytes
// zeroed (canonical encoding), decodes again to an equal message, and goes through validate(),
// pretty() and pretty_frame(); every answer we would send (error answers included) decodes, and
// re-encodes to itself up to padding bytes it echoes from the request.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "controlplane/diameter/message.hpp"
#include "controlplane/diameter/pretty.hpp"

namespace {

using namespace msf::diameter;

[[noreturn]] void fail(const char* what, const std::string& detail) {
    std::fprintf(stderr, "diameter_decode_fuzz: %s: %s\n", what, detail.c_str());
    std::abort();
}

bool decode_may_give(ResultCode code) {
    switch (code) {
        case ResultCode::invalid_message_length:
        case ResultCode::unsupported_version:
        case ResultCode::invalid_hdr_bits:
        case ResultCode::invalid_avp_bits:
        case ResultCode::invalid_avp_length:
        case ResultCode::unable_to_comply: return true;
        default: return false;
    }
}

// The frame as our encoder writes it: padding after each leaf's data zeroed (walks the decoded
// tree alongside the bytes).
void zero_padding(const Avp& avp, std::vector<uint8_t>& bytes, size_t& pos) {
    pos += avp_header_size(avp.flags());
    if (avp.is_group()) {
        for (Avp child : avp.children()) zero_padding(child, bytes, pos);
        return;
    }
    pos += avp.data().size();
    while (pos % 4 != 0) bytes[pos++] = 0;
}

// The bytes as our encoder would write them after decoding: the same, with padding zeroed.
std::vector<uint8_t> canonical(std::span<const uint8_t> frame, const Message& decoded) {
    std::vector<uint8_t> expected(frame.begin(), frame.end());
    size_t pos = kHeaderSize;
    for (Avp avp : decoded.avps()) zero_padding(avp, expected, pos);
    if (pos != frame.size()) fail("AVPs do not cover the frame", std::to_string(pos));
    return expected;
}

// An answer we would send must decode. It may echo a peer's padding bytes inside Failed-AVP, so it
// re-encodes to itself up to padding.
void check_answer(const Message& answer) {
    const std::vector<uint8_t> wire = answer.encode();
    const FrameCheck frame = check_frame(wire, 1 << 24);
    if (frame.state != FrameCheck::State::complete || frame.length != wire.size())
        fail("error answer does not frame", frame.error);
    CodecConfig config;
    config.max_message_size = 0xfffffc;
    config.max_avps = 1 << 20;
    auto again = decode(wire, config);
    if (!again) fail("error answer does not decode", to_string(again.error()));
    if (again->encode() != canonical(wire, *again)) fail("error answer re-encodes differently", "");
}

void check_frame_bytes(std::span<const uint8_t> frame) {
    (void)pretty_frame(frame);
    auto decoded = decode(frame);
    if (!decoded) {
        const Error& e = decoded.error();
        if (!decode_may_give(e.result_code)) fail("unexpected decode error", to_string(e));
        if (e.message.empty()) fail("decode error without a message", to_string(e));
        check_answer(error_answer(frame, e, "msf.example.net", "example.net"));
        return;
    }
    const std::vector<uint8_t> again = decoded->encode();
    if (again != canonical(frame, *decoded)) fail("re-encoded frame differs", decoded->name());
    if (decoded->encoded_size() != frame.size()) fail("encoded_size differs", decoded->name());
    auto twice = decode(again);
    if (!twice || !(*twice == *decoded))
        fail("decoded twice to different messages", decoded->name());
    (void)pretty(*decoded);
    (void)pretty(*decoded, PrettyOptions{.reveal_secrets = true, .max_hex_bytes = 8});
    if (const auto invalid = validate(*decoded)) {
        if (invalid->message.empty())
            fail("validation error without a message", to_string(*invalid));
        if (decoded->is_request())
            check_answer(error_answer(*decoded, *invalid, "msf.example.net", "example.net"));
    } else if (decoded->is_request()) {
        Message answer = Message::answer_to(*decoded);
        answer.add(avp::result_code, 2001u);
        check_answer(answer);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::span<const uint8_t> input(data, size);
    if (size == 0) return 0;
    if (data[0] != kVersion) {
        // A forged header around AVP bytes.
        if (size < 8) return 0;
        const size_t body = std::min<size_t>((size - 8) / 4 * 4, 60000);
        std::vector<uint8_t> frame(kHeaderSize + body, 0);
        frame[0] = kVersion;
        store_be24(frame.data() + 1, static_cast<uint32_t>(frame.size()));
        std::copy(data, data + 8, frame.begin() + 4);
        std::copy(data + 8, data + 8 + body, frame.begin() + kHeaderSize);
        check_frame_bytes(frame);
        return 0;
    }
    for (;;) {
        const FrameCheck check = check_frame(input);
        if (check.state == FrameCheck::State::invalid) {
            if (check.error.empty()) fail("invalid frame without a reason", "");
            return 0;
        }
        if (check.state == FrameCheck::State::need_more) return 0;
        if (check.length < kHeaderSize || check.length > input.size() || check.length % 4 != 0)
            fail("check_frame gave a bad length", std::to_string(check.length));
        check_frame_bytes(input.first(check.length));
        input = input.subspan(check.length);
    }
}
