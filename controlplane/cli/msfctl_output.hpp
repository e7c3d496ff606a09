// How msfctl prints msf-controld's results (shapes in protocol.hpp): aligned tables and
// labelled lines for people, the result object itself for --json.
//
// The result comes from another process, so nothing here trusts it: a member that is missing,
// null or of another type prints as "-", strings lose their control characters, and no input
// makes these functions throw.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "controlplane/cli/protocol.hpp"

namespace msf::cli {

// The text of a command's result, ending in a newline.
std::string result_text(Command command, const nlohmann::json& result);
// --json: the result object on one line, ending in a newline.
std::string result_json(const nlohmann::json& result);

// 850ms, 12s, 5m07s, 2h05m, 3d04h: the two largest units, truncated.
std::string duration_text(uint64_t ms);

}  // namespace msf::cli
