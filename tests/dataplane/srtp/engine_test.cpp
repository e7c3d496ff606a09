// The engine's behaviour per packet status, stream state (ROC, replay, SSRC binding, key
// lifetime), bursts against packet-by-packet processing, and policy validation.
#include "dataplane/srtp/engine.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/srtp/context.hpp"
#include "tests/dataplane/srtp/test_packets.hpp"

namespace msf::srtp {
namespace {

using unit::Bytes;
using unit::make_context;
using unit::make_policy;
using unit::make_rtcp;
using unit::make_rtp;
using unit::Op;

Bytes rtp(uint16_t seq, uint32_t ssrc = 0xcafebabe, size_t payload = 160) {
    unit::Rtp spec;
    spec.seq = seq;
    spec.ssrc = ssrc;
    spec.ts = seq * 160u;
    spec.payload_len = payload;
    spec.payload_seed = static_cast<uint8_t>(seq);
    return make_rtp(spec);
}

bool contains_word(std::string text, std::string word) {
    auto lower = [](std::string s) {
        for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return s;
    };
    return lower(std::move(text)).find(lower(std::move(word))) != std::string::npos;
}

struct StreamState {
    bool started;
    uint64_t highest;
    uint32_t roc;
    uint64_t packets;
    bool rtcp_started;
    uint32_t rtcp_highest;
    uint64_t rtcp_packets;
    bool operator==(const StreamState&) const = default;
};

StreamState state_of(const Context& c) {
    return {c.rtp_started(), c.rtp_highest_index(), c.rtp_roc(), c.rtp_packets(),
            c.rtcp_started(), c.rtcp_highest_index(), c.rtcp_packets()};
}

void PrintTo(const StreamState& s, std::ostream* os) {
    *os << "{rtp started " << s.started << " highest " << s.highest << " roc " << s.roc << " packets "
        << s.packets << "; rtcp started " << s.rtcp_started << " highest " << s.rtcp_highest
        << " packets " << s.rtcp_packets << "}";
}

class EngineTest : public ::testing::TestWithParam<Suite> {
protected:
    Suite suite() const { return GetParam(); }
    const SuiteInfo& info() const { return suite_info(GetParam()); }
    Status run(Op op, Context* ctx, Bytes& pkt, uint32_t capacity = 0) {
        return unit::run(engine, op, ctx, pkt, capacity);
    }
    Bytes protected_rtp(Context* tx, uint16_t seq, uint32_t ssrc = 0xcafebabe, size_t payload = 160) {
        Bytes p = rtp(seq, ssrc, payload);
        EXPECT_EQ(run(Op::protect_rtp, tx, p), Status::ok) << "seq " << seq;
        return p;
    }
    Bytes protected_rtcp(Context* tx, uint32_t ssrc = 0xcafebabe, uint16_t words = 6) {
        Bytes p = make_rtcp(ssrc, words);
        EXPECT_EQ(run(Op::protect_rtcp, tx, p), Status::ok);
        return p;
    }

    Engine engine;
};

// ---- Statuses, names, arch ------------------------------------------------------------------

TEST(StatusName, EveryStatusHasItsOwnName) {
    std::vector<std::string_view> names;
    for (int i = 0; i < kStatusCount; ++i) {
        const std::string_view n = status_name(static_cast<Status>(i));
        EXPECT_NE(n, "unknown") << i;
        EXPECT_EQ(std::count(names.begin(), names.end(), n), 0) << n;
        names.push_back(n);
    }
    EXPECT_EQ(status_name(Status::ok), "ok");
    EXPECT_EQ(status_name(Status::key_expired), "key_expired");
}

TEST(EngineArch, NamesTheIpsecMbCodePath) {
    Engine engine;
    EXPECT_FALSE(engine.arch().empty());
}

// ---- no_context -----------------------------------------------------------------------------

TEST(EngineNoContext, EveryOperationReportsNoContext) {
    Engine engine;
    for (Op op : {Op::protect_rtp, Op::unprotect_rtp, Op::protect_rtcp, Op::unprotect_rtcp}) {
        Bytes p = op == Op::protect_rtp || op == Op::unprotect_rtp ? rtp(1) : make_rtcp(1);
        EXPECT_EQ(unit::run(engine, op, nullptr, p), Status::no_context) << static_cast<int>(op);
    }
}

TEST(EngineBurst, EmptyBurstIsANoOp) {
    Engine engine;
    engine.protect_rtp({}, {});
    engine.unprotect_rtp({}, {});
    engine.protect_rtcp({}, {});
    engine.unprotect_rtcp({}, {});
    SUCCEED();
}

// ---- malformed ------------------------------------------------------------------------------

TEST_P(EngineTest, RtpShorterThanTheFixedHeaderIsMalformed) {
    auto ctx = make_context(make_policy(suite()));
    for (size_t len : {0u, 1u, 4u, 11u}) {
        Bytes full = rtp(1);
        Bytes p(full.begin(), full.begin() + static_cast<long>(len));
        EXPECT_EQ(run(Op::protect_rtp, ctx.get(), p), Status::malformed) << len;
        p.assign(full.begin(), full.begin() + static_cast<long>(len));
        EXPECT_EQ(run(Op::unprotect_rtp, ctx.get(), p), Status::malformed) << len;
    }
}

TEST_P(EngineTest, RtpVersionOtherThanTwoIsMalformed) {
    auto tx = make_context(make_policy(suite()));
    auto rx = make_context(make_policy(suite()));
    const Bytes good = protected_rtp(tx.get(), 1);
    for (uint8_t version : {0, 1, 3}) {
        Bytes p = rtp(2);
        p[0] = static_cast<uint8_t>((p[0] & 0x3f) | version << 6);
        EXPECT_EQ(run(Op::protect_rtp, tx.get(), p), Status::malformed) << int{version};
        Bytes s = good;
        s[0] = static_cast<uint8_t>((s[0] & 0x3f) | version << 6);
        EXPECT_EQ(run(Op::unprotect_rtp, rx.get(), s), Status::malformed) << int{version};
    }
}

TEST_P(EngineTest, CsrcCountPastTheEndIsMalformed) {
    auto ctx = make_context(make_policy(suite()));
    // CC = 15 needs a 72-byte header; the packet has 12 + 40.
    Bytes p = rtp(1, 0xcafebabe, 40);
    p[0] |= 0x0f;
    Bytes q = p;
    EXPECT_EQ(run(Op::protect_rtp, ctx.get(), p), Status::malformed);
    EXPECT_EQ(run(Op::unprotect_rtp, ctx.get(), q), Status::malformed);
}

TEST_P(EngineTest, HeaderExtensionHeaderPastTheEndIsMalformed) {
    auto ctx = make_context(make_policy(suite()));
    Bytes p = rtp(1, 0xcafebabe, 0);  // 12 bytes, X set: no room for the extension header
    p[0] |= 0x10;
    Bytes q = p;
    EXPECT_EQ(run(Op::protect_rtp, ctx.get(), p), Status::malformed);
    EXPECT_EQ(run(Op::unprotect_rtp, ctx.get(), q), Status::malformed);
}

TEST_P(EngineTest, HeaderExtensionLengthPastTheEndIsMalformed) {
    auto ctx = make_context(make_policy(suite()));
    unit::Rtp spec;
    spec.seq = 1;
    spec.csrcs = {1, 2};
    spec.use_ext = true;
    spec.ext_words = {0, 0};
    spec.payload_len = 40;
    Bytes p = make_rtp(spec);
    const size_t ext_len_at = 12 + 8 + 2;
    p[ext_len_at] = 0x00;
    p[ext_len_at + 1] = 0xff;  // 1020 bytes of extension in a 76-byte packet
    Bytes q = p;
    EXPECT_EQ(run(Op::protect_rtp, ctx.get(), p), Status::malformed);
    EXPECT_EQ(run(Op::unprotect_rtp, ctx.get(), q), Status::malformed);
}

TEST_P(EngineTest, SrtpShorterThanHeaderPlusTagIsMalformed) {
    Policy policy = make_policy(suite());
    auto tx = make_context(policy);
    auto rx = make_context(policy);
    const Bytes empty = protected_rtp(tx.get(), 1, 0xcafebabe, 0);  // header + tag exactly
    ASSERT_EQ(empty.size(), 12u + info().rtp_tag_len);
    for (size_t cut = 1; cut <= info().rtp_tag_len; ++cut) {
        Bytes p(empty.begin(), empty.end() - static_cast<long>(cut));
        EXPECT_EQ(run(Op::unprotect_rtp, rx.get(), p), Status::malformed) << "len " << p.size();
    }
    // CSRCs count into the header: a tag overlapping them is not a packet.
    unit::Rtp spec;
    spec.seq = 2;
    spec.csrcs = {1, 2, 3};
    spec.payload_len = 0;
    Bytes c = make_rtp(spec);
    c.resize(c.size() + info().rtp_tag_len - 1, 0);
    EXPECT_EQ(run(Op::unprotect_rtp, rx.get(), c), Status::malformed);
    // The untruncated packet with its empty payload is fine.
    Bytes whole = empty;
    EXPECT_EQ(run(Op::unprotect_rtp, rx.get(), whole), Status::ok);
    EXPECT_EQ(whole, rtp(1, 0xcafebabe, 0));
}

TEST_P(EngineTest, SrtpShorterThanHeaderPlusMkiPlusTagIsMalformed) {
    Policy policy = make_policy(suite());
    policy.mki = {9, 8, 7, 6};
    auto tx = make_context(policy);
    auto rx = make_context(policy);
    const Bytes empty = protected_rtp(tx.get(), 1, 0xcafebabe, 0);
    ASSERT_EQ(empty.size(), 12u + 4 + info().rtp_tag_len);
    Bytes p(empty.begin(), empty.end() - 1);
    EXPECT_EQ(run(Op::unprotect_rtp, rx.get(), p), Status::malformed);
    Bytes whole = empty;
    EXPECT_EQ(run(Op::unprotect_rtp, rx.get(), whole), Status::ok);
}

TEST_P(EngineTest, RtcpShorterThanItsHeaderOrWrongVersionIsMalformed) {
    auto ctx = make_context(make_policy(suite()));
    for (size_t len : {0u, 1u, 4u, 7u}) {
        Bytes full = make_rtcp(1);
        Bytes p(full.begin(), full.begin() + static_cast<long>(len));
        EXPECT_EQ(run(Op::protect_rtcp, ctx.get(), p), Status::malformed) << len;
    }
    for (uint8_t version : {0, 1, 3}) {
        Bytes p = make_rtcp(1);
        p[0] = static_cast<uint8_t>((p[0] & 0x3f) | version << 6);
        EXPECT_EQ(run(Op::protect_rtcp, ctx.get(), p), Status::malformed) << int{version};
    }
}

TEST_P(EngineTest, SrtcpShorterThanHeaderIndexAndTagIsMalformed) {
    auto tx = make_context(make_policy(suite()));
    auto rx = make_context(make_policy(suite()));
    const Bytes smallest = protected_rtcp(tx.get(), 0xcafebabe, 0);  // an 8-byte RTCP packet
    ASSERT_EQ(smallest.size(), 8u + 4 + info().rtcp_tag_len);
    for (size_t len = 0; len < smallest.size(); ++len) {
        Bytes p(smallest.begin(), smallest.begin() + static_cast<long>(len));
        EXPECT_EQ(run(Op::unprotect_rtcp, rx.get(), p), Status::malformed) << "len " << len;
    }
    Bytes v = smallest;
    v[0] &= 0x3f;  // version 0
    EXPECT_EQ(run(Op::unprotect_rtcp, rx.get(), v), Status::malformed);
    Bytes whole = smallest;
    EXPECT_EQ(run(Op::unprotect_rtcp, rx.get(), whole), Status::ok);
    EXPECT_EQ(whole, make_rtcp(0xcafebabe, 0));
}

// ---- no_room --------------------------------------------------------------------------------

TEST_P(EngineTest, TailroomCoversMkiTagAndSrtcpIndex) {
    for (size_t mki : {size_t{0}, size_t{1}, size_t{4}, kMaxMkiLen}) {
        Policy policy = make_policy(suite());
        policy.mki.assign(mki, 0x5a);
        auto ctx = make_context(policy);
        EXPECT_GE(ctx->rtp_tailroom(), mki + info().rtp_tag_len);
        EXPECT_GE(ctx->rtcp_tailroom(), 4 + mki + info().rtcp_tag_len);
        EXPECT_EQ(ctx->mki().size(), mki);
    }
}

TEST_P(EngineTest, ProtectNeedsExactlyTheTailroomItAnnounces) {
    for (size_t mki : {0u, 3u}) {
        Policy policy = make_policy(suite());
        policy.mki.assign(mki, 0x5a);
        auto tx = make_context(policy);
        auto rx = make_context(policy);

        Bytes p = rtp(10);
        const uint32_t need = static_cast<uint32_t>(p.size()) + tx->rtp_tailroom();
        EXPECT_EQ(run(Op::protect_rtp, tx.get(), p, need - 1), Status::no_room);
        EXPECT_EQ(run(Op::protect_rtp, tx.get(), p, static_cast<uint32_t>(p.size())), Status::no_room);
        EXPECT_EQ(tx->rtp_packets(), 0u);
        ASSERT_EQ(run(Op::protect_rtp, tx.get(), p, need), Status::ok);
        EXPECT_EQ(p.size(), rtp(10).size() + mki + info().rtp_tag_len);
        EXPECT_EQ(run(Op::unprotect_rtp, rx.get(), p), Status::ok);

        Bytes r = make_rtcp(0xcafebabe);
        const uint32_t rneed = static_cast<uint32_t>(r.size()) + tx->rtcp_tailroom();
        EXPECT_EQ(run(Op::protect_rtcp, tx.get(), r, rneed - 1), Status::no_room);
        ASSERT_EQ(run(Op::protect_rtcp, tx.get(), r, rneed), Status::ok);
        EXPECT_EQ(r.size(), make_rtcp(0xcafebabe).size() + 4 + mki + info().rtcp_tag_len);
        // The SRTCP packet that failed for room did not use up index 1.
        const size_t e_at = info().cipher == Cipher::aes_gcm ? r.size() - mki - 4
                                                             : r.size() - info().rtcp_tag_len - mki - 4;
        EXPECT_EQ(unit::to_hex({r.data() + e_at, 4}), "80000001");
        EXPECT_EQ(run(Op::unprotect_rtcp, rx.get(), r), Status::ok);
        EXPECT_EQ(rx->rtcp_highest_index(), 1u);
    }
}

// ---- replay ---------------------------------------------------------------------------------

TEST_P(EngineTest, SameSrtpPacketTwiceIsAReplay) {
    auto tx = make_context(make_policy(suite()));
    auto rx = make_context(make_policy(suite()));
    const Bytes s = protected_rtp(tx.get(), 1000);
    Bytes a = s, b = s;
    EXPECT_EQ(run(Op::unprotect_rtp, rx.get(), a), Status::ok);
    EXPECT_EQ(run(Op::unprotect_rtp, rx.get(), b), Status::replay);
    EXPECT_EQ(rx->rtp_packets(), 1u);
}

TEST_P(EngineTest, SrtpOlderThanTheWindowIsAReplay) {
    Policy policy = make_policy(suite());
    policy.replay_window = 64;
    auto tx = make_context(policy);
    auto rx = make_context(policy);
    std::vector<Bytes> sent;
    for (uint16_t seq = 0; seq <= 100; ++seq) sent.push_back(protected_rtp(tx.get(), seq));
    Bytes p = sent[1];
    ASSERT_EQ(run(Op::unprotect_rtp, rx.get(), p), Status::ok);
    p = sent[100];
    ASSERT_EQ(run(Op::unprotect_rtp, rx.get(), p), Status::ok);
    p = sent[100 - 64];  // never received, but 64 behind the highest
    EXPECT_EQ(run(Op::unprotect_rtp, rx.get(), p), Status::replay);
    p = sent[100 - 63];  // the oldest index the window still covers
    EXPECT_EQ(run(Op::unprotect_rtp, rx.get(), p), Status::ok);
    p = sent[100 - 63];
    EXPECT_EQ(run(Op::unprotect_rtp, rx.get(), p), Status::replay);
    p = sent[0];
    EXPECT_EQ(run(Op::unprotect_rtp, rx.get(), p), Status::replay);
}

TEST_P(EngineTest, LargerWindowAcceptsOlderPackets) {
    Policy policy = make_policy(suite());
    policy.replay_window = 1024;
    auto tx = make_context(policy);
    auto rx = make_context(policy);
    std::vector<Bytes> sent;
    for (uint16_t seq = 0; seq <= 1100; ++seq) sent.push_back(protected_rtp(tx.get(), seq, 0xcafebabe, 1));
    Bytes p = sent[1100];
    ASSERT_EQ(run(Op::unprotect_rtp, rx.get(), p), Status::ok);
    p = sent[1100 - 1023];
    EXPECT_EQ(run(Op::unprotect_rtp, rx.get(), p), Status::ok);
    p = sent[1100 - 1024];
    EXPECT_EQ(run(Op::unprotect_rtp, rx.get(), p), Status::replay);
}

TEST_P(EngineTest, SameSrtcpPacketTwiceIsAReplay) {
    auto tx = make_context(make_policy(suite()));
    auto rx = make_context(make_policy(suite()));
    const Bytes s = protected_rtcp(tx.get());
    Bytes a = s, b = s;
    EXPECT_EQ(run(Op::unprotect_rtcp, rx.get(), a), Status::ok);
    EXPECT_EQ(run(Op::unprotect_rtcp, rx.get(), b), Status::replay);
    EXPECT_EQ(rx->rtcp_packets(), 1u);
}

TEST_P(EngineTest, SrtcpOlderThanTheWindowIsAReplay) {
    auto tx = make_context(make_policy(suite()));  // default window 128
    auto rx = make_context(make_policy(suite()));
    std::vector<Bytes> sent;  // sent[i] has SRTCP index i + 1
    for (int i = 0; i < 200; ++i) sent.push_back(protected_rtcp(tx.get(), 0xcafebabe, 1));
    Bytes p = sent[199];
    ASSERT_EQ(run(Op::unprotect_rtcp, rx.get(), p), Status::ok);
    EXPECT_EQ(rx->rtcp_highest_index(), 200u);
    p = sent[199 - 128];
    EXPECT_EQ(run(Op::unprotect_rtcp, rx.get(), p), Status::replay);
    p = sent[199 - 127];
    EXPECT_EQ(run(Op::unprotect_rtcp, rx.get(), p), Status::ok);
}

// ---- auth_failed ----------------------------------------------------------------------------

TEST_P(EngineTest, EveryFlippedByteOfSrtpFailsAuthentication) {
    auto tx = make_context(make_policy(suite()));
    auto rx = make_context(make_policy(suite()));
    const Bytes good = protected_rtp(tx.get(), 77, 0xcafebabe, 40);
    for (size_t i = 0; i < good.size(); ++i) {
        Bytes p = good;
        p[i] ^= 0x01;
        EXPECT_EQ(run(Op::unprotect_rtp, rx.get(), p), Status::auth_failed) << "byte " << i;
    }
    for (size_t i = good.size() - info().rtp_tag_len; i < good.size(); ++i) {
        Bytes p = good;
        p[i] ^= 0x80;
        EXPECT_EQ(run(Op::unprotect_rtp, rx.get(), p), Status::auth_failed) << "tag byte " << i;
    }
    EXPECT_FALSE(rx->rtp_started());
    Bytes p = good;
    EXPECT_EQ(run(Op::unprotect_rtp, rx.get(), p), Status::ok);
}

TEST_P(EngineTest, EveryFlippedByteOfSrtcpFailsAuthentication) {
    auto tx = make_context(make_policy(suite()));
    auto rx = make_context(make_policy(suite()));
    const Bytes good = protected_rtcp(tx.get());
    for (size_t i = 0; i < good.size(); ++i) {
        Bytes p = good;
        p[i] ^= 0x01;
        EXPECT_EQ(run(Op::unprotect_rtcp, rx.get(), p), Status::auth_failed) << "byte " << i;
    }
    // The E flag is authenticated too (RFC 3711 §3.4, RFC 7714 §9).
    const size_t e_at = info().cipher == Cipher::aes_gcm ? good.size() - 4 : good.size() - info().rtcp_tag_len - 4;
    Bytes e = good;
    e[e_at] ^= 0x80;
    EXPECT_EQ(run(Op::unprotect_rtcp, rx.get(), e), Status::auth_failed);
    EXPECT_FALSE(rx->rtcp_started());
    Bytes p = good;
    EXPECT_EQ(run(Op::unprotect_rtcp, rx.get(), p), Status::ok);
}

TEST_P(EngineTest, PacketFromAnotherKeyFailsAuthentication) {
    auto tx = make_context(make_policy(suite(), 1));
    auto rx = make_context(make_policy(suite(), 2));
    Bytes p = protected_rtp(tx.get(), 5);
    EXPECT_EQ(run(Op::unprotect_rtp, rx.get(), p), Status::auth_failed);
    Bytes r = protected_rtcp(tx.get());
    EXPECT_EQ(run(Op::unprotect_rtcp, rx.get(), r), Status::auth_failed);
}

// ---- mki_mismatch ---------------------------------------------------------------------------

TEST_P(EngineTest, UnknownMkiIsAnMkiMismatch) {
    Policy sender = make_policy(suite());
    sender.mki = {1, 2, 3, 4};
    Policy receiver = sender;
    receiver.mki = {1, 2, 3, 5};
    auto tx = make_context(sender);
    auto rx = make_context(receiver);
    Bytes p = protected_rtp(tx.get(), 1);
    EXPECT_EQ(run(Op::unprotect_rtp, rx.get(), p), Status::mki_mismatch);
    Bytes r = protected_rtcp(tx.get());
    EXPECT_EQ(run(Op::unprotect_rtcp, rx.get(), r), Status::mki_mismatch);
    EXPECT_FALSE(rx->rtp_started());
    EXPECT_FALSE(rx->rtcp_started());
}

TEST_P(EngineTest, EveryAlteredMkiByteIsAnMkiMismatch) {
    Policy policy = make_policy(suite());
    policy.mki = {0xa1, 0xb2, 0xc3};
    auto tx = make_context(policy);
    auto rx = make_context(policy);
    const Bytes good = protected_rtp(tx.get(), 9);
    // RFC 3711 §3.1: MKI then tag for AES-CM; RFC 7714 (and libsrtp2): MKI after the tag for GCM.
    const size_t mki_at = info().cipher == Cipher::aes_gcm ? good.size() - 3 : good.size() - info().rtp_tag_len - 3;
    ASSERT_EQ(Bytes(good.begin() + static_cast<long>(mki_at), good.begin() + static_cast<long>(mki_at) + 3),
              policy.mki);
    for (size_t i = mki_at; i < mki_at + 3; ++i) {
        Bytes p = good;
        p[i] ^= 0x10;
        EXPECT_EQ(run(Op::unprotect_rtp, rx.get(), p), Status::mki_mismatch) << "byte " << i;
    }
    Bytes p = good;
    EXPECT_EQ(run(Op::unprotect_rtp, rx.get(), p), Status::ok);
}

// ---- ssrc_mismatch --------------------------------------------------------------------------

TEST_P(EngineTest, ProtectingASecondSsrcIsAnSsrcMismatch) {
    auto tx = make_context(make_policy(suite()));
    protected_rtp(tx.get(), 1, 0x11111111);
    EXPECT_EQ(tx->rtp_ssrc(), 0x11111111u);
    Bytes p = rtp(2, 0x22222222);
    EXPECT_EQ(run(Op::protect_rtp, tx.get(), p), Status::ssrc_mismatch);
    protected_rtcp(tx.get(), 0x11111111);
    Bytes r = make_rtcp(0x22222222);
    EXPECT_EQ(run(Op::protect_rtcp, tx.get(), r), Status::ssrc_mismatch);
    protected_rtp(tx.get(), 3, 0x11111111);  // the bound SSRC still works
}

TEST_P(EngineTest, UnprotectingASecondSsrcIsAnSsrcMismatch) {
    auto tx_a = make_context(make_policy(suite()));
    auto tx_b = make_context(make_policy(suite()));  // same key, other stream
    auto rx = make_context(make_policy(suite()));
    Bytes a = protected_rtp(tx_a.get(), 1, 0xaaaaaaaa);
    Bytes b = protected_rtp(tx_b.get(), 2, 0xbbbbbbbb);
    ASSERT_EQ(run(Op::unprotect_rtp, rx.get(), a), Status::ok);
    EXPECT_EQ(rx->rtp_ssrc(), 0xaaaaaaaau);
    EXPECT_EQ(run(Op::unprotect_rtp, rx.get(), b), Status::ssrc_mismatch);
    Bytes ra = protected_rtcp(tx_a.get(), 0xaaaaaaaa);
    Bytes rb = protected_rtcp(tx_b.get(), 0xbbbbbbbb);
    ASSERT_EQ(run(Op::unprotect_rtcp, rx.get(), ra), Status::ok);
    EXPECT_EQ(run(Op::unprotect_rtcp, rx.get(), rb), Status::ssrc_mismatch);
    Bytes a2 = protected_rtp(tx_a.get(), 3, 0xaaaaaaaa);
    EXPECT_EQ(run(Op::unprotect_rtp, rx.get(), a2), Status::ok);
}

TEST_P(EngineTest, AForgedFirstPacketDoesNotBindItsSsrc) {
    auto tx = make_context(make_policy(suite()));
    auto rx = make_context(make_policy(suite()));
    Bytes forged = protected_rtp(tx.get(), 1, 0xcafebabe);
    forged[8] ^= 0xff;  // another SSRC, tag no longer valid
    EXPECT_EQ(run(Op::unprotect_rtp, rx.get(), forged), Status::auth_failed);
    Bytes real = protected_rtp(tx.get(), 2, 0xcafebabe);
    EXPECT_EQ(run(Op::unprotect_rtp, rx.get(), real), Status::ok);
    EXPECT_EQ(rx->rtp_ssrc(), 0xcafebabeu);
}

// ---- key_expired ----------------------------------------------------------------------------

TEST_P(EngineTest, SrtpLifetimeAllowsExactlyThatManyPackets) {
    Policy policy = make_policy(suite());
    policy.rtp_lifetime = 3;
    auto tx = make_context(policy);
    auto rx = make_context(policy);
    auto tx_unlimited = make_context(make_policy(suite()));
    for (uint16_t seq = 1; seq <= 3; ++seq) {
        Bytes p = protected_rtp(tx.get(), seq);
        EXPECT_EQ(run(Op::unprotect_rtp, rx.get(), p), Status::ok);
    }
    EXPECT_EQ(tx->rtp_packets(), 3u);
    Bytes p = rtp(4);
    EXPECT_EQ(run(Op::protect_rtp, tx.get(), p), Status::key_expired);
    // The receiver has the same limit.
    for (uint16_t seq = 1; seq <= 4; ++seq) protected_rtp(tx_unlimited.get(), seq);
    Bytes fourth = protected_rtp(tx_unlimited.get(), 5);
    EXPECT_EQ(run(Op::unprotect_rtp, rx.get(), fourth), Status::key_expired);
    // SRTCP has its own lifetime.
    Bytes r = make_rtcp(0xcafebabe);
    EXPECT_EQ(run(Op::protect_rtcp, tx.get(), r), Status::ok);
}

TEST_P(EngineTest, SrtcpLifetimeAllowsExactlyThatManyPackets) {
    Policy policy = make_policy(suite());
    policy.rtcp_lifetime = 2;
    auto tx = make_context(policy);
    auto rx = make_context(policy);
    for (int i = 0; i < 2; ++i) {
        Bytes r = protected_rtcp(tx.get());
        EXPECT_EQ(run(Op::unprotect_rtcp, rx.get(), r), Status::ok);
    }
    Bytes r = make_rtcp(0xcafebabe);
    EXPECT_EQ(run(Op::protect_rtcp, tx.get(), r), Status::key_expired);
    auto tx2 = make_context(make_policy(suite()));
    for (int i = 0; i < 3; ++i) protected_rtcp(tx2.get());
    Bytes third = protected_rtcp(tx2.get());
    EXPECT_EQ(run(Op::unprotect_rtcp, rx.get(), third), Status::key_expired);
    Bytes p = rtp(1);
    EXPECT_EQ(run(Op::protect_rtp, tx.get(), p), Status::ok);
}

TEST_P(EngineTest, PacketsThatFailDoNotUseUpTheKeyLifetime) {
    // Otherwise anyone could expire a session's key by sending garbage.
    Policy policy = make_policy(suite());
    policy.rtp_lifetime = 2;
    auto tx = make_context(policy);
    auto rx = make_context(policy);
    const Bytes first = protected_rtp(tx.get(), 1);
    const Bytes second = protected_rtp(tx.get(), 2);
    for (int i = 0; i < 5; ++i) {
        Bytes forged = first;
        forged.back() ^= static_cast<uint8_t>(i + 1);
        EXPECT_EQ(run(Op::unprotect_rtp, rx.get(), forged), Status::auth_failed);
    }
    Bytes p = first;
    EXPECT_EQ(run(Op::unprotect_rtp, rx.get(), p), Status::ok);
    p = first;
    EXPECT_EQ(run(Op::unprotect_rtp, rx.get(), p), Status::replay);
    p = second;
    EXPECT_EQ(run(Op::unprotect_rtp, rx.get(), p), Status::ok);
    EXPECT_EQ(rx->rtp_packets(), 2u);
}

// ---- state is untouched by failures ---------------------------------------------------------

TEST_P(EngineTest, FailedPacketsLeaveTheStreamStateUnchanged) {
    Policy policy = make_policy(suite());
    policy.mki = {0x42};
    auto tx = make_context(policy);
    auto tx_other = make_context(policy);
    auto rx = make_context(policy);
    std::vector<Bytes> sent;
    for (uint16_t seq = 65530; seq != 3; ++seq) sent.push_back(protected_rtp(tx.get(), seq));
    const Bytes rtcp1 = protected_rtcp(tx.get());
    for (size_t i = 0; i + 1 < sent.size(); ++i) {
        Bytes p = sent[i];
        ASSERT_EQ(run(Op::unprotect_rtp, rx.get(), p), Status::ok);
    }
    Bytes rp = rtcp1;
    ASSERT_EQ(run(Op::unprotect_rtcp, rx.get(), rp), Status::ok);
    const StreamState before = state_of(*rx);
    ASSERT_EQ(before.roc, 1u);

    // The tag ends the packet for AES-CM; for AES-GCM the 1-byte MKI follows it.
    const size_t tag_end = info().cipher == Cipher::aes_gcm ? sent.back().size() - 1 : sent.back().size();
    std::vector<std::pair<Bytes, Status>> bad;
    {
        Bytes p = sent.back();
        p[tag_end - 1] ^= 1;
        bad.push_back({p, Status::auth_failed});
    }
    {
        // Far ahead, forged: must not move the ROC or the window.
        Bytes p = sent.back();
        p[2] ^= 0x40;  // SEQ 2 -> 16386, estimated 16385 ahead of the highest index
        bad.push_back({p, Status::auth_failed});
    }
    bad.push_back({sent[3], Status::replay});
    {
        Bytes p = sent.back();
        p.resize(13);
        bad.push_back({p, Status::malformed});
    }
    {
        Bytes p = sent.back();
        const size_t mki_at = info().cipher == Cipher::aes_gcm ? p.size() - 1 : p.size() - info().rtp_tag_len - 1;
        p[mki_at] ^= 0xff;
        bad.push_back({p, Status::mki_mismatch});
    }
    bad.push_back({protected_rtp(tx_other.get(), 7, 0x0badf00d), Status::ssrc_mismatch});
    for (auto& [pkt, expected] : bad) {
        Bytes p = pkt;
        EXPECT_EQ(run(Op::unprotect_rtp, rx.get(), p), expected);
        EXPECT_EQ(state_of(*rx), before) << "after a packet that gave " << status_name(expected);
    }
    Bytes r = rtcp1;
    EXPECT_EQ(run(Op::unprotect_rtcp, rx.get(), r), Status::replay);
    r = protected_rtcp(tx.get());
    r[9] ^= 1;
    EXPECT_EQ(run(Op::unprotect_rtcp, rx.get(), r), Status::auth_failed);
    EXPECT_EQ(state_of(*rx), before);

    Bytes last = sent.back();
    EXPECT_EQ(run(Op::unprotect_rtp, rx.get(), last), Status::ok);
    EXPECT_EQ(rx->rtp_highest_index(), 0x10002u);
}

TEST_P(EngineTest, FailedProtectLeavesTheSenderStateUnchanged) {
    auto tx = make_context(make_policy(suite()));
    auto rx = make_context(make_policy(suite()));
    Bytes p = protected_rtp(tx.get(), 100);
    ASSERT_EQ(run(Op::unprotect_rtp, rx.get(), p), Status::ok);
    const StreamState before = state_of(*tx);
    Bytes shortp = rtp(101);
    shortp.resize(11);
    EXPECT_EQ(run(Op::protect_rtp, tx.get(), shortp), Status::malformed);
    Bytes other = rtp(101, 0x0badf00d);
    EXPECT_EQ(run(Op::protect_rtp, tx.get(), other), Status::ssrc_mismatch);
    Bytes room = rtp(101);
    EXPECT_EQ(run(Op::protect_rtp, tx.get(), room, static_cast<uint32_t>(room.size())), Status::no_room);
    EXPECT_EQ(state_of(*tx), before);
    Bytes next = protected_rtp(tx.get(), 101);
    EXPECT_EQ(run(Op::unprotect_rtp, rx.get(), next), Status::ok);
}

// ---- ROC ------------------------------------------------------------------------------------

TEST_P(EngineTest, RocIncrementsWhenTheSequenceNumberWraps) {
    auto tx = make_context(make_policy(suite()));
    auto rx = make_context(make_policy(suite()));
    const uint16_t seqs[] = {65533, 65534, 65535, 0, 1, 2};
    const uint32_t rocs[] = {0, 0, 0, 1, 1, 1};
    for (size_t i = 0; i < std::size(seqs); ++i) {
        Bytes p = protected_rtp(tx.get(), seqs[i]);
        EXPECT_EQ(tx->rtp_roc(), rocs[i]) << seqs[i];
        ASSERT_EQ(run(Op::unprotect_rtp, rx.get(), p), Status::ok) << seqs[i];
        EXPECT_EQ(rx->rtp_roc(), rocs[i]) << seqs[i];
        EXPECT_EQ(rx->rtp_highest_index(), uint64_t{rocs[i]} << 16 | seqs[i]);
        EXPECT_EQ(p, rtp(seqs[i]));
    }
}

TEST_P(EngineTest, ReorderingInsideTheWindowAcrossTheWrapIsAccepted) {
    auto tx = make_context(make_policy(suite()));
    auto rx = make_context(make_policy(suite()));
    std::vector<std::pair<uint16_t, Bytes>> sent;
    for (uint16_t seq : {65532, 65533, 65534, 65535, 0, 1, 2, 3})
        sent.push_back({seq, protected_rtp(tx.get(), seq)});
    auto receive = [&](uint16_t seq) {
        for (auto& [s, pkt] : sent)
            if (s == seq) {
                Bytes p = pkt;
                const Status st = run(Op::unprotect_rtp, rx.get(), p);
                if (st == Status::ok) {
                    EXPECT_EQ(p, rtp(seq)) << seq;
                }
                return st;
            }
        return Status::no_context;
    };
    EXPECT_EQ(receive(65532), Status::ok);
    EXPECT_EQ(receive(65535), Status::ok);
    EXPECT_EQ(receive(1), Status::ok);  // after the wrap: ROC 1
    EXPECT_EQ(rx->rtp_highest_index(), 0x10001u);
    EXPECT_EQ(receive(65533), Status::ok);  // late, before the wrap: ROC 0
    EXPECT_EQ(receive(0), Status::ok);
    EXPECT_EQ(receive(3), Status::ok);
    EXPECT_EQ(receive(65534), Status::ok);
    EXPECT_EQ(receive(2), Status::ok);
    EXPECT_EQ(rx->rtp_highest_index(), 0x10003u);
    EXPECT_EQ(rx->rtp_roc(), 1u);
    for (uint16_t seq : {65532, 65533, 65534, 65535, 0, 1, 2, 3}) EXPECT_EQ(receive(seq), Status::replay) << seq;
}

TEST_P(EngineTest, SenderEncryptsALatePacketWithThePreviousRoc) {
    auto tx = make_context(make_policy(suite()));
    auto rx = make_context(make_policy(suite()));
    for (uint16_t seq : {65535, 0, 65534, 1}) {
        Bytes p = protected_rtp(tx.get(), seq);
        ASSERT_EQ(run(Op::unprotect_rtp, rx.get(), p), Status::ok) << seq;
        EXPECT_EQ(p, rtp(seq));
    }
    EXPECT_EQ(tx->rtp_highest_index(), 0x10001u);
}

TEST_P(EngineTest, FirstPacketNearTheTopOfTheSequenceSpaceHasRocZero) {
    auto tx = make_context(make_policy(suite()));
    auto rx = make_context(make_policy(suite()));
    Bytes p = protected_rtp(tx.get(), 65500);
    ASSERT_EQ(run(Op::unprotect_rtp, rx.get(), p), Status::ok);
    EXPECT_EQ(rx->rtp_highest_index(), 65500u);
    EXPECT_EQ(rx->rtp_roc(), 0u);
}

// ---- packets with CSRCs, extensions and padding ---------------------------------------------

TEST_P(EngineTest, CsrcsHeaderExtensionAndPaddingRoundTrip) {
    auto tx = make_context(make_policy(suite()));
    auto rx = make_context(make_policy(suite()));
    for (int variant = 0; variant < 4; ++variant) {
        unit::Rtp spec;
        spec.seq = static_cast<uint16_t>(500 + variant);
        spec.csrcs.assign(static_cast<size_t>(variant * 5), 0x01010101u);  // 0, 5, 10, 15 CSRCs
        spec.use_ext = variant != 0;
        spec.ext_profile = variant == 2 ? 0x1000 : 0xbede;  // RFC 8285 one-byte and two-byte
        spec.ext_words.assign(static_cast<size_t>(variant), 0x11223344u);
        spec.padding = static_cast<uint8_t>(variant == 3 ? 255 : 4 * variant);
        spec.payload_len = static_cast<size_t>(17 * variant);
        spec.marker = variant == 1;
        const Bytes plain = make_rtp(spec);
        const size_t header = 12 + 4 * spec.csrcs.size() + (spec.use_ext ? 4 + 4 * spec.ext_words.size() : 0);
        Bytes p = plain;
        ASSERT_EQ(run(Op::protect_rtp, tx.get(), p), Status::ok) << variant;
        ASSERT_EQ(p.size(), plain.size() + info().rtp_tag_len);
        // RFC 3711 §3.1: the header, CSRCs and extension stay in the clear; the rest is encrypted.
        EXPECT_TRUE(std::equal(plain.begin(), plain.begin() + static_cast<long>(header), p.begin())) << variant;
        if (plain.size() > header + 4) {
            EXPECT_FALSE(std::equal(plain.begin() + static_cast<long>(header), plain.end(),
                                    p.begin() + static_cast<long>(header)))
                << variant;
        }
        ASSERT_EQ(run(Op::unprotect_rtp, rx.get(), p), Status::ok) << variant;
        EXPECT_EQ(p, plain) << variant;
    }
}

TEST_P(EngineTest, CompoundRtcpRoundTripsWithOnlyTheFirstEightBytesInTheClear) {
    auto tx = make_context(make_policy(suite()));
    auto rx = make_context(make_policy(suite()));
    Bytes plain = make_rtcp(0xcafebabe, 6);
    const Bytes sdes = unit::hex("81ca0003 cafebabe 01046e616d650000");  // SDES CNAME "name"
    plain.insert(plain.end(), sdes.begin(), sdes.end());
    Bytes p = plain;
    ASSERT_EQ(run(Op::protect_rtcp, tx.get(), p), Status::ok);
    ASSERT_EQ(p.size(), plain.size() + 4 + info().rtcp_tag_len);
    EXPECT_TRUE(std::equal(plain.begin(), plain.begin() + 8, p.begin()));
    EXPECT_FALSE(std::equal(plain.begin() + 8, plain.end(), p.begin() + 8));
    const size_t e_at = info().cipher == Cipher::aes_gcm ? p.size() - 4 : p.size() - info().rtcp_tag_len - 4;
    EXPECT_EQ(unit::to_hex({p.data() + e_at, 4}), "80000001");  // E=1, first SRTCP index 1
    ASSERT_EQ(run(Op::unprotect_rtcp, rx.get(), p), Status::ok);
    EXPECT_EQ(p, plain);
}

TEST_P(EngineTest, CountersCountAuthenticatedPackets) {
    auto tx = make_context(make_policy(suite()));
    auto rx = make_context(make_policy(suite()));
    for (uint16_t seq = 1; seq <= 5; ++seq) {
        Bytes p = protected_rtp(tx.get(), seq);
        ASSERT_EQ(run(Op::unprotect_rtp, rx.get(), p), Status::ok);
    }
    for (int i = 0; i < 3; ++i) {
        Bytes r = protected_rtcp(tx.get());
        ASSERT_EQ(run(Op::unprotect_rtcp, rx.get(), r), Status::ok);
    }
    EXPECT_EQ(tx->rtp_packets(), 5u);
    EXPECT_EQ(rx->rtp_packets(), 5u);
    EXPECT_EQ(tx->rtcp_packets(), 3u);
    EXPECT_EQ(rx->rtcp_packets(), 3u);
    EXPECT_EQ(rx->rtcp_highest_index(), 3u);
    EXPECT_TRUE(rx->rtp_started());
    EXPECT_TRUE(rx->rtcp_started());
}

INSTANTIATE_TEST_SUITE_P(AllSuites, EngineTest, ::testing::ValuesIn(unit::kAllSuites), unit::SuiteName{});

// ---- bursts ---------------------------------------------------------------------------------

// Packets and their buffers for one burst call.
struct Burst {
    std::vector<Bytes> buffers;
    std::vector<Packet> packets;
    std::vector<Status> status;

    void add(const Bytes& pkt, Context* ctx, uint32_t capacity = 0) {
        Bytes buf(pkt.size() + unit::kSlack, 0xa5);
        std::copy(pkt.begin(), pkt.end(), buf.begin());
        buffers.push_back(std::move(buf));
        Packet p;
        p.len = static_cast<uint32_t>(pkt.size());
        p.capacity = capacity ? capacity : static_cast<uint32_t>(buffers.back().size());
        p.ctx = ctx;
        packets.push_back(p);
    }
    void run(Engine& engine, Op op) {
        for (size_t i = 0; i < packets.size(); ++i) packets[i].data = buffers[i].data();
        status.assign(packets.size(), Status::ok);
        switch (op) {
            case Op::protect_rtp: engine.protect_rtp(packets, status); break;
            case Op::unprotect_rtp: engine.unprotect_rtp(packets, status); break;
            case Op::protect_rtcp: engine.protect_rtcp(packets, status); break;
            case Op::unprotect_rtcp: engine.unprotect_rtcp(packets, status); break;
        }
    }
    Bytes output(size_t i) const { return Bytes(buffers[i].begin(), buffers[i].begin() + packets[i].len); }
};

// Two identical sets of contexts: one driven by bursts, one packet by packet.
struct Twins {
    std::vector<std::unique_ptr<Context>> burst, single;
    explicit Twins(const std::vector<Policy>& policies) {
        for (const Policy& p : policies) {
            burst.push_back(make_context(p));
            single.push_back(make_context(p));
        }
    }
};

struct Planned {
    Bytes packet;
    int ctx;            // -1: no context
    uint32_t capacity;  // 0: plenty
};

// Runs the same packets as bursts (in slices of `slice`) and one by one; both must agree on
// every status, every output byte and the final stream state.
void expect_burst_equals_single(Engine& engine, Op op, Twins& twins, const std::vector<Planned>& plan,
                                size_t slice) {
    std::vector<Status> single_status;
    std::vector<Bytes> single_out;
    for (const Planned& p : plan) {
        Bytes pkt = p.packet;
        Context* ctx = p.ctx < 0 ? nullptr : twins.single[static_cast<size_t>(p.ctx)].get();
        Status st = unit::run(engine, op, ctx, pkt, p.capacity ? p.capacity : 0);
        single_status.push_back(st);
        single_out.push_back(st == Status::ok ? pkt : Bytes{});
    }
    for (size_t from = 0; from < plan.size(); from += slice) {
        Burst burst;
        const size_t to = std::min(plan.size(), from + slice);
        for (size_t i = from; i < to; ++i) {
            const Planned& p = plan[i];
            Context* ctx = p.ctx < 0 ? nullptr : twins.burst[static_cast<size_t>(p.ctx)].get();
            burst.add(p.packet, ctx, p.capacity);
        }
        burst.run(engine, op);
        for (size_t i = from; i < to; ++i) {
            EXPECT_EQ(burst.status[i - from], single_status[i]) << "packet " << i;
            if (burst.status[i - from] == Status::ok && single_status[i] == Status::ok) {
                EXPECT_EQ(unit::to_hex(burst.output(i - from)), unit::to_hex(single_out[i])) << "packet " << i;
            }
        }
    }
    for (size_t c = 0; c < twins.burst.size(); ++c)
        EXPECT_EQ(state_of(*twins.burst[c]), state_of(*twins.single[c])) << "context " << c;
}

std::vector<Policy> mixed_policies() {
    std::vector<Policy> policies;
    for (int copy = 0; copy < 3; ++copy)
        for (Suite s : unit::kAllSuites) {
            Policy p = make_policy(s, static_cast<uint8_t>(16 * copy + policies.size()));
            if (copy == 1) p.mki = {static_cast<uint8_t>(policies.size()), 0x77};
            if (copy == 2) p.replay_window = 64;
            policies.push_back(p);
        }
    return policies;  // 18 contexts, every suite with and without MKI
}

TEST(EngineBurst, MixedSuitesAndContextsGiveTheSameResultAsPacketByPacket) {
    Engine engine;
    const std::vector<Policy> policies = mixed_policies();
    const int n_ctx = static_cast<int>(policies.size());
    Twins senders(policies), receivers(policies);

    // 200 RTP packets spread over the contexts in an interleaved order, each context's
    // sequence numbers crossing the 16-bit wrap, with a few packets that must fail.
    std::vector<Planned> plain;
    std::vector<uint16_t> next_seq(static_cast<size_t>(n_ctx));
    for (int c = 0; c < n_ctx; ++c) next_seq[static_cast<size_t>(c)] = static_cast<uint16_t>(65530 - c);
    for (int k = 0; k < 200; ++k) {
        const int c = (k * 7 + k / 18) % n_ctx;
        unit::Rtp spec;
        spec.seq = next_seq[static_cast<size_t>(c)]++;
        spec.ssrc = 0x10000000u + static_cast<uint32_t>(c);
        spec.payload_len = static_cast<size_t>((k * 37) % 300);
        spec.payload_seed = static_cast<uint8_t>(k);
        if (k % 11 == 0) spec.csrcs = {1, 2};
        if (k % 13 == 0) {
            spec.use_ext = true;
            spec.ext_words = {0xabcdef01u};
        }
        plain.push_back({make_rtp(spec), c, 0});
    }
    std::vector<Planned> to_protect = plain;
    to_protect[5].packet.resize(7);                              // malformed
    to_protect[40].ctx = -1;                                     // no_context
    to_protect[77].capacity = static_cast<uint32_t>(to_protect[77].packet.size());  // no_room
    to_protect[150].packet[0] = 0x40;                            // version 1
    expect_burst_equals_single(engine, Op::protect_rtp, senders, to_protect, 200);

    // Unprotect what the packet-by-packet senders produced, with extra trouble: tampered tags,
    // duplicates in the same burst and across bursts, and late packets.
    // Packets that failed to protect go to the receiver unprotected, under their stream's context.
    std::vector<std::unique_ptr<Context>> again;
    for (const Policy& p : policies) again.push_back(make_context(p));
    std::vector<Planned> to_unprotect;
    for (size_t i = 0; i < to_protect.size(); ++i) {
        Bytes p = to_protect[i].packet;
        if (to_protect[i].ctx >= 0 && to_protect[i].capacity == 0)
            unit::run(engine, Op::protect_rtp, again[static_cast<size_t>(to_protect[i].ctx)].get(), p);
        to_unprotect.push_back({p, plain[i].ctx, 0});
    }
    to_unprotect[3].packet.back() ^= 0x01;                 // auth_failed
    to_unprotect.insert(to_unprotect.begin() + 20, to_unprotect[19]);  // duplicate, same burst
    to_unprotect.push_back(to_unprotect[100]);             // duplicate, later burst
    to_unprotect.push_back(to_unprotect[0]);
    std::swap(to_unprotect[60], to_unprotect[61]);         // reordering
    expect_burst_equals_single(engine, Op::unprotect_rtp, receivers, to_unprotect, 64);
}

TEST(EngineBurst, MixedSrtcpGivesTheSameResultAsPacketByPacket) {
    Engine engine;
    const std::vector<Policy> policies = mixed_policies();
    const int n_ctx = static_cast<int>(policies.size());
    Twins senders(policies), receivers(policies);
    std::vector<Planned> plan;
    for (int k = 0; k < 130; ++k) {
        const int c = (k * 5) % n_ctx;
        plan.push_back({make_rtcp(0x20000000u + static_cast<uint32_t>(c), static_cast<uint16_t>(k % 9),
                                  static_cast<uint8_t>(k)),
                        c, 0});
    }
    plan[9].packet.resize(6);
    plan[70].ctx = -1;
    expect_burst_equals_single(engine, Op::protect_rtcp, senders, plan, 130);

    std::vector<std::unique_ptr<Context>> again;
    for (const Policy& p : policies) again.push_back(make_context(p));
    std::vector<Planned> rx_plan;
    for (const Planned& p : plan) {
        Bytes b = p.packet;
        if (p.ctx >= 0) unit::run(engine, Op::protect_rtcp, again[static_cast<size_t>(p.ctx)].get(), b);
        rx_plan.push_back({b, p.ctx < 0 ? 0 : p.ctx, 0});
    }
    rx_plan[30].packet[10] ^= 0x20;
    rx_plan.insert(rx_plan.begin() + 45, rx_plan[44]);
    rx_plan.push_back(rx_plan[2]);
    expect_burst_equals_single(engine, Op::unprotect_rtcp, receivers, rx_plan, 64);
}

// Phase 1 looks at the lifetime before any packet of the burst is accepted: the packets that
// would go past it must still be refused, as they are one by one.
TEST(EngineBurst, OneBurstAcceptsNoMorePacketsThanTheKeyLifetime) {
    Engine engine;
    for (Suite s : unit::kAllSuites) {
        SCOPED_TRACE(std::string(suite_info(s).name));
        Policy limited = make_policy(s);
        limited.rtp_lifetime = 3;
        limited.rtcp_lifetime = 2;
        auto tx = make_context(make_policy(s));
        auto rx = make_context(limited);
        std::vector<Bytes> rtp_packets, rtcp_packets;
        for (uint16_t seq = 1; seq <= 5; ++seq) {
            rtp_packets.push_back(rtp(seq));
            ASSERT_EQ(unit::run(engine, Op::protect_rtp, tx.get(), rtp_packets.back()), Status::ok);
        }
        for (int i = 0; i < 4; ++i) {
            rtcp_packets.push_back(make_rtcp(0xcafebabe));
            ASSERT_EQ(unit::run(engine, Op::protect_rtcp, tx.get(), rtcp_packets.back()), Status::ok);
        }
        Burst burst;
        for (Bytes& p : rtp_packets) burst.add(p, rx.get());
        burst.run(engine, Op::unprotect_rtp);
        for (int i = 0; i < 5; ++i) EXPECT_EQ(burst.status[i], i < 3 ? Status::ok : Status::key_expired) << i;
        EXPECT_EQ(rx->rtp_packets(), 3u);
        Burst rb;
        for (Bytes& r : rtcp_packets) rb.add(r, rx.get());
        rb.run(engine, Op::unprotect_rtcp);
        for (int i = 0; i < 4; ++i) EXPECT_EQ(rb.status[i], i < 2 ? Status::ok : Status::key_expired) << i;
        EXPECT_EQ(rx->rtcp_packets(), 2u);
    }
}

TEST(EngineBurst, DuplicateInsideOneBurstIsAReplay) {
    Engine engine;
    for (Suite s : unit::kAllSuites) {
        SCOPED_TRACE(std::string(suite_info(s).name));
        auto tx = make_context(make_policy(s));
        auto rx = make_context(make_policy(s));
        Bytes p = rtp(42);
        ASSERT_EQ(unit::run(engine, Op::protect_rtp, tx.get(), p), Status::ok);
        Burst burst;
        burst.add(p, rx.get());
        burst.add(p, rx.get());
        burst.add(p, rx.get());
        burst.run(engine, Op::unprotect_rtp);
        EXPECT_EQ(burst.status[0], Status::ok);
        EXPECT_EQ(burst.status[1], Status::replay);
        EXPECT_EQ(burst.status[2], Status::replay);
        EXPECT_EQ(rx->rtp_packets(), 1u);

        Bytes r = make_rtcp(0xcafebabe);
        ASSERT_EQ(unit::run(engine, Op::protect_rtcp, tx.get(), r), Status::ok);
        Burst rb;
        rb.add(r, rx.get());
        rb.add(r, rx.get());
        rb.run(engine, Op::unprotect_rtcp);
        EXPECT_EQ(rb.status[0], Status::ok);
        EXPECT_EQ(rb.status[1], Status::replay);
        EXPECT_EQ(rx->rtcp_packets(), 1u);
    }
}

TEST(EngineBurst, ForgedDuplicateAheadOfTheRealPacketInOneBurstDoesNotHideIt) {
    // A forged copy first (bad tag), the real packet second: the real one must still pass.
    Engine engine;
    for (Suite s : unit::kAllSuites) {
        SCOPED_TRACE(std::string(suite_info(s).name));
        auto tx = make_context(make_policy(s));
        auto rx = make_context(make_policy(s));
        Bytes p = rtp(42);
        ASSERT_EQ(unit::run(engine, Op::protect_rtp, tx.get(), p), Status::ok);
        Bytes forged = p;
        forged.back() ^= 0x01;
        Burst burst;
        burst.add(forged, rx.get());
        burst.add(p, rx.get());
        burst.run(engine, Op::unprotect_rtp);
        EXPECT_EQ(burst.status[0], Status::auth_failed);
        EXPECT_EQ(burst.status[1], Status::ok);
    }
}

TEST(EngineBurst, SequenceJumpInsideOneBurstEstimatesIndicesLikePacketByPacket) {
    // 100 then 40000 (young stream: index = SEQ), then 1: after 40000 the packet-by-packet
    // estimate for SEQ 1 is ROC 1 (RFC 3711 Appendix A), so a burst must use ROC 1 as well.
    Engine engine;
    for (Suite s : unit::kAllSuites) {
        SCOPED_TRACE(std::string(suite_info(s).name));
        const std::vector<Policy> policies = {make_policy(s)};
        Twins senders(policies), receivers(policies);
        std::vector<Planned> plan;
        for (uint16_t seq : {100, 40000, 1, 2}) plan.push_back({rtp(seq), 0, 0});
        expect_burst_equals_single(engine, Op::protect_rtp, senders, plan, 64);
        EXPECT_EQ(senders.burst[0]->rtp_highest_index(), 0x10002u);

        std::vector<Planned> rx_plan;
        auto tx = make_context(policies[0]);
        for (const Planned& p : plan) {
            Bytes b = p.packet;
            ASSERT_EQ(unit::run(engine, Op::protect_rtp, tx.get(), b), Status::ok);
            rx_plan.push_back({b, 0, 0});
        }
        expect_burst_equals_single(engine, Op::unprotect_rtp, receivers, rx_plan, 64);
        EXPECT_EQ(receivers.burst[0]->rtp_highest_index(), 0x10002u);
    }
}

// ---- policy validation ----------------------------------------------------------------------

void expect_rejected(const Policy& policy, const char* word) {
    std::string error;
    EXPECT_EQ(Context::create(policy, &error), nullptr) << word;
    EXPECT_FALSE(error.empty()) << word;
    EXPECT_TRUE(contains_word(error, word)) << "error \"" << error << "\" does not mention " << word;
    EXPECT_EQ(Context::create(policy), nullptr) << "without an error string: " << word;
}

TEST(ContextPolicy, ValidPoliciesForEverySuiteAreAccepted) {
    for (Suite s : unit::kAllSuites) {
        std::string error;
        auto ctx = Context::create(make_policy(s), &error);
        ASSERT_NE(ctx, nullptr) << error;
        EXPECT_EQ(&ctx->info(), &suite_info(s));
        EXPECT_FALSE(ctx->rtp_started());
        EXPECT_FALSE(ctx->rtcp_started());
        EXPECT_EQ(ctx->rtp_packets(), 0u);
        EXPECT_TRUE(ctx->mki().empty());
    }
}

TEST(ContextPolicy, WrongMasterKeyLengthIsRejected) {
    for (Suite s : unit::kAllSuites) {
        SCOPED_TRACE(std::string(suite_info(s).name));
        const size_t right = suite_info(s).key_len;
        for (size_t len : {size_t{0}, right - 1, right + 1, size_t{24}, right == 16 ? size_t{32} : size_t{16}}) {
            Policy p = make_policy(s);
            p.master_key.assign(len, 0x11);
            expect_rejected(p, "key");
        }
    }
}

TEST(ContextPolicy, WrongMasterSaltLengthIsRejected) {
    for (Suite s : unit::kAllSuites) {
        SCOPED_TRACE(std::string(suite_info(s).name));
        const size_t right = suite_info(s).salt_len;
        for (size_t len : {size_t{0}, right - 1, right + 1, right == 14 ? size_t{12} : size_t{14}}) {
            Policy p = make_policy(s);
            p.master_salt.assign(len, 0x22);
            expect_rejected(p, "salt");
        }
    }
}

TEST(ContextPolicy, ReplayWindowMustBeAPowerOfTwoFrom64To1024) {
    for (uint32_t w : {0u, 1u, 32u, 63u, 65u, 100u, 1000u, 1023u, 1025u, 2048u, 0x80000000u}) {
        Policy p = make_policy(Suite::aes_cm_128_hmac_sha1_80);
        p.replay_window = w;
        SCOPED_TRACE(w);
        expect_rejected(p, "window");
    }
    for (uint32_t w : {64u, 128u, 256u, 512u, 1024u}) {
        Policy p = make_policy(Suite::aead_aes_128_gcm);
        p.replay_window = w;
        std::string error;
        EXPECT_NE(Context::create(p, &error), nullptr) << w << ": " << error;
    }
}

TEST(ContextPolicy, MkiLongerThanTheMaximumIsRejected) {
    Policy p = make_policy(Suite::aes_cm_128_hmac_sha1_80);
    p.mki.assign(kMaxMkiLen + 1, 0x33);
    expect_rejected(p, "MKI");
    p.mki.assign(128, 0x33);
    expect_rejected(p, "MKI");
    p.mki.assign(kMaxMkiLen, 0x33);
    std::string error;
    auto ctx = Context::create(p, &error);
    ASSERT_NE(ctx, nullptr) << error;
    EXPECT_EQ(ctx->mki().size(), kMaxMkiLen);
}

TEST(ContextPolicy, LifetimeOutsideTheRfc3711LimitsIsRejected) {
    // RFC 3711 §9.2: at most 2^48 SRTP and 2^31 SRTCP packets; zero packets is no key at all.
    Policy p = make_policy(Suite::aes_cm_128_hmac_sha1_80);
    p.rtp_lifetime = 0;
    expect_rejected(p, "lifetime");
    p.rtp_lifetime = kMaxRtpLifetime + 1;
    expect_rejected(p, "lifetime");
    p = make_policy(Suite::aes_cm_128_hmac_sha1_80);
    p.rtcp_lifetime = 0;
    expect_rejected(p, "lifetime");
    p.rtcp_lifetime = kMaxRtcpLifetime + 1;
    expect_rejected(p, "lifetime");
}

TEST(ContextPolicy, SessionKeyConstructorValidatesTheRestOfThePolicy) {
    SessionKeys keys;
    Policy p;
    p.suite = Suite::aead_aes_256_gcm;
    p.replay_window = 100;
    std::string error;
    EXPECT_EQ(Context::create_with_session_keys(p, keys, keys, &error), nullptr);
    EXPECT_TRUE(contains_word(error, "window")) << error;
    p.replay_window = 128;
    p.mki.assign(kMaxMkiLen + 1, 1);
    error.clear();
    EXPECT_EQ(Context::create_with_session_keys(p, keys, keys, &error), nullptr);
    EXPECT_TRUE(contains_word(error, "MKI")) << error;
    p.mki.clear();
    EXPECT_NE(Context::create_with_session_keys(p, keys, keys, &error), nullptr);
}

// An out-of-range Suite (a value cast from a wire integer) must be refused, not used to index
// kSuites. Each runs in a child process: reading past the table is undefined behaviour.
bool rejected_as_unknown_suite(bool from_session_keys) {
    Policy p = make_policy(Suite::aes_cm_128_hmac_sha1_80);
    p.suite = static_cast<Suite>(kSuiteCount);
    std::string error;
    SessionKeys keys;
    const bool refused = from_session_keys ? Context::create_with_session_keys(p, keys, keys, &error) == nullptr
                                           : Context::create(p, &error) == nullptr;
    return refused && contains_word(error, "suite");
}

TEST(ContextPolicyDeathTest, CreateRejectsAnUnknownSuiteValue) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_EXIT(std::exit(rejected_as_unknown_suite(false) ? 0 : 1), ::testing::ExitedWithCode(0), "");
}

TEST(ContextPolicyDeathTest, CreateWithSessionKeysRejectsAnUnknownSuiteValue) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_EXIT(std::exit(rejected_as_unknown_suite(true) ? 0 : 1), ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace msf::srtp
