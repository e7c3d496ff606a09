// The INI dialect of msf config files: `name = value` lines, `[section]` headers that prefix the
// names that follow ("[access]" + "port" -> "access.port"), comment lines starting with '#' or
// ';'. A value is the rest of the line after '=', trimmed, taken as written: no inline
// comments and no quote removal, so "a#b" and eal's own quotes arrive intact.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace msf::config {

struct IniEntry {
    std::string name;   // "workers", "access.port"
    std::string value;  // trimmed
    uint32_t line = 0;  // 1-based
};

// Throws ConfigError "<file_name>:<line>: <problem>" on a line that is neither a comment, a
// section from `sections`, nor `name = value`.
std::vector<IniEntry> read_ini(std::string_view text, std::string_view file_name,
                               std::span<const std::string_view> sections);

// `text` quoted for an error message on one line: control bytes escaped, long text shortened.
std::string quote(std::string_view text);

}  // namespace msf::config
