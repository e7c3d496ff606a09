// What the neighbour code decides about a received message it cannot use: malformed (broken on
// the wire, counted as malformed) or ignored (well-formed, but not for us or not handled).
#pragma once

#include <cstdint>
#include <string_view>

namespace msf::neigh {

enum class Verdict : uint8_t { ok, malformed, ignored };

// A parsed message, or why there is none. `reason` is a static string naming the failed check.
template <class T>
struct Parsed {
    T value{};
    Verdict verdict = Verdict::ok;
    std::string_view reason;

    bool ok() const { return verdict == Verdict::ok; }

    static Parsed of(const T& v) {
        Parsed p;
        p.value = v;
        return p;
    }
    static Parsed malformed(std::string_view why) {
        Parsed p;
        p.verdict = Verdict::malformed;
        p.reason = why;
        return p;
    }
    static Parsed ignored(std::string_view why) {
        Parsed p;
        p.verdict = Verdict::ignored;
        p.reason = why;
        return p;
    }
};

}  // namespace msf::neigh
