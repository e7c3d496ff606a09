// libFuzzer target for the SDP model and rewrite (controlplane/keying/sdp.hpp) and Kamailio
// Codec-Data (parse_codec_data). Input: one mode byte, then the text.
//   mode bit 0 clear: an SDP body. Parse; an unchanged SDP serialises to text that parses to
//     the same text; then every m-section gets the P-CSCF rewrite (MSF address and port, the
//     other RTP profile, a=crypto replaced, a=3ge2ae set) and the origin version is bumped; the
//     result must parse again with the same number of sections and say what was set.
//   mode bit 0 set: a Codec-Data AVP value; its section gets the same rewrite.
// Mode bits 1..2 pick the address (IPv4/IPv6) and whether ports are low or near 65535, so a
// failing a=rtcp update is exercised. Any operation that fails must leave the text unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/keying/sdp.hpp"

namespace {

using namespace msf::keying;
using msf::net::IpAddr;

[[noreturn]] void fail(const char* what, const std::string& detail) {
    std::fprintf(stderr, "sdp_rewrite_fuzz: %s: %s\n", what, detail.c_str());
    std::abort();
}

void check_error(const KeyingError& e) {
    if (e.message.empty()) fail("error without a message", "");
}

// The operation either succeeds or leaves the text as it was.
template <class Text, class Op>
bool apply(const Text& text_of, Op&& op) {
    const std::string before = text_of();
    const auto r = op();
    if (!r.ok()) {
        check_error(r.error());
        if (text_of() != before) fail("a failed operation changed the text", r.error().message);
        return false;
    }
    return true;
}

MediaKeys sample_keys() {
    return MediaKeys(msf::srtp::Suite::aes_cm_128_hmac_sha1_80, std::vector<uint8_t>(16, 0x11),
                     std::vector<uint8_t>(14, 0x22));
}

// What a rewrite of one section managed to set (an operation may fail: a=rtcp past 65535,
// the SDP size limit, a protocol without an SRTP variant).
struct Rewritten {
    int port = -1;  // -1: the address and port were not set
    bool e2ae = false;
    bool crypto = false;
};

template <class Text, class Ops>
Rewritten rewrite(const Text& text_of, Ops& ops, const IpAddr& address, uint16_t port, bool secure) {
    Rewritten done;
    if (apply(text_of, [&] { return ops.set_address(address, port); })) done.port = port;
    apply(text_of, [&] { return ops.set_secure(secure); });
    ops.remove_crypto();
    if (secure) done.crypto = apply(text_of, [&] { return ops.add_crypto(crypto_attribute_for(7, sample_keys())); });
    done.e2ae = apply(text_of, [&] { return ops.set_e2ae(E2aeIndication::applied); });
    return done;
}

// Adapters so one rewrite() serves a section of a SessionDescription and a bare MediaSection.
struct SdpSectionOps {
    SessionDescription& sdp;
    size_t index;
    Expected<void> set_address(const IpAddr& a, uint16_t p) { return sdp.set_media_address(index, a, p); }
    Expected<void> set_secure(bool s) { return sdp.set_media_secure(index, s); }
    void remove_crypto() {
        if (auto r = sdp.remove_crypto(index); !r) check_error(r.error());
    }
    Expected<void> add_crypto(const CryptoAttribute& a) { return sdp.add_crypto(index, a); }
    Expected<void> set_e2ae(E2aeIndication e) { return sdp.set_e2ae(index, e); }
};

struct BareSectionOps {
    MediaSection& section;
    Expected<void> set_address(const IpAddr& a, uint16_t p) { return section.set_address(a, p); }
    Expected<void> set_secure(bool s) { return section.set_secure(s); }
    void remove_crypto() { section.remove_crypto(); }
    Expected<void> add_crypto(const CryptoAttribute& a) { return section.add_crypto(a); }
    Expected<void> set_e2ae(E2aeIndication e) {
        section.set_e2ae(e);
        return {};
    }
};

void check_section(const MediaInfo& info, const Rewritten& done, const IpAddr& address) {
    if (done.port >= 0 && (info.port != done.port || info.connection != address || info.connection_from_session))
        fail("rewritten section does not carry the address and port set", info.media);
    if (done.e2ae && info.e2ae != E2aeIndication::applied) fail("a=3ge2ae:applied missing after set_e2ae", info.media);
    if (done.crypto && (info.crypto.size() != 1 || !info.crypto_errors.empty() || info.crypto[0].tag != 7))
        fail("the a=crypto line added is not the only one", info.media);
    if (!done.crypto && !info.crypto.empty()) fail("a=crypto left after remove_crypto", info.media);
}

void fuzz_sdp(std::string_view text, const IpAddr& address, uint16_t base_port) {
    auto sdp = SessionDescription::parse(text);
    if (!sdp) {
        check_error(sdp.error());
        if (sdp.error().message.rfind("sdp: ", 0) != 0) fail("error without its prefix", sdp.error().message);
        return;
    }
    const std::string unchanged = sdp->to_string();
    auto reparsed = SessionDescription::parse(unchanged);
    if (!reparsed) fail("serialised SDP does not parse", reparsed.error().message);
    if (reparsed->to_string() != unchanged) fail("serialise(parse(serialise(x))) differs", unchanged);

    const size_t count = sdp->media_count();
    std::vector<Rewritten> done(count);
    const auto text_of = [&] { return sdp->to_string(); };
    for (size_t i = 0; i < count; ++i) {
        auto info = sdp->media_info(i);
        if (!info) fail("media_info failed on a parsed section", info.error().message);
        SdpSectionOps ops{*sdp, i};
        const bool secure = info->proto_kind == MediaProto::rtp_avp || info->proto_kind == MediaProto::rtp_avpf;
        done[i] = rewrite(text_of, ops, address, static_cast<uint16_t>(base_port + 2 * i), secure);
    }
    apply(text_of, [&] { return sdp->bump_origin_version(); });
    apply(text_of, [&] { return sdp->set_session_connection(address); });
    if (sdp->media_info(count).ok()) fail("media_info past the last section succeeded", "");

    const std::string out = sdp->to_string();
    auto after = SessionDescription::parse(out);
    if (!after) fail("rewritten SDP does not parse", after.error().message + "\n" + out);
    if (after->media_count() != count) fail("rewritten SDP has another section count", out);
    if (after->to_string() != out) fail("rewritten SDP does not serialise back to itself", out);
    for (size_t i = 0; i < count; ++i) check_section(*after->media_info(i), done[i], address);
}

void fuzz_codec_data(std::string_view text, const IpAddr& address, uint16_t port) {
    auto data = parse_codec_data(text);
    // codec_data_info reads what parse_codec_data and then info() read, errors included.
    auto read = codec_data_info(text);
    if (read.ok() != data.ok() || (!data && read.error() != data.error()))
        fail("codec_data_info and parse_codec_data disagree", std::string(text));
    if (!data) {
        check_error(data.error());
        if (data.error().message.rfind("codec-data: ", 0) != 0) fail("error without its prefix", data.error().message);
        return;
    }
    if (read->direction != data->direction || read->role != data->role || read->ending != data->ending ||
        read->media != data->section.info())
        fail("codec_data_info reads other values than section.info()", std::string(text));
    const std::string section_text = data->section.to_string(data->ending);
    const std::string rebuilt = format_codec_data(data->direction, data->role, section_text);
    auto again = parse_codec_data(rebuilt);
    if (!again) fail("format_codec_data output does not parse", again.error().message);
    if (again->direction != data->direction || again->role != data->role ||
        again->section.lines() != data->section.lines())
        fail("Codec-Data does not round-trip", rebuilt);

    const auto text_of = [&] { return data->section.to_string(data->ending); };
    BareSectionOps ops{data->section};
    const Rewritten rewritten = rewrite(text_of, ops, address, port, true);
    const std::string out = data->section.to_string(data->ending);
    auto section = MediaSection::parse(out);
    if (!section) fail("rewritten Codec-Data section does not parse", section.error().message + "\n" + out);
    check_section(section->info(), rewritten, address);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    const uint8_t mode = data[0];
    const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
    const IpAddr address = *IpAddr::parse((mode & 2) ? "2001:db8:ffff::1" : "203.0.113.10");
    const uint16_t port = (mode & 4) ? 65534 : 30000;
    if (mode & 1) fuzz_codec_data(text, address, port);
    else fuzz_sdp(text, address, port);
    return 0;
}
