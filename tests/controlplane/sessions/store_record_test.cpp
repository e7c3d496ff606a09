// The store's record layout: round trips, and every malformed, truncated, altered or misplaced
// record is refused with an error naming what is wrong.
#include <algorithm>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "controlplane/sessions/store_record.hpp"
#include "tests/controlplane/sessions/sample_sessions.hpp"

namespace msf::sessions {
namespace {

using ::testing::HasSubstr;
using namespace testing;
using Bytes = std::vector<uint8_t>;

std::unique_ptr<RecordCipher> cipher_with(uint8_t fill) {
    std::array<uint8_t, kStoreKeyLen> key;
    key.fill(fill);
    std::string error;
    std::unique_ptr<RecordCipher> cipher = RecordCipher::create(key, &error);
    EXPECT_NE(cipher, nullptr) << error;
    return cipher;
}

MediaStream full_stream() {
    MediaStream s = stored_session("x", 77, 1, 3).streams[0];
    s.media_type = "application";
    s.to_ue_key_generated = true;
    s.spec.access.remote = endpoint("[2001:db8::2]:40000");
    s.spec.access.local = endpoint("[2001:db8::10]:20000");
    s.spec.access.rtcp_mux = true;
    s.spec.from_ue.mki = {1, 2, 3};
    s.spec.from_ue.lifetime = 1u << 31;
    s.spec.replay_window = 1024;
    s.spec.inactivity_timeout_ms = 30000;
    return s;
}

TEST(StoreRecord, StreamRoundTripsEveryFieldAndReencodesToTheSameBytes) {
    const MediaStream s = full_stream();
    Bytes bytes;
    encode_stream(s, bytes);
    api::Decoded<MediaStream> decoded = decode_stream(bytes);
    ASSERT_TRUE(decoded) << decoded.error().message;
    EXPECT_EQ(*decoded, s);
    Bytes again;
    encode_stream(*decoded, again);
    EXPECT_EQ(again, bytes);
}

TEST(StoreRecord, EveryTruncationOfAStreamIsRefused) {
    Bytes bytes;
    encode_stream(full_stream(), bytes);
    for (size_t len = 0; len < bytes.size(); ++len) {
        api::Decoded<MediaStream> decoded = decode_stream(std::span(bytes).first(len));
        EXPECT_FALSE(decoded) << "prefix of " << len << " bytes decoded";
        if (!decoded) {
            EXPECT_FALSE(decoded.error().message.empty());
        }
    }
}

TEST(StoreRecord, StreamWithTrailingBytesUnknownFlagsOrLongMediaTypeIsRefused) {
    Bytes bytes;
    encode_stream(full_stream(), bytes);
    Bytes trailing = bytes;
    trailing.push_back(0);
    EXPECT_THAT(decode_stream(trailing).error().message, HasSubstr("spec"));
    Bytes flags = bytes;
    flags[4] = 0x03;
    EXPECT_THAT(decode_stream(flags).error().message, HasSubstr("flags: unknown bits"));
    Bytes long_type = bytes;
    long_type[5] = static_cast<uint8_t>(kMaxMediaTypeLen + 1);
    EXPECT_THAT(decode_stream(long_type).error().message, HasSubstr("media_type: length 65 exceeds 64"));
}

TEST(StoreRecord, SessionStreamsRoundTripThroughTheCipher) {
    const ControlSession session = stored_session("pcscf;9", 11, 3, 5);
    auto cipher = cipher_with(7);
    Bytes column;
    ASSERT_TRUE(encode_streams(session, *cipher, column));
    api::Decoded<std::vector<MediaStream>> decoded = decode_streams(session.session_id, column, *cipher);
    ASSERT_TRUE(decoded) << decoded.error().message;
    EXPECT_EQ(*decoded, session.streams);
}

TEST(StoreRecord, SealingTwiceUsesFreshNonces) {
    const ControlSession session = stored_session("pcscf;9", 11, 1);
    auto cipher = cipher_with(7);
    Bytes a, b;
    ASSERT_TRUE(encode_streams(session, *cipher, a));
    ASSERT_TRUE(encode_streams(session, *cipher, b));
    ASSERT_EQ(a.size(), b.size());
    EXPECT_NE(a, b);
}

// encode_streams and encode_messages build records in the cipher's scratch buffers, reused from
// session to session: each column still holds its own session, and no plaintext stays behind.
TEST(StoreRecord, SessionsSealedOneAfterAnotherEachDecodeToThemselves) {
    auto cipher = cipher_with(7);
    const ControlSession first = stored_session("pcscf;1;a-longer-session-id-than-the-second", 11, 3, 5);
    const ControlSession second = stored_session("pcscf;2", 21, 1);
    Bytes a, b;
    ASSERT_TRUE(encode_streams(first, *cipher, a));
    EXPECT_TRUE(cipher->scratch().plaintext.empty());
    ASSERT_TRUE(encode_streams(second, *cipher, b));
    EXPECT_TRUE(cipher->scratch().plaintext.empty());
    auto decoded_a = decode_streams(first.session_id, a, *cipher);
    auto decoded_b = decode_streams(second.session_id, b, *cipher);
    ASSERT_TRUE(decoded_a) << decoded_a.error().message;
    ASSERT_TRUE(decoded_b) << decoded_b.error().message;
    EXPECT_EQ(*decoded_a, first.streams);
    EXPECT_EQ(*decoded_b, second.streams);
}

TEST(StoreRecord, AnyFlippedByteOfAColumnIsRefused) {
    const ControlSession session = stored_session("pcscf;9", 11, 2);
    auto cipher = cipher_with(7);
    Bytes column;
    ASSERT_TRUE(encode_streams(session, *cipher, column));
    for (size_t i = 0; i < column.size(); ++i) {
        Bytes altered = column;
        altered[i] ^= 0x40;
        EXPECT_FALSE(decode_streams(session.session_id, altered, *cipher)) << "byte " << i;
    }
}

TEST(StoreRecord, WrongKeyOrOtherSessionIdDoesNotDecryptAndNamesTheStream) {
    const ControlSession session = stored_session("pcscf;9", 11, 1);
    auto cipher = cipher_with(7);
    Bytes column;
    ASSERT_TRUE(encode_streams(session, *cipher, column));
    EXPECT_THAT(decode_streams(session.session_id, column, *cipher_with(8)).error().message,
                HasSubstr("stream 11: does not decrypt with the store key"));
    EXPECT_THAT(decode_streams("pcscf;10", column, *cipher).error().message, HasSubstr("stream 11: does not decrypt"));
}

TEST(StoreRecord, MalformedColumnFramingIsRefusedWithTheReason) {
    auto cipher = cipher_with(7);
    const auto error = [&](const Bytes& column) { return decode_streams("s", column, *cipher).error().message; };
    EXPECT_THAT(error({}), HasSubstr("format: truncated"));
    EXPECT_THAT(error({2, 0, 0}), HasSubstr("format 2 is not 1"));
    EXPECT_THAT(error({1, 0x01, 0x01}), HasSubstr("stream count 257 exceeds 256"));
    EXPECT_THAT(error({1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 27}),
                HasSubstr("sealed length 27 is outside 28..4096"));
    EXPECT_THAT(error({1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0x10, 1}), HasSubstr("sealed length 4097"));
    EXPECT_THAT(error({1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 28, 1, 2}), HasSubstr("sealed record: truncated"));
    EXPECT_TRUE(decode_streams("s", Bytes{1, 0, 0}, *cipher));  // no streams: valid
    EXPECT_THAT(error({1, 0, 0, 9}), HasSubstr("1 trailing bytes"));
}

TEST(StoreRecord, SealedSpecWhoseIdDiffersFromTheColumnIdIsRefused) {
    ControlSession session = stored_session("s", 5, 1);
    auto cipher = cipher_with(7);
    Bytes plaintext;
    encode_stream(session.streams[0], plaintext);  // spec.id 5
    Bytes column{1, 0, 1};
    for (int shift = 56; shift >= 0; shift -= 8) column.push_back(static_cast<uint8_t>(uint64_t{6} >> shift));
    Bytes sealed;
    ASSERT_TRUE(cipher->seal(plaintext, record_aad("s", 6), sealed));
    for (int shift = 24; shift >= 0; shift -= 8) column.push_back(static_cast<uint8_t>(sealed.size() >> shift));
    column.insert(column.end(), sealed.begin(), sealed.end());
    EXPECT_THAT(decode_streams("s", column, *cipher).error().message, HasSubstr("stream 6: sealed spec has id 5"));
}

TEST(StoreRecord, OpenRefusesShortRecordsAndLeavesNoPlaintext) {
    auto cipher = cipher_with(7);
    Bytes plaintext{1, 2, 3};
    EXPECT_FALSE(cipher->open(Bytes(kSealOverhead - 1, 0), {}, plaintext));
    EXPECT_TRUE(plaintext.empty());
    Bytes sealed;
    ASSERT_TRUE(cipher->seal(Bytes{}, Bytes{9}, sealed));
    EXPECT_EQ(sealed.size(), kSealOverhead);
    EXPECT_TRUE(cipher->open(sealed, Bytes{9}, plaintext));
    EXPECT_FALSE(cipher->open(sealed, Bytes{8}, plaintext));
}

// ---- MSRP components (the messages column) ----

ControlSession with_messages() {
    ControlSession s = stored_session("pcscf;msrp", 5, 1, 9);
    s.messages = {message(2, 3), message(4, 5)};
    s.messages[1].ue_allow.clear();  // any source
    return s;
}

TEST(StoreRecord, MessagesRoundTripEveryFieldAndNoMessagesIsAnEmptyColumn) {
    auto cipher = cipher_with(7);
    const ControlSession s = with_messages();
    Bytes column;
    ASSERT_TRUE(encode_messages(s, *cipher, column));
    api::Decoded<std::vector<MessageStream>> decoded = decode_messages(s.session_id, column, *cipher);
    ASSERT_TRUE(decoded) << decoded.error().message;
    EXPECT_EQ(*decoded, s.messages);

    Bytes none;
    ASSERT_TRUE(encode_messages(stored_session("x", 1), *cipher, none));
    EXPECT_TRUE(none.empty());
    ASSERT_TRUE(decode_messages("x", none, *cipher));
    EXPECT_TRUE(decode_messages("x", none, *cipher)->empty());
}

TEST(StoreRecord, PskIsSealedAndAMessageDoesNotOpenUnderAnotherSessionOrKey) {
    auto cipher = cipher_with(7);
    const ControlSession s = with_messages();
    Bytes column;
    ASSERT_TRUE(encode_messages(s, *cipher, column));
    EXPECT_EQ(std::search(column.begin(), column.end(), s.messages[0].psk.begin(), s.messages[0].psk.end()),
              column.end());
    EXPECT_THAT(decode_messages("pcscf;other", column, *cipher).error().message,
                HasSubstr("message of component 2: does not decrypt"));
    EXPECT_THAT(decode_messages(s.session_id, column, *cipher_with(8)).error().message, HasSubstr("does not decrypt"));
}

TEST(StoreRecord, EveryTruncationAlteredByteOrTrailingByteOfTheMessagesColumnIsRefused) {
    auto cipher = cipher_with(7);
    const ControlSession s = with_messages();
    Bytes column;
    ASSERT_TRUE(encode_messages(s, *cipher, column));
    for (size_t len = 1; len < column.size(); ++len)
        EXPECT_FALSE(decode_messages(s.session_id, std::span(column).first(len), *cipher)) << "prefix " << len;
    for (size_t i = 0; i < column.size(); ++i) {
        Bytes altered = column;
        altered[i] ^= 0x01;
        EXPECT_FALSE(decode_messages(s.session_id, altered, *cipher)) << "byte " << i;
    }
    Bytes trailing = column;
    trailing.push_back(0);
    EXPECT_THAT(decode_messages(s.session_id, trailing, *cipher).error().message, HasSubstr("trailing"));
    EXPECT_THAT(decode_messages("s", Bytes{2, 0, 1}, *cipher).error().message, HasSubstr("format 2"));
    EXPECT_THAT(decode_messages("s", Bytes{1, 0, 0}, *cipher).error().message, HasSubstr("message count 0"));
}

TEST(StoreRecord, SealedMessageWithFieldsOutOfBoundsIsRefusedNamingTheField) {
    auto cipher = cipher_with(7);
    ControlSession s = with_messages();
    s.messages.resize(1);
    s.messages[0].psk.resize(8);  // shorter than kMinPskLen: encodes, must not decode
    Bytes column;
    ASSERT_TRUE(encode_messages(s, *cipher, column));
    EXPECT_THAT(decode_messages(s.session_id, column, *cipher).error().message, HasSubstr("psk: length 8"));
    s.messages[0].psk.assign(32, 1);
    s.messages[0].gw_core_path.clear();
    column.clear();
    ASSERT_TRUE(encode_messages(s, *cipher, column));
    EXPECT_THAT(decode_messages(s.session_id, column, *cipher).error().message, HasSubstr("gw_core_path: length 0"));
}

}  // namespace
}  // namespace msf::sessions
