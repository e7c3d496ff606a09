// A small SDP (RFC 8866) model for SIP offers and answers, good for what a P-CSCF does to route
// media through the MSF and what a UE reads back: session lines and m-sections in order, every
// line kept verbatim unless an operation changes it, so rewriting leaves alone what it does not
// understand. CRLF or LF line endings (the first line's is kept for the whole text).
//
// Understood: m= (RFC 8866 §5.14), c= (§5.7, IPv4/IPv6 literals), o= (§5.2, version bump),
// a=rtcp (RFC 3605), a=rtcp-mux (RFC 5761), a=crypto (RFC 4568, via sdes.hpp) and a=3ge2ae
// (3GPP TS 24.229, e2ae requested by the UE / applied by the network).
//
// Also Kamailio ims_qos Codec-Data (Rx, TS 29.214 §5.3.7): the direction, offer/answer and one
// m-section as ims_qos puts them into an AAR (see parse_codec_data).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/keying/expected.hpp"
#include "controlplane/keying/sdes.hpp"
#include "dataplane/net/addr.hpp"

namespace msf::keying {

inline constexpr size_t kMaxSdpLen = 65536;    // whole text; a SIP message over UDP is smaller
inline constexpr size_t kMaxSdpLineLen = 4096;  // one line, without its line ending
inline constexpr size_t kMaxMediaSections = 64;

enum class LineEnding : uint8_t { crlf, lf };

enum class MediaProto : uint8_t { rtp_avp, rtp_savp, rtp_avpf, rtp_savpf, other };

// TS 24.229: a=3ge2ae:requested (UE offers e2ae), a=3ge2ae:applied (the network applied it).
enum class E2aeIndication : uint8_t { requested, applied };

// What one m-section says, taken from its lines.
struct MediaInfo {
    std::string media;  // "audio", "video", ...
    uint16_t port = 0;
    std::optional<uint16_t> port_count;  // "m=video 49170/2 ..."
    std::string proto;                   // as written: "RTP/AVP"
    MediaProto proto_kind = MediaProto::other;
    std::vector<std::string> formats;
    std::optional<net::IpAddr> connection;  // the section's c=, else the session's, else none
    bool connection_from_session = false;
    bool rtcp_mux = false;
    std::optional<uint16_t> rtcp_port;  // a=rtcp
    std::optional<net::IpAddr> rtcp_address;
    std::vector<CryptoAttribute> crypto;     // a=crypto lines that parse, in order
    std::vector<KeyingError> crypto_errors;  // those that do not (unknown_suite: skip it)
    std::optional<E2aeIndication> e2ae;
    // a=path (RFC 4975 §8.2), the URIs in order: relays first, the endpoint's own URI last.
    // Empty without one; only the first a=path line counts.
    std::vector<std::string> msrp_path;

    bool operator==(const MediaInfo&) const = default;
};

// One m-section: the m= line and the lines after it up to the next m=.
class MediaSection {
public:
    // Text that starts with an m= line and holds no other m= line (Codec-Data carries this).
    // ending, if given, receives the text's line ending.
    static Expected<MediaSection> parse(std::string_view text, LineEnding* ending = nullptr);

    // a=crypto lines hold keys: they are wiped when the section is destroyed or replaced.
    // A default-constructed section has no lines: info() is empty, operations fail.
    MediaSection() = default;
    MediaSection(const MediaSection&) = default;
    MediaSection(MediaSection&&) noexcept = default;
    MediaSection& operator=(const MediaSection& other);
    MediaSection& operator=(MediaSection&& other) noexcept;
    ~MediaSection() { wipe_lines(); }

    // session_connection: the session-level c= address, used when the section has none.
    MediaInfo info(const std::optional<net::IpAddr>& session_connection = std::nullopt) const;
    const std::vector<std::string>& lines() const { return lines_; }
    size_t text_size(LineEnding ending) const;  // bytes of to_string(ending)
    std::string to_string(LineEnding ending) const;

    // m= port and c= of this section to `address`/`port` (the MSF's), and a=rtcp if present:
    // its port becomes port + 1 (port itself where a=rtcp named the RTP port, as with rtcp-mux)
    // and its address, if it had one, `address`.
    Expected<void> set_address(const net::IpAddr& address, uint16_t port);
    // RTP/AVP <-> RTP/SAVP and RTP/AVPF <-> RTP/SAVPF (secure: the S variant).
    Expected<void> set_secure(bool secure);
    // Appends after the last a=crypto line (or at the end); the tag must not be in use.
    Expected<void> add_crypto(const CryptoAttribute& attribute);
    // Removes the a=crypto lines with this tag (all of them without one); returns how many.
    size_t remove_crypto(std::optional<uint32_t> tag = std::nullopt);
    // Replaces a=3ge2ae, or appends it.
    void set_e2ae(E2aeIndication indication);
    // Replaces the a=path line (RFC 4975 §8.2) with one URI, or appends it: the P-CSCF puts the
    // MSRP relay's URI where the other endpoint's was. Fails on a URI with a space, CR or LF.
    Expected<void> set_msrp_path(std::string_view uri);
    bool remove_e2ae();  // true if there was one

private:
    friend class SessionDescription;
    void wipe_lines() noexcept;
    std::vector<std::string> lines_;  // each "x=value", no line ending; lines_[0] is m=
};

class SessionDescription {
public:
    // Starts with v=0, has one o= line, at most kMaxMediaSections m-sections; every m=, c=, o=,
    // a=rtcp and a=3ge2ae line well-formed. a=crypto lines are checked by info() instead, so
    // one unknown suite does not reject the whole offer.
    static Expected<SessionDescription> parse(std::string_view text);

    std::string to_string() const;
    LineEnding line_ending() const { return ending_; }
    const std::vector<std::string>& session_lines() const { return session_; }
    std::optional<net::IpAddr> session_connection() const;
    uint64_t origin_version() const;

    size_t media_count() const { return media_.size(); }
    const MediaSection& media(size_t index) const { return media_.at(index); }
    Expected<MediaInfo> media_info(size_t index) const;

    // The MediaSection operations on section `index`; each fails on an index out of range and
    // when the result would exceed kMaxSdpLen, and then changes nothing.
    Expected<void> set_media_address(size_t index, const net::IpAddr& address, uint16_t port);
    Expected<void> set_media_secure(size_t index, bool secure);
    Expected<void> add_crypto(size_t index, const CryptoAttribute& attribute);
    Expected<size_t> remove_crypto(size_t index, std::optional<uint32_t> tag = std::nullopt);
    Expected<void> set_e2ae(size_t index, E2aeIndication indication);
    Expected<bool> remove_e2ae(size_t index);
    Expected<void> set_msrp_path(size_t index, std::string_view uri);
    // Replaces the session-level c= (or adds one before the first t=, or at the end).
    Expected<void> set_session_connection(const net::IpAddr& address);
    // o= sess-version + 1, as RFC 3264 §8 asks of every changed offer or answer.
    Expected<void> bump_origin_version();

private:
    template <class Op>
    Expected<void> change_media(size_t index, Op&& op);
    size_t text_size() const;

    std::vector<std::string> session_;
    std::vector<MediaSection> media_;
    LineEnding ending_ = LineEnding::crlf;
};

// ---- Kamailio ims_qos Codec-Data ----
//
// Kamailio's ims_qos (src/modules/ims_qos/rx_avp.c, rx_create_codec_data_avp(), unchanged from
// 5.x to the 2024 master) fills Codec-Data with "uplink\noffer\n", "uplink\nanswer\n",
// "downlink\noffer\n" or "downlink\nanswer\n", then the raw SDP stream of that m-line (from
// "m=" to the next "m=", CRLFs included, no session-level lines), then one NUL byte: it sizes
// the AVP as header + stream + 1 ("0 Terminated"). A mobile-originated call gets uplink offer
// + downlink answer, a mobile-terminated one downlink offer + uplink answer
// (rx_add_media_component_description_avp()).

enum class LinkDirection : uint8_t { uplink, downlink };
// TS 29.214 §5.3.7 also has "description" (SDP that is neither offer nor answer).
enum class SdpRole : uint8_t { offer, answer, description };

struct CodecData {
    LinkDirection direction = LinkDirection::uplink;
    SdpRole role = SdpRole::offer;
    MediaSection section;
    LineEnding ending = LineEnding::crlf;  // of the m-section text (ims_qos copies it as sent)
};

// The AVP's value, with or without the trailing NUL; "\n" or "\r\n" after the two words.
Expected<CodecData> parse_codec_data(std::string_view avp_value);

// What an Rx application reads from Codec-Data: the same checks and errors as parse_codec_data
// and then section.info(), without copying the section's lines (a=crypto keys among them).
struct CodecDataInfo {
    LinkDirection direction = LinkDirection::uplink;
    SdpRole role = SdpRole::offer;
    LineEnding ending = LineEnding::crlf;
    MediaInfo media;
};
Expected<CodecDataInfo> codec_data_info(std::string_view avp_value);
// As ims_qos builds it, trailing NUL included. m_section: the raw m-section text.
std::string format_codec_data(LinkDirection direction, SdpRole role, std::string_view m_section);

}  // namespace msf::keying
