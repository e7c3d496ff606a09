// libFuzzer target for msf-pcscf's SIP parser and what reads a parsed message: the e2ae
// Security-Client/Security-Server mechanism, the REGISTER decision, the SDP body.
//
// Checked beyond "does not crash": a message that parses formats to text that parses again to
// the same text (to_string is canonical); errors have a message without control characters.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "controlplane/pcscf/call_signalling.hpp"
#include "controlplane/pcscf/registration.hpp"
#include "controlplane/pcscf/sip_message.hpp"

namespace {

using namespace msf::pcscf;

void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "sip_message_parse_fuzz: %s\n", what);
        std::abort();
    }
}

void check_error_text(const std::string& message) {
    check(!message.empty(), "empty error message");
    for (const char c : message) check(static_cast<unsigned char>(c) >= 0x20, "control character in an error message");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    auto message = SipMessage::parse(input);
    if (!message) {
        check_error_text(message.error().message);
        return 0;
    }
    const std::string text = message->to_string();
    auto again = SipMessage::parse(text);
    check(again.ok(), "a formatted message does not parse");
    check(again->to_string() == text, "formatting is not canonical");
    check(!message->call_id().empty(), "parsed without a Call-ID");

    for (const char* field : {"Security-Client", "Security-Server"}) {
        auto mechanism = read_e2ae_mechanism(*message, field);
        if (!mechanism) check_error_text(mechanism.error().message);
    }
    auto decision = decide_registration(*message, true);
    if (decision) {
        check(decision->acknowledged == decision->announced.has_value(), "acknowledged without an announcement");
        const std::string ok = build_register_ok(*message, *decision, "t").to_string();
        check(SipMessage::parse(ok).ok(), "the 200 OK to a parsed REGISTER does not parse");
    }
    (void)sdp_body(*message);
    return 0;
}
