// libFuzzer target for the MSRP framing parser (dataplane/msrp/frame.hpp) and the path rewrite
// msf-msrpd applies: the bytes a UE or a core endpoint can send. Input: the first byte picks how
// the rest is split into reads (the parser is incremental), the rest is the stream.
//
// Checked beyond "does not crash": the stream parsed in one piece and in small pieces gives the
// same frames and the same error; a complete frame's views lie inside the stream and its body
// ends right before the end-line; rewriting its paths and parsing the result gives the same body,
// flag and headers with the new paths; parse_uri on any path value either fails or formats to a
// URI that parses to an equal one; MessageTracker never throws.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/msrp/frame.hpp"
#include "dataplane/msrp/uri.hpp"

namespace {

using namespace msf::msrp;

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "msrp_parse_fuzz: %s\n", what);
    std::abort();
}

struct Outcome {
    std::vector<std::string> frames;  // whole frames, in order
    bool invalid = false;
    FrameError error{};
};

Limits fuzz_limits() {
    Limits limits;
    limits.max_header_bytes = 2048;
    limits.max_chunk_size = 4096;
    limits.max_message_size = 8192;
    limits.max_chunks_per_message = 8;
    limits.max_open_messages = 4;
    return limits;
}

void check_frame(std::string_view stream, const Frame& frame) {
    auto inside = [&](std::string_view view) {
        return view.empty() || (view.data() >= stream.data() && view.data() + view.size() <= stream.data() + frame.length);
    };
    if (frame.length == 0 || frame.length > stream.size()) fail("frame length outside the stream");
    if (!inside(frame.transaction_id) || !inside(frame.body)) fail("view outside the frame");
    if (frame.to_path >= frame.headers.size() || frame.from_path >= frame.headers.size()) fail("path index");
    for (const HeaderField& field : frame.headers)
        if (!inside(field.name) || !inside(field.value)) fail("header view outside the frame");
    const std::string end_line = "-------" + std::string(frame.transaction_id) + frame.continuation + "\r\n";
    if (stream.substr(0, frame.length).substr(frame.length - end_line.size()) != end_line) fail("frame does not end in its end-line");

    for (const size_t index : {frame.to_path, frame.from_path}) {
        std::string error;
        if (const std::optional<Uri> uri = parse_uri(frame.headers[index].value, &error)) {
            const std::optional<Uri> again = parse_uri(format_uri(*uri));
            if (!again || !same_uri(*uri, *again)) fail("formatted URI does not parse back to the same");
        } else if (error.empty()) {
            fail("URI refused without a reason");
        }
    }

    std::string rewritten;
    append_with_paths(rewritten, stream, frame, "msrp://192.0.2.1:2855/abcdefgh;tcp", "msrps://[2001:db8::1]:1/x;tcp");
    FrameParser parser(Limits{});
    const ParseResult again = parser.parse(rewritten);
    if (again.state != ParseResult::State::complete) fail("rewritten frame does not parse");
    const Frame& copy = again.frame;
    if (copy.length != rewritten.size() || copy.body != frame.body || copy.continuation != frame.continuation ||
        copy.headers.size() != frame.headers.size() || copy.headers[copy.to_path].value != "msrp://192.0.2.1:2855/abcdefgh;tcp" ||
        copy.headers[copy.from_path].value != "msrps://[2001:db8::1]:1/x;tcp")
        fail("rewrite changed more than the paths");
}

Outcome run(std::string_view stream, size_t piece) {
    Outcome outcome;
    FrameParser parser(fuzz_limits());
    MessageTracker tracker(fuzz_limits());
    size_t start = 0;
    size_t end = piece == 0 ? stream.size() : std::min(stream.size(), piece);
    while (start < stream.size()) {
        const std::string_view available = stream.substr(start, end - start);
        const ParseResult result = parser.parse(available);
        if (result.state == ParseResult::State::invalid) {
            outcome.invalid = true;
            outcome.error = result.error;
            return outcome;
        }
        if (result.state == ParseResult::State::complete) {
            check_frame(available, result.frame);
            outcome.frames.emplace_back(available.substr(0, result.frame.length));
            if (const std::optional<FrameError> limit = tracker.add(result.frame)) {
                outcome.invalid = true;
                outcome.error = *limit;
                return outcome;
            }
            start += result.frame.length;
            continue;
        }
        if (end == stream.size()) break;  // need more, and there is no more
        end = piece == 0 ? stream.size() : std::min(stream.size(), end + piece);
    }
    return outcome;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const size_t piece = 1 + data[0] % 17;
    const std::string_view stream(reinterpret_cast<const char*>(data + 1), size - 1);
    const Outcome whole = run(stream, 0);
    const Outcome pieces = run(stream, piece);
    if (whole.frames != pieces.frames) fail("frames differ between one read and many");
    if (whole.invalid != pieces.invalid || (whole.invalid && whole.error != pieces.error))
        fail("error differs between one read and many");
    (void)parse_byte_range(stream.substr(0, 64));
    return 0;
}
