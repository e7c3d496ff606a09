// A small JSON writer for the operator tools' --json output (RFC 8259). Builds one document in
// a string; commas and string escaping are its business, structure is the caller's.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace msf::tools {

class JsonWriter {
public:
    JsonWriter& begin_object();
    JsonWriter& end_object();
    JsonWriter& begin_array();
    JsonWriter& end_array();
    // The name of the next member; must be followed by a value or a begin_*.
    JsonWriter& key(std::string_view name);

    JsonWriter& value(std::string_view text);
    JsonWriter& value(const char* text) { return value(std::string_view(text)); }
    JsonWriter& value(uint64_t number);
    JsonWriter& value(int64_t number);
    JsonWriter& value(uint32_t number) { return value(uint64_t{number}); }
    JsonWriter& value(int number) { return value(int64_t{number}); }
    JsonWriter& value(bool flag);
    JsonWriter& null();

    // key(name).value(v) in one call.
    template <class T>
    JsonWriter& member(std::string_view name, const T& v) {
        key(name);
        return value(v);
    }

    const std::string& str() const { return out_; }

private:
    void before_value();

    std::string out_;
    // One entry per open object or array: whether it already holds an element.
    std::vector<bool> has_element_;
    bool after_key_ = false;
};

// RFC 8259 §7: quotes, backslashes and control characters escaped; other bytes as they are.
void append_json_string(std::string& out, std::string_view text);

}  // namespace msf::tools
