// read_ini: the config file dialect, its line numbers and its malformed-input errors.
#include "dataplane/config/ini.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string>

#include "dataplane/config/config.hpp"

namespace msf::config {
namespace {

constexpr std::array<std::string_view, 2> kSections = {"access", "core"};

std::vector<IniEntry> read(std::string_view text) { return read_ini(text, "f.conf", kSections); }

std::string error_of(std::string_view text) {
    try {
        read(text);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "(no error)";
}

TEST(ReadIni, PrefixesSectionNamesAndCountsLines) {
    const auto entries = read("a = 1\n\n# c\n[access]\nport = net_null0\n[core]\n  ipv4=192.0.2.1  \n");
    ASSERT_EQ(entries.size(), 3u);
    EXPECT_EQ(entries[0].name, "a");
    EXPECT_EQ(entries[0].value, "1");
    EXPECT_EQ(entries[0].line, 1u);
    EXPECT_EQ(entries[1].name, "access.port");
    EXPECT_EQ(entries[1].line, 5u);
    EXPECT_EQ(entries[2].name, "core.ipv4");
    EXPECT_EQ(entries[2].value, "192.0.2.1");
    EXPECT_EQ(entries[2].line, 7u);
}

TEST(ReadIni, CommentsAreWholeLinesAndValuesKeepHashes) {
    const auto entries = read("  # indented comment\n; semicolon\neal = -d a#b ; c\n[ core ]\n");
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_EQ(entries[0].value, "-d a#b ; c");
    EXPECT_EQ(error_of("[core] # side"), "f.conf:1: section header '[core] # side' lacks its ']'");
}

TEST(ReadIni, HandlesCrlfEmptyValuesAndNoFinalNewline) {
    const auto entries = read("a =\r\nb = 2");
    ASSERT_EQ(entries.size(), 2u);
    EXPECT_EQ(entries[0].value, "");
    EXPECT_EQ(entries[1].value, "2");
    EXPECT_TRUE(read("").empty());
    EXPECT_TRUE(read("\n\n\n").empty());
}

TEST(ReadIni, RejectsMalformedLinesWithTheirNumber) {
    EXPECT_EQ(error_of("a = 1\nnonsense\n"),
              "f.conf:2: expected 'name = value' or '[section]', got 'nonsense'");
    EXPECT_EQ(error_of("[access"), "f.conf:1: section header '[access' lacks its ']'");
    EXPECT_EQ(error_of("[]"), "f.conf:1: unknown section '' (sections: access, core)");
    EXPECT_EQ(error_of("\n\n[other]"), "f.conf:3: unknown section 'other' (sections: access, core)");
    EXPECT_EQ(error_of("a b = 1"), "f.conf:1: expected 'name = value' or '[section]', got 'a b = 1'");
    EXPECT_EQ(error_of("= 1"), "f.conf:1: expected 'name = value' or '[section]', got '= 1'");
    EXPECT_EQ(error_of(std::string("a\0b = 1", 7)),
              "f.conf:1: expected 'name = value' or '[section]', got 'a\\x00b = 1'");
}

TEST(Quote, EscapesControlBytesAndShortensLongText) {
    EXPECT_EQ(quote("abc"), "'abc'");
    EXPECT_EQ(quote("a\nb\x7f'"), "'a\\x0ab\\x7f\\x27'");
    const std::string q = quote(std::string(1000, 'x'));
    EXPECT_EQ(q, "'" + std::string(64, 'x') + "...'");
}

}  // namespace
}  // namespace msf::config
