// Peer text on its way into the JSON output: valid UTF-8 passes untouched, every byte of an
// invalid sequence (RFC 3629 §4 and §10's examples) becomes '?', and the result is stable.
#include <gtest/gtest.h>

#include <string>

#include "tests/tools/fd_rx_client/utf8_text.hpp"

namespace msf::fdrx {
namespace {

TEST(Utf8Text, ValidTextPassesUntouched) {
    for (const std::string s : {"", "pcscf.test;1795825588;1;rx", "permit out 17 from 192.0.2.2 49170 to any",
                                "caf\xc3\xa9", "\xe2\x82\xac 5", "\xf0\x9f\x93\x9e call", "\x7f\x01 controls stay"})
        EXPECT_EQ(printable_utf8(s), s);
}

TEST(Utf8Text, InvalidSequencesBecomeOneQuestionMarkPerByte) {
    EXPECT_EQ(printable_utf8("a\xff" "b"), "a?b");                 // never a lead byte
    EXPECT_EQ(printable_utf8("\xc0\xaf"), "??");                   // overlong '/'
    EXPECT_EQ(printable_utf8("\xe0\x80\xaf"), "???");              // overlong, 3 bytes
    EXPECT_EQ(printable_utf8("\xed\xa0\x80"), "???");              // UTF-16 surrogate D800
    EXPECT_EQ(printable_utf8("\xf4\x90\x80\x80"), "????");         // above U+10FFFF
    EXPECT_EQ(printable_utf8("x\xe2\x82"), "x??");                 // cut short at the end
    EXPECT_EQ(printable_utf8("\xc3" "A"), "?A");                   // continuation missing
    EXPECT_EQ(printable_utf8("\x80\xbf"), "??");                   // lone continuations
}

TEST(Utf8Text, ResultIsStable) {
    const std::string messy = "\xff\xc3\xa9\xe2\x82\xc3\xa9\xed\xa0\x80ok";
    const std::string once = printable_utf8(messy);
    EXPECT_EQ(once, "?\xc3\xa9??\xc3\xa9???ok");
    EXPECT_EQ(printable_utf8(once), once);
}

}  // namespace
}  // namespace msf::fdrx
