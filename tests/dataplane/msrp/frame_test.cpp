// MSRP framing (RFC 4975 §7.1, §9): whole frames, chunks, frames fed byte by byte, and every
// malformed case as an error value.
#include "dataplane/msrp/frame.hpp"

#include <gtest/gtest.h>

#include <string>

namespace msf::msrp {
namespace {

using State = ParseResult::State;

const std::string kTo = "msrps://gw.example.net:2855/gwid123;tcp";
const std::string kFrom = "msrps://ue.example.net:7777/ueid456;tcp";

std::string send_frame(std::string_view tid, std::string_view body, char flag = '$',
                       std::string_view byte_range = "") {
    std::string frame = "MSRP " + std::string(tid) + " SEND\r\n";
    frame += "To-Path: " + kTo + "\r\n";
    frame += "From-Path: " + kFrom + "\r\n";
    frame += "Message-ID: msg4567\r\n";
    if (!byte_range.empty()) frame += "Byte-Range: " + std::string(byte_range) + "\r\n";
    frame += "Content-Type: text/plain\r\n\r\n";
    frame += body;
    frame += "\r\n-------" + std::string(tid) + flag + "\r\n";
    return frame;
}

std::string response_frame(std::string_view tid, std::string_view status_line) {
    return "MSRP " + std::string(tid) + " " + std::string(status_line) + "\r\nTo-Path: " + kFrom +
           "\r\nFrom-Path: " + kTo + "\r\n-------" + std::string(tid) + "$\r\n";
}

ParseResult parse_once(std::string_view stream, const Limits& limits = {}) {
    FrameParser parser(limits);
    return parser.parse(stream);
}

std::string header_value(const Frame& frame, std::string_view name) {
    for (const HeaderField& field : frame.headers)
        if (field.name == name) return std::string(field.value);
    return "<absent>";
}

TEST(MsrpFrame, SendRequestParsesStartLineHeadersAndBody) {
    const std::string bytes = send_frame("a786hjs2", "Hello world!", '$', "1-12/12");
    const ParseResult result = parse_once(bytes);
    ASSERT_EQ(result.state, State::complete) << result.detail;
    const Frame& frame = result.frame;
    EXPECT_EQ(frame.kind, FrameKind::request);
    EXPECT_EQ(frame.transaction_id, "a786hjs2");
    EXPECT_EQ(frame.method, "SEND");
    EXPECT_EQ(frame.headers[frame.to_path].value, kTo);
    EXPECT_EQ(frame.headers[frame.from_path].value, kFrom);
    EXPECT_EQ(frame.message_id, "msg4567");
    ASSERT_TRUE(frame.byte_range.has_value());
    EXPECT_EQ(*frame.byte_range, (ByteRange{1, 12, 12}));
    EXPECT_EQ(header_value(frame, "Content-Type"), "text/plain");
    EXPECT_EQ(frame.body, "Hello world!");
    EXPECT_TRUE(frame.has_body);
    EXPECT_EQ(frame.continuation, '$');
    EXPECT_EQ(frame.length, bytes.size());
}

TEST(MsrpFrame, ResponseWithCommentAndNoBody) {
    const std::string bytes = response_frame("a786hjs2", "200 OK");
    const ParseResult result = parse_once(bytes);
    ASSERT_EQ(result.state, State::complete) << result.detail;
    EXPECT_EQ(result.frame.kind, FrameKind::response);
    EXPECT_EQ(result.frame.status, 200);
    EXPECT_EQ(result.frame.comment, "OK");
    EXPECT_FALSE(result.frame.has_body);
    EXPECT_EQ(result.frame.length, bytes.size());
}

TEST(MsrpFrame, ResponseWithoutCommentParses) {
    const std::string bytes = response_frame("tid12345", "403");
    const ParseResult result = parse_once(bytes);
    ASSERT_EQ(result.state, State::complete) << result.detail;
    EXPECT_EQ(result.frame.status, 403);
    EXPECT_TRUE(result.frame.comment.empty());
}

TEST(MsrpFrame, EmptyBodyWithContentStuffParses) {
    const std::string bytes = send_frame("tid12345", "");
    const ParseResult result = parse_once(bytes);
    ASSERT_EQ(result.state, State::complete) << result.detail;
    EXPECT_TRUE(result.frame.has_body);
    EXPECT_TRUE(result.frame.body.empty());
}

TEST(MsrpFrame, SendWithoutBodyEndsAtEndLine) {
    // RFC 4975 §7.1.1: a SEND may have no body (used to keep a connection alive).
    const std::string bytes = "MSRP tid12345 SEND\r\nTo-Path: " + kTo + "\r\nFrom-Path: " + kFrom +
                              "\r\nMessage-ID: m1234\r\nByte-Range: 1-0/0\r\n-------tid12345$\r\n";
    const ParseResult result = parse_once(bytes);
    ASSERT_EQ(result.state, State::complete) << result.detail;
    EXPECT_FALSE(result.frame.has_body);
    EXPECT_EQ(result.frame.length, bytes.size());
}

TEST(MsrpFrame, UnknownMethodAndReportPassThrough) {
    for (const std::string method : {"REPORT", "NICKNAME", "FOO"}) {
        const std::string bytes = "MSRP tid12345 " + method + "\r\nTo-Path: " + kTo + "\r\nFrom-Path: " +
                                  kFrom + "\r\nStatus: 000 200 OK\r\n-------tid12345$\r\n";
        const ParseResult result = parse_once(bytes);
        ASSERT_EQ(result.state, State::complete) << method << ": " << result.detail;
        EXPECT_EQ(result.frame.method, method);
        EXPECT_EQ(header_value(result.frame, "Status"), "000 200 OK");
    }
}

TEST(MsrpFrame, BodyContainingAnEndLineOfAnotherTransactionIsNotCutShort) {
    const std::string body = "line\r\n-------othertid$\r\n-------tid1234X\r\n-------tid1234\r\nend";
    const std::string bytes = send_frame("tid1234", body);
    const ParseResult result = parse_once(bytes);
    ASSERT_EQ(result.state, State::complete) << result.detail;
    EXPECT_EQ(result.frame.body, body);
    EXPECT_EQ(result.frame.length, bytes.size());
}

TEST(MsrpFrame, BinaryBodyIsCopiedExactly) {
    std::string body;
    for (int i = 0; i < 4096; ++i) body += static_cast<char>((i * 7 + 3) & 0xff);
    const std::string bytes = send_frame("bin12345", body);
    const ParseResult result = parse_once(bytes);
    ASSERT_EQ(result.state, State::complete) << result.detail;
    EXPECT_EQ(result.frame.body, body);
}

TEST(MsrpFrame, ContinuationFlagsAreReported) {
    EXPECT_EQ(parse_once(send_frame("tid12345", "abc", '+', "1-3/*")).frame.continuation, '+');
    EXPECT_EQ(parse_once(send_frame("tid12345", "abc", '#', "1-*/10")).frame.continuation, '#');
}

TEST(MsrpFrame, FedOneByteAtATimeGivesTheSameFrames) {
    const std::string first = send_frame("first123", "chunk one", '+', "1-9/18");
    const std::string second = send_frame("second12", "chunk two", '$', "10-18/18");
    const std::string third = response_frame("first123", "200 OK");
    const std::string stream = first + second + third;
    FrameParser parser(Limits{});
    std::vector<std::string> bodies;
    std::vector<size_t> lengths;
    size_t start = 0;
    for (size_t end = start + 1; end <= stream.size(); ++end) {
        const ParseResult result = parser.parse(std::string_view(stream).substr(start, end - start));
        ASSERT_NE(result.state, State::invalid) << result.detail;
        if (result.state == State::complete) {
            bodies.emplace_back(result.frame.body);
            lengths.push_back(result.frame.length);
            start += result.frame.length;
        }
    }
    EXPECT_EQ(start, stream.size());
    EXPECT_EQ(bodies, (std::vector<std::string>{"chunk one", "chunk two", ""}));
    EXPECT_EQ(lengths, (std::vector<size_t>{first.size(), second.size(), third.size()}));
}

TEST(MsrpFrame, PartialFrameNeedsMore) {
    const std::string bytes = send_frame("tid12345", "body");
    for (size_t cut : {size_t{0}, size_t{4}, size_t{20}, bytes.size() - 3, bytes.size() - 1})
        EXPECT_EQ(parse_once(std::string_view(bytes).substr(0, cut)).state, State::need_more) << cut;
}

TEST(MsrpFrame, TrailingBytesOfTheNextFrameAreLeftAlone) {
    const std::string bytes = send_frame("tid12345", "body") + "MSRP next";
    const ParseResult result = parse_once(bytes);
    ASSERT_EQ(result.state, State::complete);
    EXPECT_EQ(result.frame.length, bytes.size() - 9);
}

struct MalformedCase {
    const char* what;
    std::string bytes;
    FrameError error;
};

class MsrpFrameMalformed : public ::testing::TestWithParam<MalformedCase> {};

TEST_P(MsrpFrameMalformed, IsRefusedWithItsError) {
    const ParseResult result = parse_once(GetParam().bytes);
    ASSERT_EQ(result.state, State::invalid) << GetParam().what;
    EXPECT_EQ(frame_error_name(result.error), frame_error_name(GetParam().error)) << GetParam().what;
}

std::string paths() { return "To-Path: " + kTo + "\r\nFrom-Path: " + kFrom + "\r\n"; }

INSTANTIATE_TEST_SUITE_P(
    AllCases, MsrpFrameMalformed,
    ::testing::Values(
        MalformedCase{"not MSRP", "HTTP/1.1 200 OK\r\n\r\n", FrameError::bad_start_line},
        MalformedCase{"no method", "MSRP tid12345\r\n" + paths() + "-------tid12345$\r\n", FrameError::bad_start_line},
        MalformedCase{"short tid", "MSRP abc SEND\r\n" + paths() + "-------abc$\r\n", FrameError::bad_transaction_id},
        MalformedCase{"tid bad char", "MSRP ab*cd SEND\r\n", FrameError::bad_transaction_id},
        MalformedCase{"tid too long", "MSRP " + std::string(33, 'a') + " SEND\r\n", FrameError::bad_transaction_id},
        MalformedCase{"lower-case method", "MSRP tid12345 send\r\n" + paths() + "-------tid12345$\r\n", FrameError::bad_method},
        MalformedCase{"status 099", "MSRP tid12345 099 x\r\n" + paths() + "-------tid12345$\r\n", FrameError::bad_status},
        MalformedCase{"no To-Path", "MSRP tid12345 REPORT\r\nFrom-Path: " + kFrom + "\r\n-------tid12345$\r\n", FrameError::missing_path},
        MalformedCase{"no From-Path", "MSRP tid12345 REPORT\r\nTo-Path: " + kTo + "\r\n-------tid12345$\r\n", FrameError::missing_path},
        MalformedCase{"To-Path twice", "MSRP tid12345 REPORT\r\n" + paths() + "To-Path: " + kTo + "\r\n-------tid12345$\r\n", FrameError::duplicate_header},
        MalformedCase{"SEND without Message-ID", "MSRP tid12345 SEND\r\n" + paths() + "\r\nx\r\n-------tid12345$\r\n", FrameError::missing_message_id},
        MalformedCase{"header without colon", "MSRP tid12345 SEND\r\n" + paths() + "Bogus\r\n-------tid12345$\r\n", FrameError::bad_header},
        MalformedCase{"header name not a token", "MSRP tid12345 SEND\r\n" + paths() + "B@d: x\r\n-------tid12345$\r\n", FrameError::bad_header},
        MalformedCase{"control char in value", "MSRP tid12345 SEND\r\n" + paths() + "X: a\x01" "b\r\n-------tid12345$\r\n", FrameError::bad_header},
        MalformedCase{"bare LF in header", "MSRP tid12345 SEND\r\nTo-Path: a\nb\r\nFrom-Path: c\r\n-------tid12345$\r\n", FrameError::bad_header},
        MalformedCase{"Byte-Range start 0", "MSRP tid12345 SEND\r\n" + paths() + "Message-ID: m1234\r\nByte-Range: 0-3/3\r\n\r\nabc\r\n-------tid12345$\r\n", FrameError::bad_byte_range},
        MalformedCase{"Byte-Range end past total", "MSRP tid12345 SEND\r\n" + paths() + "Message-ID: m1234\r\nByte-Range: 1-9/3\r\n\r\nabc\r\n-------tid12345$\r\n", FrameError::bad_byte_range},
        MalformedCase{"Byte-Range not numbers", "MSRP tid12345 SEND\r\n" + paths() + "Message-ID: m1234\r\nByte-Range: a-b/c\r\n\r\nabc\r\n-------tid12345$\r\n", FrameError::bad_byte_range},
        MalformedCase{"Byte-Range differs from body", "MSRP tid12345 SEND\r\n" + paths() + "Message-ID: m1234\r\nByte-Range: 1-5/5\r\n\r\nabc\r\n-------tid12345$\r\n", FrameError::bad_byte_range},
        MalformedCase{"end-line of another transaction", "MSRP tid12345 SEND\r\n" + paths() + "Message-ID: m1234\r\n-------other12$\r\n", FrameError::bad_end_line},
        MalformedCase{"end-line without flag", "MSRP tid12345 REPORT\r\n" + paths() + "-------tid12345\r\n", FrameError::bad_end_line},
        MalformedCase{"response with body", "MSRP tid12345 200 OK\r\n" + paths() + "\r\nbody\r\n-------tid12345$\r\n", FrameError::bad_header},
        MalformedCase{"header lines too long", "MSRP tid12345 SEND\r\n" + paths() + "X: " + std::string(20000, 'x') + "\r\n", FrameError::header_too_long},
        MalformedCase{"header without CRLF too long", "MSRP tid12345 SEND\r\nX: " + std::string(20000, 'x'), FrameError::header_too_long},
        MalformedCase{"too many headers", [] {
            std::string s = "MSRP tid12345 REPORT\r\n" + paths();
            for (int i = 0; i < 70; ++i) s += "X-" + std::to_string(i) + ": v\r\n";
            return s + "-------tid12345$\r\n";
        }(), FrameError::too_many_headers}));

TEST(MsrpFrame, ChunkLargerThanTheLimitIsRefusedBeforeItsEnd) {
    Limits limits;
    limits.max_chunk_size = 1000;
    std::string bytes = send_frame("tid12345", std::string(5000, 'z'));
    bytes.resize(bytes.size() - 100);  // the end-line has not arrived: refused anyway
    const ParseResult result = parse_once(bytes, limits);
    ASSERT_EQ(result.state, State::invalid);
    EXPECT_EQ(result.error, FrameError::chunk_too_large);
    EXPECT_EQ(parse_once(send_frame("tid12345", std::string(1000, 'z')), limits).state, State::complete);
}

TEST(MsrpFrame, ParserWorksAgainAfterAnInvalidFrame) {
    FrameParser parser(Limits{});
    EXPECT_EQ(parser.parse("NOT MSRP\r\n").state, State::invalid);
    EXPECT_EQ(parser.parse(send_frame("tid12345", "x")).state, State::complete);
}

TEST(MsrpByteRange, ParsesStarsAndNumbers) {
    EXPECT_EQ(parse_byte_range("1-*/*"), (ByteRange{1, std::nullopt, std::nullopt}));
    EXPECT_EQ(parse_byte_range("11-20/30"), (ByteRange{11, 20, 30}));
    EXPECT_FALSE(parse_byte_range("1-2"));
    EXPECT_FALSE(parse_byte_range("5-3/10"));
    EXPECT_FALSE(parse_byte_range("-1-2/3"));
    EXPECT_FALSE(parse_byte_range("1-2/99999999999999999999"));
}

// A frame's views point into its bytes, so the tests keep the bytes alive beside it.
struct OwnedFrame {
    std::string bytes;
    ParseResult parsed;
    explicit OwnedFrame(std::string b) : bytes(std::move(b)), parsed(parse_once(bytes)) {}
    const Frame& frame() const { return parsed.frame; }
};

TEST(MsrpMessageTracker, CountsChunksAndBytesPerMessageId) {
    Limits limits;
    limits.max_message_size = 10;
    limits.max_chunks_per_message = 3;
    limits.max_open_messages = 1;
    MessageTracker tracker(limits);
    const OwnedFrame first(send_frame("tid12345", "1234", '+', "1-4/*"));
    ASSERT_EQ(first.parsed.state, State::complete);
    EXPECT_FALSE(tracker.add(first.frame()));
    EXPECT_EQ(tracker.open_messages(), 1u);
    const OwnedFrame second(send_frame("tid12346", "5678", '+', "5-8/*"));
    EXPECT_FALSE(tracker.add(second.frame()));
    const OwnedFrame third(send_frame("tid12347", "9abc", '$', "9-12/*"));
    EXPECT_EQ(tracker.add(third.frame()), FrameError::message_too_large);
    EXPECT_EQ(tracker.open_messages(), 0u);
}

TEST(MsrpMessageTracker, LastChunkClosesTheMessage) {
    MessageTracker tracker(Limits{});
    const OwnedFrame first(send_frame("tid12345", "12", '+', "1-2/4"));
    const OwnedFrame last(send_frame("tid12346", "34", '$', "3-4/4"));
    EXPECT_FALSE(tracker.add(first.frame()));
    EXPECT_FALSE(tracker.add(last.frame()));
    EXPECT_EQ(tracker.open_messages(), 0u);
}

TEST(MsrpMessageTracker, RefusesTooManyChunksAndTooManyOpenMessages) {
    Limits limits;
    limits.max_chunks_per_message = 2;
    limits.max_open_messages = 1;
    MessageTracker tracker(limits);
    const OwnedFrame chunk(send_frame("tid12345", "x", '+'));
    EXPECT_FALSE(tracker.add(chunk.frame()));
    EXPECT_FALSE(tracker.add(chunk.frame()));
    EXPECT_EQ(tracker.add(chunk.frame()), FrameError::too_many_chunks);

    MessageTracker open(limits);
    std::string other_bytes = send_frame("tid12345", "x", '+');
    other_bytes.replace(other_bytes.find("msg4567"), 7, "msg9999");
    const OwnedFrame other(other_bytes);
    EXPECT_FALSE(open.add(chunk.frame()));
    EXPECT_EQ(open.add(other.frame()), FrameError::too_many_open_messages);
}

TEST(MsrpMessageTracker, TotalAboveTheLimitIsRefusedAtTheFirstChunk) {
    Limits limits;
    limits.max_message_size = 100;
    MessageTracker tracker(limits);
    const OwnedFrame chunk(send_frame("tid12345", "x", '+', "1-1/1000"));
    EXPECT_EQ(tracker.add(chunk.frame()), FrameError::message_too_large);
}

TEST(MsrpRewrite, OnlyThePathValuesChange) {
    const std::string body = "To-Path: in the body stays\r\n";
    const std::string bytes = send_frame("tid12345", body);
    const ParseResult result = parse_once(bytes);
    ASSERT_EQ(result.state, State::complete);
    std::string out;
    append_with_paths(out, bytes, result.frame, "msrp://10.0.0.1:2855/core;tcp", "msrp://10.0.0.2:2855/gw;tcp");
    std::string expected = bytes;
    expected.replace(expected.find(kTo), kTo.size(), "msrp://10.0.0.1:2855/core;tcp");
    expected.replace(expected.find(kFrom), kFrom.size(), "msrp://10.0.0.2:2855/gw;tcp");
    EXPECT_EQ(out, expected);
    const ParseResult again = parse_once(out);
    ASSERT_EQ(again.state, State::complete);
    EXPECT_EQ(again.frame.body, body);
}

}  // namespace
}  // namespace msf::msrp
