#include "dataplane/config/ini.hpp"

#include <algorithm>
#include <cstdio>

#include "dataplane/config/config.hpp"

namespace msf::config {
namespace {

constexpr size_t kMaxQuotedChars = 64;

std::string_view trim(std::string_view s) {
    const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
    while (!s.empty() && space(s.front())) s.remove_prefix(1);
    while (!s.empty() && space(s.back())) s.remove_suffix(1);
    return s;
}

bool valid_name(std::string_view name) {
    return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '_' || c == '.';
    });
}

}  // namespace

std::string quote(std::string_view text) {
    std::string out = "'";
    const size_t shown = std::min(text.size(), kMaxQuotedChars);
    for (size_t i = 0; i < shown; ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c < 0x20 || c == 0x7f || c == '\'' || c == '\\') {
            char buf[5];
            std::snprintf(buf, sizeof(buf), "\\x%02x", c);
            out += buf;
        } else {
            out += static_cast<char>(c);
        }
    }
    if (shown < text.size()) out += "...";
    out += "'";
    return out;
}

std::vector<IniEntry> read_ini(std::string_view text, std::string_view file_name,
                               std::span<const std::string_view> sections) {
    std::vector<IniEntry> entries;
    std::string section;
    uint32_t line_no = 0;
    const auto fail = [&](const std::string& problem) {
        throw ConfigError(std::string(file_name) + ":" + std::to_string(line_no) + ": " + problem);
    };
    while (!text.empty()) {
        ++line_no;
        const size_t eol = text.find('\n');
        std::string_view line = text.substr(0, eol);
        text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);

        line = trim(line);
        if (line.empty() || line.front() == '#' || line.front() == ';') continue;

        if (line.front() == '[') {
            if (line.back() != ']') fail("section header " + quote(line) + " lacks its ']'");
            const std::string_view name = trim(line.substr(1, line.size() - 2));
            if (std::find(sections.begin(), sections.end(), name) == sections.end()) {
                std::string known;
                for (const auto s : sections) {
                    if (!known.empty()) known += ", ";
                    known += s;
                }
                fail("unknown section " + quote(name) + " (sections: " + known + ")");
            }
            section = name;
            continue;
        }

        const size_t eq = line.find('=');
        const std::string_view key = trim(line.substr(0, eq));
        if (eq == std::string_view::npos || !valid_name(key))
            fail("expected 'name = value' or '[section]', got " + quote(line));
        IniEntry entry;
        entry.name = section.empty() ? std::string(key) : section + "." + std::string(key);
        entry.value = std::string(trim(line.substr(eq + 1)));
        entry.line = line_no;
        entries.push_back(std::move(entry));
    }
    return entries;
}

}  // namespace msf::config
