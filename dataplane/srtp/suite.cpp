#include "dataplane/srtp/suite.hpp"

namespace msf::srtp {

std::optional<Suite> suite_from_name(std::string_view name) {
    for (const SuiteInfo& info : kSuites) {
        if (info.name == name) return info.suite;
    }
    return std::nullopt;
}

}  // namespace msf::srtp
