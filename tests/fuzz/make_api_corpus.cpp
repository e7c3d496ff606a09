// Writes the seed corpus of api_decode_fuzz: every message type of the control protocol as a
// frame in a stream and as a bare body (api_fuzz_input.hpp), a stream of several frames, and
// malformed inputs (truncated, oversized fields, unknown type, wrong version, bad enum values,
// trailing bytes, broken framing). Valid seeds are checked to decode before they are written.
//
// usage: make-api-corpus DIR        (the files are committed; rerun after a format change)
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "dataplane/api/protocol.hpp"
#include "tests/dataplane/api/sample_messages.hpp"
#include "tests/fuzz/api_fuzz_input.hpp"

namespace {

using namespace msf::api;
using Bytes = std::vector<uint8_t>;

class Writer {
public:
    explicit Writer(std::filesystem::path dir) : dir_(std::move(dir)) {}

    void write(const std::string& name, const Bytes& input) {
        std::ofstream out(dir_ / name, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(input.data()), static_cast<std::streamsize>(input.size()));
        if (!out) {
            std::fprintf(stderr, "make-api-corpus: cannot write %s\n", (dir_ / name).c_str());
            ok_ = false;
        }
        ++files_;
    }

    void fail(const std::string& what) {
        std::fprintf(stderr, "make-api-corpus: %s\n", what.c_str());
        ok_ = false;
    }

    bool ok() const { return ok_; }
    size_t files() const { return files_; }

private:
    std::filesystem::path dir_;
    bool ok_ = true;
    size_t files_ = 0;
};

// Built with reserve + push_back: GCC 12 warns wrongly (-Warray-bounds) about inserting into a
// vector made from an initializer list.
Bytes stream_input(const Bytes& stream) {
    Bytes in;
    in.reserve(1 + stream.size());
    in.push_back(fuzz::kModeStream);
    in.insert(in.end(), stream.begin(), stream.end());
    return in;
}

Bytes body_input(uint16_t type, const Bytes& body) {
    Bytes in;
    in.reserve(3 + body.size());
    in.push_back(fuzz::kModeBody);
    in.push_back(static_cast<uint8_t>(type >> 8));
    in.push_back(static_cast<uint8_t>(type));
    in.insert(in.end(), body.begin(), body.end());
    return in;
}

Bytes body_of(const MessageBody& body) {
    Bytes out;
    encode_body(body, out);
    return out;
}

uint16_t raw(MessageType t) { return static_cast<uint16_t>(t); }

void valid_inputs(Writer& out) {
    Bytes all;
    for (const Message& m : testing::sample_messages()) {
        const std::string name(message_type_name(type_of(m.body)));
        const Bytes frame = encode(m);
        if (!decode(frame).ok()) out.fail(name + " sample does not decode");
        out.write(name + "-frame", stream_input(frame));
        out.write(name + "-body", body_input(raw(type_of(m.body)), body_of(m.body)));
        all.insert(all.end(), frame.begin(), frame.end());
    }
    out.write("all-types-stream", stream_input(all));

    // A full page of sessions and the largest counters a dataplane sends in practice.
    SessionListReply page;
    for (uint64_t id = 1; id <= 64; ++id) page.sessions.push_back(testing::sample_info(id));
    out.write("session_list_reply-64-body", body_input(raw(MessageType::session_list_reply), body_of(page)));
    SessionSpec v4_only = testing::sample_spec();
    v4_only.core = {testing::endpoint("10.0.0.1:20000"), testing::endpoint("10.0.0.2:30000"), false};
    v4_only.access.remote = {};
    out.write("session_add-v4-latching-frame", stream_input(encode(Message{77, SessionAddRequest{v4_only}})));
}

void malformed_inputs(Writer& out) {
    const Bytes add = body_of(SessionAddRequest{testing::sample_spec()});
    out.write("malformed-session_add-truncated",
              body_input(raw(MessageType::session_add), Bytes(add.begin(), add.begin() + 40)));
    SessionSpec big_key = testing::sample_spec();
    big_key.from_ue.master_key.assign(300, 0xaa);
    out.write("malformed-session_add-key-300", body_input(raw(MessageType::session_add),
                                                          body_of(SessionAddRequest{big_key})));
    SessionSpec bad_suite = testing::sample_spec();
    bad_suite.to_ue.suite = static_cast<msf::srtp::Suite>(9);
    out.write("malformed-session_add-bad-suite", body_input(raw(MessageType::session_add),
                                                            body_of(SessionAddRequest{bad_suite})));
    SessionSpec bad_family = testing::sample_spec();
    bad_family.core.local.addr.family = static_cast<msf::net::Family>(5);
    out.write("malformed-session_add-bad-family", body_input(raw(MessageType::session_add),
                                                             body_of(SessionAddRequest{bad_family})));
    out.write("malformed-hello-version-2",
              stream_input(encode(Message{1, HelloRequest{2, "future"}})));
    Bytes unknown = encode(Message{1, CountersRequest{}});
    unknown[4] = 0x03;
    unknown[5] = 0xe7;
    out.write("malformed-unknown-type", stream_input(unknown));
    Bytes trailing = body_of(SessionRemoveRequest{7});
    trailing.push_back(0);
    out.write("malformed-session_remove-trailing", body_input(raw(MessageType::session_remove), trailing));
    Bytes count = {0, 0, 0x13, 0x88};  // 5000 sessions announced
    out.write("malformed-session_list_reply-count", body_input(raw(MessageType::session_list_reply), count));
    Bytes flags = encode(Message{1, PortStatusRequest{}});
    flags[7] = 1;
    out.write("malformed-header-flags", stream_input(flags));
    out.write("malformed-frame-length-5", stream_input(Bytes{0, 0, 0, 5, 0, 1, 0, 0}));
    out.write("malformed-frame-length-2mib", stream_input(Bytes{0, 0x20, 0, 0, 0, 1, 0, 0}));
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    std::error_code ec;
    std::filesystem::create_directories(argv[1], ec);
    Writer out(argv[1]);
    valid_inputs(out);
    malformed_inputs(out);
    std::printf("make-api-corpus: %zu inputs in %s\n", out.files(), argv[1]);
    return out.ok() ? 0 : 1;
}
