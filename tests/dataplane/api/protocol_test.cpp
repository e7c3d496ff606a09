#include "dataplane/api/protocol.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "tests/dataplane/api/sample_messages.hpp"

namespace msf::api {
namespace {

using ::testing::HasSubstr;
using testing::sample_info;
using testing::sample_messages;
using testing::sample_port;
using testing::sample_spec;
using Bytes = std::vector<uint8_t>;

Bytes body_of(const MessageBody& body) {
    Bytes out;
    encode_body(body, out);
    return out;
}

uint16_t raw(MessageType t) { return static_cast<uint16_t>(t); }

// Expects decoding to fail with `code` and exactly `message`.
void expect_error(const Decoded<MessageBody>& d, ResultCode code, const std::string& message) {
    ASSERT_FALSE(d.ok()) << "decoded although it should not: " << message;
    EXPECT_EQ(d.error().code, code) << d.error().message;
    EXPECT_EQ(d.error().message, message);
}

void put32(Bytes& b, uint32_t v) {
    for (int i = 3; i >= 0; --i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

TEST(MessageTable, SamplesCoverEveryTypeInTableOrder) {
    const auto samples = sample_messages();
    ASSERT_EQ(samples.size(), kMessageTypeCount);
    for (size_t i = 0; i < kMessageTypeCount; ++i) {
        EXPECT_EQ(type_of(samples[i].body), kMessageTypes[i].type) << kMessageTypes[i].name;
        EXPECT_EQ(message_type_index(raw(kMessageTypes[i].type)), i);
    }
}

TEST(MessageTable, NamesTypesAndUnknownRawValues) {
    EXPECT_EQ(message_type_name(MessageType::session_add), "session_add");
    EXPECT_EQ(message_type_name(raw(MessageType::event)), "event");
    EXPECT_EQ(message_type_name(999), "type 999");
    EXPECT_FALSE(message_type_index(0).has_value());
    std::set<std::string_view> names;
    for (const auto& t : kMessageTypes) names.insert(t.name);
    EXPECT_EQ(names.size(), kMessageTypeCount);
}

TEST(ResultCodes, EveryCodeHasItsName) {
    const std::vector<std::string_view> expected = {
        "ok", "bad_message", "unsupported_version", "unknown_type", "not_found",
        "already_exists", "invalid_argument", "no_space", "internal", "unavailable"};
    ASSERT_EQ(expected.size(), kResultCodeCount);
    for (size_t i = 0; i < kResultCodeCount; ++i)
        EXPECT_EQ(result_code_name(static_cast<ResultCode>(i)), expected[i]);
    EXPECT_EQ(to_string(Result::failure(ResultCode::not_found, "no session 4")),
              "not_found: no session 4");
    EXPECT_EQ(to_string(Result::success()), "ok");
}

TEST(RoundTrip, EveryMessageDecodesToWhatWasEncodedAndReencodesToTheSameBytes) {
    for (const Message& m : sample_messages()) {
        SCOPED_TRACE(message_type_name(type_of(m.body)));
        const Bytes frame = encode(m);
        ASSERT_GE(frame.size(), kHeaderSize);
        const FrameCheck check = check_frame(frame);
        ASSERT_EQ(check.state, FrameCheck::State::complete);
        EXPECT_EQ(check.length, frame.size());
        auto decoded = decode(frame);
        ASSERT_TRUE(decoded.ok()) << decoded.error().message;
        EXPECT_EQ(*decoded, m);
        EXPECT_EQ(encode(*decoded), frame);
    }
}

TEST(RoundTrip, SessionSpecKeepsEveryFieldIncludingKeys) {
    auto d = decode(encode(Message{9, SessionAddRequest{sample_spec()}}));
    ASSERT_TRUE(d.ok()) << d.error().message;
    const SessionSpec& s = std::get<SessionAddRequest>(d->body).spec;
    EXPECT_EQ(s.access.local.to_string(), "192.0.2.10:40000");
    EXPECT_EQ(s.core.remote.to_string(), "[2001:db8:1::20]:6000");
    EXPECT_TRUE(s.core.rtcp_mux);
    EXPECT_EQ(s.to_ue.suite, srtp::Suite::aead_aes_256_gcm);
    EXPECT_EQ(s.to_ue.master_key, testing::byte_run(32, 0x20));
    EXPECT_EQ(s.from_ue.mki, (Bytes{0x00, 0x01}));
    EXPECT_EQ(s.replay_window, 256u);
    EXPECT_EQ(s.inactivity_timeout_ms, 30000u);
}

TEST(RoundTrip, SessionInfoNeverCarriesMasterKeyOrSalt) {
    SessionInfo with_keys = sample_info();
    with_keys.spec = sample_spec();  // a handler that forgot to strip the keys
    const Bytes frame = encode(Message{5, SessionInfoReply{with_keys}});
    const Bytes key = sample_spec().to_ue.master_key;
    EXPECT_EQ(std::search(frame.begin(), frame.end(), key.begin(), key.end()), frame.end());
    auto d = decode(frame);
    ASSERT_TRUE(d.ok()) << d.error().message;
    EXPECT_EQ(std::get<SessionInfoReply>(d->body).info, sample_info());
}

TEST(RoundTrip, EndpointFamiliesNoneV4V6) {
    SessionSpec spec = sample_spec();
    spec.access.remote = {};
    spec.access.local = testing::endpoint("[::1]:2");
    auto d = decode(encode(Message{1, SessionModifyRequest{spec}}));
    ASSERT_TRUE(d.ok()) << d.error().message;
    EXPECT_EQ(std::get<SessionModifyRequest>(d->body).spec, spec);
}

// Hand-computed from the header layout in protocol.hpp.
TEST(GoldenBytes, Hello) {
    const Bytes expected = {
        0x00, 0x00, 0x00, 0x1a,              // total_length 26
        0x00, 0x01,                          // type hello
        0x00, 0x00,                          // flags
        0x00, 0x00, 0x00, 0x07,              // request_id 7
        0x00, 0x00, 0x00, 0x01,              // version 1
        0x00, 0x00, 0x00, 0x06,              // client_name length 6
        'm', 's', 'f', 'c', 't', 'l',
    };
    EXPECT_EQ(encode(Message{7, HelloRequest{1, "msfctl"}}), expected);
    auto d = decode(expected);
    ASSERT_TRUE(d.ok()) << d.error().message;
    EXPECT_EQ(d->request_id, 7u);
    EXPECT_EQ(std::get<HelloRequest>(d->body).client_name, "msfctl");
}

TEST(GoldenBytes, SessionRemove) {
    const Bytes expected = {
        0x00, 0x00, 0x00, 0x14,                          // total_length 20
        0x00, 0x12,                                      // type session_remove (18)
        0x00, 0x00,                                      // flags
        0x0a, 0x0b, 0x0c, 0x0d,                          // request_id
        0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,  // session id
    };
    EXPECT_EQ(encode(Message{0x0a0b0c0d, SessionRemoveRequest{0x0102030405060708}}), expected);
    auto d = decode(expected);
    ASSERT_TRUE(d.ok()) << d.error().message;
    EXPECT_EQ(std::get<SessionRemoveRequest>(d->body).session_id, 0x0102030405060708u);
}

TEST(Malformed, BodyTruncatedAtEveryByteIsRefused) {
    for (const Message& m : sample_messages()) {
        const Bytes body = body_of(m.body);
        const uint16_t type = raw(type_of(m.body));
        for (size_t len = 0; len < body.size(); ++len) {
            auto d = decode_body(type, std::span<const uint8_t>(body).first(len));
            ASSERT_FALSE(d.ok()) << message_type_name(type) << " decoded from " << len << " of "
                                 << body.size() << " bytes";
            EXPECT_EQ(d.error().code, ResultCode::bad_message);
            EXPECT_THAT(d.error().message, ::testing::AnyOf(HasSubstr("truncated"), HasSubstr("overruns")))
                << d.error().message;
            EXPECT_THAT(d.error().message, ::testing::StartsWith(std::string(message_type_name(type)) + ": "));
        }
    }
}

TEST(Malformed, FrameTruncatedAtEveryByteIsIncompleteAndDoesNotDecode) {
    for (const Message& m : sample_messages()) {
        const Bytes frame = encode(m);
        for (size_t len = 0; len < frame.size(); ++len) {
            const auto prefix = std::span<const uint8_t>(frame).first(len);
            EXPECT_EQ(check_frame(prefix).state, FrameCheck::State::need_more);
            EXPECT_FALSE(decode(prefix).ok()) << len;
            if (len < kHeaderSize) continue;
            // The same prefix with total_length fixed up: the body decoder must notice.
            Bytes fixed(prefix.begin(), prefix.end());
            fixed[0] = fixed[1] = 0;
            fixed[2] = static_cast<uint8_t>(len >> 8);
            fixed[3] = static_cast<uint8_t>(len);
            auto d = decode(fixed);
            ASSERT_FALSE(d.ok()) << message_type_name(type_of(m.body)) << " at " << len;
            EXPECT_EQ(d.error().code, ResultCode::bad_message);
        }
    }
}

TEST(Malformed, ErrorsNameTheMessageFieldAndProblem) {
    Bytes hello = {0, 0, 0, 1};
    EXPECT_EQ(decode_body(raw(MessageType::hello), std::span<const uint8_t>(hello).first(2)).error().message,
              "hello: version: truncated (needs 4 bytes, 2 left)");
    put32(hello, 100);
    for (char c : std::string("msfctl")) hello.push_back(static_cast<uint8_t>(c));
    expect_error(decode_body(raw(MessageType::hello), hello), ResultCode::bad_message,
                 "hello: client_name: length 100 overruns the message (6 bytes left)");
}

TEST(Malformed, OversizedKeySaltAndMki) {
    SessionSpec spec = sample_spec();
    spec.from_ue.master_key.assign(300, 0xaa);
    expect_error(decode_body(raw(MessageType::session_add), body_of(SessionAddRequest{spec})),
                 ResultCode::bad_message, "session_add: from_ue.master_key: length 300 exceeds 32");
    spec = sample_spec();
    spec.to_ue.master_salt.assign(15, 1);
    expect_error(decode_body(raw(MessageType::session_modify), body_of(SessionModifyRequest{spec})),
                 ResultCode::bad_message, "session_modify: to_ue.master_salt: length 15 exceeds 14");
    spec = sample_spec();
    spec.to_ue.mki.assign(17, 1);
    expect_error(decode_body(raw(MessageType::session_add), body_of(SessionAddRequest{spec})),
                 ResultCode::bad_message, "session_add: to_ue.mki: length 17 exceeds 16");
}

TEST(Malformed, LengthFieldOverrunningTheMessage) {
    // A key length of 0xfffffff0 must be refused before anything is allocated for it.
    Bytes body = body_of(SessionAddRequest{sample_spec()});
    // Offset of from_ue.master_key's length: id 8, access leg (7+7+1), core leg (19+19+1), suite 1.
    const size_t at = 8 + 15 + 39 + 1;
    ASSERT_EQ(body[at + 3], 16);  // the key is 16 bytes
    body[at] = 0xff;
    body[at + 1] = 0xff;
    body[at + 2] = 0xff;
    body[at + 3] = 0xf0;
    expect_error(decode_body(raw(MessageType::session_add), body), ResultCode::bad_message,
                 "session_add: from_ue.master_key: length 4294967280 exceeds 32");
}

TEST(Malformed, VectorCountsBeyondTheLimitOrTheMessage) {
    Bytes body;
    put32(body, 5000);
    expect_error(decode_body(raw(MessageType::session_list_reply), body), ResultCode::bad_message,
                 "session_list_reply: sessions: count 5000 exceeds 1024");
    body.clear();
    put32(body, 1000);
    put32(body, 0);
    put32(body, 0);
    expect_error(decode_body(raw(MessageType::session_list_reply), body), ResultCode::bad_message,
                 "session_list_reply: sessions: count 1000 overruns the message (8 bytes left)");
    body.clear();
    put32(body, 2000);
    expect_error(decode_body(raw(MessageType::port_status_reply), body), ResultCode::bad_message,
                 "port_status_reply: ports: count 2000 exceeds 1024");
    body.clear();
    put32(body, 1025);
    expect_error(decode_body(raw(MessageType::counters_reply), body), ResultCode::bad_message,
                 "counters_reply: workers: count 1025 exceeds 1024");
}

TEST(Malformed, UnknownType) {
    expect_error(decode_body(999, {}), ResultCode::unknown_type, "unknown message type 999");
    Bytes frame = encode(Message{3, CountersRequest{}});
    frame[4] = 0x03;
    frame[5] = 0xe7;
    auto d = decode(frame);
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.error().code, ResultCode::unknown_type);
}

TEST(Malformed, WrongVersion) {
    expect_error(decode_body(raw(MessageType::hello), body_of(HelloRequest{2, "future"})),
                 ResultCode::unsupported_version, "hello: version 2 not supported (this side speaks 1)");
    expect_error(decode_body(raw(MessageType::hello_reply), body_of(HelloReply{0, "old", "x", 100})),
                 ResultCode::unsupported_version,
                 "hello_reply: version 0 not supported (this side speaks 1)");
}

TEST(Malformed, BadEnumValues) {
    SessionSpec spec = sample_spec();
    spec.to_ue.suite = static_cast<srtp::Suite>(9);
    expect_error(decode_body(raw(MessageType::session_add), body_of(SessionAddRequest{spec})),
                 ResultCode::bad_message, "session_add: to_ue.suite: bad suite 9");

    SessionListReply list{{sample_info(1), sample_info(2)}, 0};
    list.sessions[1].spec.core.remote.addr.family = static_cast<net::Family>(5);
    expect_error(decode_body(raw(MessageType::session_list_reply), body_of(list)), ResultCode::bad_message,
                 "session_list_reply: sessions[1].spec.core.remote.family: bad address family 5");

    Bytes ports = body_of(PortStatusReply{{sample_port(0)}});
    const size_t link_up_at = 4 + 2 + 4 + sample_port(0).name.size() + 4 + sample_port(0).driver.size();
    ASSERT_EQ(ports[link_up_at], 1);
    ports[link_up_at] = 2;
    expect_error(decode_body(raw(MessageType::port_status_reply), ports), ResultCode::bad_message,
                 "port_status_reply: ports[0].link_up: bad boolean 2");

    Bytes event = body_of(EventPush{Event{EventType::inactivity, 1, Side::access, 2}});
    event[0] = 7;
    expect_error(decode_body(raw(MessageType::event), event), ResultCode::bad_message,
                 "event: type: bad event type 7");
    event[0] = 1;
    event[9] = 3;
    expect_error(decode_body(raw(MessageType::event), event), ResultCode::bad_message,
                 "event: side: bad side 3");

    Bytes result = body_of(ResultReply{Result::success()});
    result[1] = 99;
    expect_error(decode_body(raw(MessageType::result), result), ResultCode::bad_message,
                 "result: code: bad result code 99");
}

TEST(Malformed, TrailingGarbage) {
    for (const Message& m : sample_messages()) {
        Bytes body = body_of(m.body);
        body.insert(body.end(), {0xde, 0xad, 0xbe});
        expect_error(decode_body(raw(type_of(m.body)), body), ResultCode::bad_message,
                     std::string(message_type_name(type_of(m.body))) + ": 3 trailing bytes after the body");
    }
}

TEST(Malformed, NamesWithControlCharactersOrTooLong) {
    expect_error(decode_body(raw(MessageType::hello), body_of(HelloRequest{1, "ms\x1b[2J"})),
                 ResultCode::bad_message, "hello: client_name: control character 27 at offset 2");
    expect_error(decode_body(raw(MessageType::hello), body_of(HelloRequest{1, std::string(129, 'a')})),
                 ResultCode::bad_message, "hello: client_name: length 129 exceeds 128");
    EXPECT_TRUE(decode_body(raw(MessageType::hello), body_of(HelloRequest{1, std::string(128, 'a')})).ok());
}

TEST(Framing, TotalLengthOutsideTheLimitsIsInvalid) {
    Bytes frame = {0, 0, 0, 11};
    FrameCheck c = check_frame(frame);
    EXPECT_EQ(c.state, FrameCheck::State::invalid);
    EXPECT_EQ(c.error, "frame length 11 outside 12..1048576");
    frame = {0, 0x10, 0, 1};
    EXPECT_EQ(check_frame(frame).state, FrameCheck::State::invalid);
    frame = {0, 0x10, 0, 0};  // exactly 1 MiB: waits for the bytes
    EXPECT_EQ(check_frame(frame).state, FrameCheck::State::need_more);
    frame = {0, 0, 0};
    EXPECT_EQ(check_frame(frame).state, FrameCheck::State::need_more);
}

TEST(Framing, TwoFramesInOneStreamSplitAtTheFirst) {
    Bytes stream = encode(Message{1, CountersRequest{}});
    const size_t first = stream.size();
    encode(Message{2, PortStatusRequest{}}, stream);
    const FrameCheck c = check_frame(stream);
    ASSERT_EQ(c.state, FrameCheck::State::complete);
    EXPECT_EQ(c.length, first);
    auto second = decode(std::span<const uint8_t>(stream).subspan(first));
    ASSERT_TRUE(second.ok()) << second.error().message;
    EXPECT_EQ(second->request_id, 2u);
}

TEST(Framing, HeaderFlagsAndLengthMismatch) {
    Bytes frame = encode(Message{1, CountersRequest{}});
    frame[7] = 4;
    auto d = decode(frame);
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.error().message, "header: flags 0x0004 not defined in version 1");
    frame[7] = 0;
    frame.push_back(0);
    d = decode(frame);
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.error().message, "header: total_length 12 but the frame has 13 bytes");
}

TEST(Counters, TotalsSumWorkersAndPorts) {
    const std::vector<WorkerStats> w = {testing::sample_worker(1), testing::sample_worker(2)};
    const std::vector<PortStatus> p = {sample_port(0), sample_port(1)};
    const CounterTotals t = sum_counters(w, p);
    EXPECT_EQ(t.rx_packets, 1001u + 1002u);
    EXPECT_EQ(t.drops_checksum, 6u + 7u);
    EXPECT_EQ(t.slow_path, 7u + 8u);
    EXPECT_EQ(t.port_rx_missed, 15u + 16u);
    EXPECT_EQ(t.port_rx_nombuf, 18u + 19u);
}

TEST(ValidateSessionSpec, AcceptsTheSampleAndALatchingAccessLeg) {
    EXPECT_TRUE(validate_session_spec(sample_spec()).ok());
    SessionSpec s = sample_spec();
    s.access.remote = {};
    EXPECT_TRUE(validate_session_spec(s).ok()) << to_string(validate_session_spec(s));
}

TEST(ValidateSessionSpec, NamesTheFirstWrongField) {
    struct Case {
        void (*change)(SessionSpec&);
        std::string message;
    };
    const std::vector<Case> cases = {
        {[](SessionSpec& s) { s.id = 0; }, "id: 0 is not a session id"},
        {[](SessionSpec& s) { s.access.local = {}; }, "access.local: missing address"},
        {[](SessionSpec& s) { s.access.local.port = 0; }, "access.local: port 0"},
        {[](SessionSpec& s) { s.access.local.port = 65535; },
         "access.local: port 65535 leaves no port for RTCP (rtcp_mux is off)"},
        {[](SessionSpec& s) { s.access.remote = testing::endpoint("[2001:db8::1]:5000"); },
         "access.remote: address family differs from access.local"},
        {[](SessionSpec& s) { s.access.remote = net::Endpoint{{}, 5000}; },
         "access.remote: port without an address"},
        {[](SessionSpec& s) { s.core.remote = {}; }, "core.remote: missing address"},
        {[](SessionSpec& s) { s.core.remote.port = 0; }, "core.remote: port 0"},
        {[](SessionSpec& s) { s.from_ue.master_key.pop_back(); },
         "from_ue.master_key: length 15, AES_CM_128_HMAC_SHA1_80 needs 16"},
        {[](SessionSpec& s) { s.to_ue.master_salt.push_back(0); },
         "to_ue.master_salt: length 13, AEAD_AES_256_GCM needs 12"},
        {[](SessionSpec& s) { s.replay_window = 100; },
         "replay_window: 100 is not a power of two in 64..1024"},
        {[](SessionSpec& s) { s.replay_window = 2048; },
         "replay_window: 2048 is not a power of two in 64..1024"},
        {[](SessionSpec& s) { s.replay_window = 32; },
         "replay_window: 32 is not a power of two in 64..1024"},
    };
    for (const Case& c : cases) {
        SessionSpec s = sample_spec();
        c.change(s);
        const Result r = validate_session_spec(s);
        EXPECT_EQ(r.code, ResultCode::invalid_argument) << c.message;
        EXPECT_EQ(r.message, c.message);
    }
    SessionSpec mux = sample_spec();
    mux.core.local.port = 65535;  // the core leg multiplexes RTCP: no port + 1 needed
    EXPECT_TRUE(validate_session_spec(mux).ok()) << to_string(validate_session_spec(mux));
}

TEST(Keys, WipeKeysClearsKeysAndSaltsOnly) {
    SessionSpec s = sample_spec();
    wipe_keys(s);
    EXPECT_TRUE(s.from_ue.master_key.empty());
    EXPECT_TRUE(s.from_ue.master_salt.empty());
    EXPECT_TRUE(s.to_ue.master_key.empty());
    EXPECT_TRUE(s.to_ue.master_salt.empty());
    EXPECT_EQ(s.from_ue.mki, sample_spec().from_ue.mki);
    Bytes b = {1, 2, 3};
    wipe_bytes(b);
    EXPECT_EQ(b, (Bytes{0, 0, 0}));
}

TEST(Encode, SessionAddBodyIsTheBodyOfASessionAddRequest) {
    SessionSpec spec = sample_spec();
    Bytes direct;
    encode_session_add_body(spec, direct);
    Bytes via_body;
    encode_body(SessionAddRequest{spec}, via_body);
    EXPECT_EQ(direct, via_body);
    // Appends, like encode_body: what was in the buffer stays in front.
    Bytes appended = {0xaa};
    encode_session_add_body(spec, appended);
    ASSERT_EQ(appended.size(), direct.size() + 1);
    EXPECT_EQ(appended[0], 0xaa);
    EXPECT_TRUE(std::equal(direct.begin(), direct.end(), appended.begin() + 1));
}

TEST(Encode, FieldsLongerThanTheWritersBufferRoundTrip) {
    // Strings past the writer's staging buffer, and many fields in a row, keep their order.
    SessionSpec spec = sample_spec();
    spec.from_ue.mki.assign(srtp::kMaxMkiLen, 0x5a);
    const Message add{9, SessionAddRequest{spec}};
    auto decoded = decode(encode(add));
    ASSERT_TRUE(decoded.ok()) << decoded.error().message;
    EXPECT_EQ(*decoded, add);
    ErrorReply long_error;
    long_error.error = Result::failure(ResultCode::internal, std::string(kMaxResultMessageLen, 'x'));
    const Message error{10, long_error};
    auto decoded_error = decode(encode(error));
    ASSERT_TRUE(decoded_error.ok()) << decoded_error.error().message;
    EXPECT_EQ(*decoded_error, error);
}

}  // namespace
}  // namespace msf::api
