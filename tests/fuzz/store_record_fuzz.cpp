// libFuzzer target for the session store's record layout (controlplane/sessions/store_record.hpp):
// the bytes of a store file are as hostile as any input once the disk or an attacker changed them.
//
// Input: byte 0 modulo 4 picks the decoder, the rest is its input.
//   0: decode_stream (a sealed stream's plaintext). Whatever decodes must re-encode to exactly
//      the input (the layout is canonical) and decode again to an equal stream.
//   1: decode_streams (a session's streams column) under a fixed store key, Session-Id "fuzz".
//      Framing is checked before anything is opened. What opens (seeds are sealed under the
//      fixed key) must seal again and open to the same streams.
//   2: the first 8 bytes are a dataplane id, the rest a plaintext that is sealed for it under the
//      fixed key and framed as a one-stream column: decode_streams must agree with decode_stream
//      and refuse a sealed spec whose id is not the column's.
//   3: decode_messages (a session's MSRP messages column) under the fixed key, Session-Id "fuzz";
//      what opens must seal again and open to the same messages.
// Failures must carry a message.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "controlplane/sessions/store_record.hpp"

namespace {

using namespace msf::sessions;

[[noreturn]] void fail(const char* what, const std::string& detail) {
    std::fprintf(stderr, "store_record_fuzz: %s: %s\n", what, detail.c_str());
    std::abort();
}

RecordCipher& fixed_cipher() {
    static std::unique_ptr<RecordCipher> cipher = [] {
        std::array<uint8_t, kStoreKeyLen> key;
        for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(i * 29 + 1);
        std::string error;
        std::unique_ptr<RecordCipher> c = RecordCipher::create(key, &error);
        if (!c) fail("cipher", error);
        return c;
    }();
    return *cipher;
}

void check_stream(std::span<const uint8_t> bytes) {
    msf::api::Decoded<MediaStream> decoded = decode_stream(bytes);
    if (!decoded) {
        if (decoded.error().message.empty()) fail("stream error without a message", "");
        return;
    }
    std::vector<uint8_t> again;
    encode_stream(*decoded, again);
    if (again.size() != bytes.size() || !std::equal(again.begin(), again.end(), bytes.begin()))
        fail("re-encoded stream differs",
             std::to_string(bytes.size()) + " bytes in, " + std::to_string(again.size()) + " out");
    msf::api::Decoded<MediaStream> twice = decode_stream(again);
    if (!twice || !(*twice == *decoded)) fail("re-decoded stream differs", "");
}

void check_column(std::span<const uint8_t> bytes) {
    msf::api::Decoded<std::vector<MediaStream>> decoded = decode_streams("fuzz", bytes, fixed_cipher());
    if (!decoded) {
        if (decoded.error().message.empty()) fail("column error without a message", "");
        return;
    }
    ControlSession session;
    session.session_id = "fuzz";
    session.streams = std::move(*decoded);
    std::vector<uint8_t> column;
    if (!encode_streams(session, fixed_cipher(), column)) fail("sealing failed", "");
    msf::api::Decoded<std::vector<MediaStream>> again = decode_streams("fuzz", column, fixed_cipher());
    if (!again || !(*again == session.streams)) fail("resealed column does not open to the same streams", "");
}

void check_sealed(std::span<const uint8_t> bytes) {
    if (bytes.size() < 8) return;
    uint64_t id = 0;
    for (size_t i = 0; i < 8; ++i) id = id << 8 | bytes[i];
    const std::span<const uint8_t> plaintext = bytes.subspan(8);
    std::vector<uint8_t> column{kRecordFormat, 0, 1};
    for (int shift = 56; shift >= 0; shift -= 8) column.push_back(static_cast<uint8_t>(id >> shift));
    std::vector<uint8_t> sealed;
    if (!fixed_cipher().seal(plaintext, record_aad("fuzz", id), sealed)) fail("sealing failed", "");
    for (int shift = 24; shift >= 0; shift -= 8) column.push_back(static_cast<uint8_t>(sealed.size() >> shift));
    column.insert(column.end(), sealed.begin(), sealed.end());

    msf::api::Decoded<std::vector<MediaStream>> decoded = decode_streams("fuzz", column, fixed_cipher());
    msf::api::Decoded<MediaStream> alone = decode_stream(plaintext);
    const bool should_open = sealed.size() <= kMaxSealedLength && alone && alone->spec.id == id;
    if (decoded.ok() != should_open)
        fail("column and stream decoders disagree", decoded ? "column opened" : decoded.error().message);
    if (!decoded) {
        if (decoded.error().message.empty()) fail("column error without a message", "");
        return;
    }
    if (decoded->size() != 1 || !((*decoded)[0] == *alone)) fail("column decoded to another stream", "");
}

void check_messages(std::span<const uint8_t> bytes) {
    msf::api::Decoded<std::vector<MessageStream>> decoded = decode_messages("fuzz", bytes, fixed_cipher());
    if (!decoded) {
        if (decoded.error().message.empty()) fail("messages error without a message", "");
        return;
    }
    ControlSession session;
    session.session_id = "fuzz";
    session.messages = std::move(*decoded);
    std::vector<uint8_t> column;
    if (!encode_messages(session, fixed_cipher(), column)) fail("sealing failed", "");
    msf::api::Decoded<std::vector<MessageStream>> again = decode_messages("fuzz", column, fixed_cipher());
    if (!again || !(*again == session.messages)) fail("resealed messages do not open to the same messages", "");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const std::span<const uint8_t> input(data + 1, size - 1);
    switch (data[0] % 4) {
        case 0: check_stream(input); break;
        case 1: check_column(input); break;
        case 2: check_sealed(input); break;
        default: check_messages(input); break;
    }
    return 0;
}
