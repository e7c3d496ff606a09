#include "controlplane/cli/protocol.hpp"

#include <vector>

namespace msf::cli {

namespace {

using Json = nlohmann::json;

// What a top-level member of a request holds. Requests are flat, so a nested value is only
// recorded by its kind (and then refused).
enum class Kind : uint8_t { null, boolean, negative_integer, unsigned_integer, fraction, string, object, array };

const char* kind_name(Kind kind) {
    switch (kind) {
        case Kind::null: return "null";
        case Kind::boolean: return "a boolean";
        case Kind::negative_integer: return "a negative integer";
        case Kind::unsigned_integer: return "an unsigned integer";
        case Kind::fraction: return "a number with a fraction or exponent";
        case Kind::string: return "a string";
        case Kind::object: return "an object";
        case Kind::array: return "an array";
    }
    return "a value";
}

struct Member {
    std::string name;
    Kind kind = Kind::null;
    bool flag = false;
    uint64_t number = 0;
    std::string text;
};

Member member_of(Kind kind, bool flag = false, uint64_t number = 0, std::string text = {}) {
    return Member{{}, kind, flag, number, std::move(text)};
}

// SAX events of one request line into its top-level members. The DOM is never built: nested
// values are skipped whatever their size, and the first duplicated member name is noted (a DOM
// would silently keep one of the two values).
class RequestSax final : public nlohmann::json_sax<Json> {
public:
    bool null() override { return value(member_of(Kind::null)); }
    bool boolean(bool v) override { return value(member_of(Kind::boolean, v)); }
    bool number_integer(number_integer_t v) override {
        // The lexer gives unsigned for every number without '-'; this is a negative one.
        return value(member_of(v < 0 ? Kind::negative_integer : Kind::unsigned_integer, false, static_cast<uint64_t>(v)));
    }
    bool number_unsigned(number_unsigned_t v) override { return value(member_of(Kind::unsigned_integer, false, v)); }
    bool number_float(number_float_t, const string_t&) override { return value(member_of(Kind::fraction)); }
    bool string(string_t& v) override { return value(member_of(Kind::string, false, 0, std::move(v))); }
    bool binary(binary_t&) override { return value(member_of(Kind::string)); }  // not produced by JSON text
    bool start_object(std::size_t) override { return open(Kind::object); }
    bool end_object() override { return close(); }
    bool start_array(std::size_t) override { return open(Kind::array); }
    bool end_array() override { return close(); }
    bool key(string_t& name) override {
        if (depth_ != 1) return true;
        for (const Member& m : members_)
            if (m.name == name && !duplicate_) duplicate_ = name;
        pending_name_ = std::move(name);
        return true;
    }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
        // "[json.exception.parse_error.101] parse error at line 1, column 2: ..." without the tag.
        std::string_view what = e.what();
        if (const size_t tag_end = what.find("] "); what.substr(0, 1) == "[" && tag_end != std::string_view::npos)
            what.remove_prefix(tag_end + 2);
        syntax_error_ = std::string(what);
        return false;
    }

    const std::optional<std::string>& syntax_error() const { return syntax_error_; }
    std::optional<Kind> top_kind() const { return top_kind_; }
    const std::optional<std::string>& duplicate() const { return duplicate_; }
    const std::vector<Member>& members() const { return members_; }

private:
    bool value(Member m) {
        if (depth_ == 0) {
            top_kind_ = m.kind;
        } else if (depth_ == 1) {
            m.name = std::move(pending_name_);
            members_.push_back(std::move(m));
        }
        return true;
    }
    bool open(Kind kind) {
        if (depth_ <= 1) value(member_of(kind));
        ++depth_;
        return true;
    }
    bool close() {
        --depth_;
        return true;
    }

    int depth_ = 0;  // 1 inside the top-level object
    std::optional<Kind> top_kind_;
    std::string pending_name_;
    std::vector<Member> members_;
    std::optional<std::string> duplicate_;
    std::optional<std::string> syntax_error_;
};

// Quoted in error lines, cut short and without control characters.
std::string shown(std::string_view text) {
    std::string out = "'";
    out += printable_line(text, 64);
    return out + "'";
}

std::string command_list() {
    std::string out;
    for (const CommandInfo& c : kCommands) {
        if (!out.empty()) out += ", ";
        out += c.name;
    }
    return out;
}

const Member* find_member(const std::vector<Member>& members, std::string_view name) {
    for (const Member& m : members)
        if (m.name == name) return &m;
    return nullptr;
}

constexpr std::array<std::string_view, 4> kRequestMembers = {"id", "command", "session_id", "reveal"};

// Deepest nesting of arrays and objects in JSON text, found without parsing it, so that a
// hostile line of brackets is refused before a parser stacks one entry per bracket.
size_t nesting_depth(std::string_view text) {
    size_t depth = 0;
    size_t deepest = 0;
    bool in_string = false;
    bool escaped = false;
    for (const char c : text) {
        if (in_string) {
            if (escaped) escaped = false;
            else if (c == '\\') escaped = true;
            else if (c == '"') in_string = false;
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            deepest = std::max(deepest, ++depth);
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return deepest;
}

std::string dump(const Json& value) { return value.dump(-1, ' ', false, Json::error_handler_t::replace); }

}  // namespace

const CommandInfo& command_info(Command command) { return kCommands[static_cast<size_t>(command)]; }

std::optional<Command> command_by_name(std::string_view name) {
    for (const CommandInfo& c : kCommands)
        if (c.name == name) return c.command;
    return std::nullopt;
}

std::string_view result_code_name(ResultCode code) { return kResultCodes[static_cast<size_t>(code)].name; }

std::optional<ResultCode> result_code_by_name(std::string_view name) {
    for (const ResultCodeInfo& c : kResultCodes)
        if (c.name == name) return c.code;
    return std::nullopt;
}

std::string printable_line(std::string_view text, size_t max_len) {
    std::string out;
    const size_t n = std::min(text.size(), max_len);
    out.reserve(n + 3);
    for (size_t i = 0; i < n; ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        // C0 controls, DEL, and the UTF-8 form of C1 controls (U+0080..U+009F, e.g. CSI U+009B)
        // would let a name drive the terminal.
        if (c < 0x20 || c == 0x7f) {
            out.push_back('?');
        } else if (c == 0xc2 && i + 1 < n && static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
                   static_cast<unsigned char>(text[i + 1]) <= 0x9f) {
            out.push_back('?');
            ++i;
        } else {
            out.push_back(static_cast<char>(c));
        }
    }
    if (text.size() > max_len) out += "...";
    return out;
}

std::optional<std::string> session_id_error(std::string_view session_id) {
    if (session_id.empty()) return "empty";
    if (session_id.size() > kMaxSessionIdLen)
        return std::to_string(session_id.size()) + " bytes, at most " + std::to_string(kMaxSessionIdLen);
    for (size_t i = 0; i < session_id.size(); ++i) {
        const auto c = static_cast<unsigned char>(session_id[i]);
        if (c < 0x20 || c > 0x7e) {
            static constexpr char kHex[] = "0123456789abcdef";
            return std::string("byte 0x") + kHex[c >> 4] + kHex[c & 15] + " at offset " + std::to_string(i) +
                   " is not printable ASCII";
        }
    }
    return std::nullopt;
}

Parsed<Request> parse_request(std::string_view line) {
    if (line.size() > kMaxRequestLine)
        return ProtocolError{std::nullopt, "request line longer than " + std::to_string(kMaxRequestLine) + " bytes"};

    RequestSax sax;
    Json::sax_parse(line.begin(), line.end(), &sax);
    if (sax.syntax_error()) return ProtocolError{std::nullopt, "not JSON: " + printable_line(*sax.syntax_error(), 200)};
    if (!sax.top_kind()) return ProtocolError{std::nullopt, "not JSON: no value"};
    if (sax.top_kind() != Kind::object)
        return ProtocolError{std::nullopt, std::string("a request is a JSON object, not ") + kind_name(*sax.top_kind())};
    if (sax.duplicate()) return ProtocolError{std::nullopt, "member " + shown(*sax.duplicate()) + " given twice"};
    const std::vector<Member>& members = sax.members();

    // The id first, so that every later error can carry it.
    const Member* id = find_member(members, "id");
    if (!id) return ProtocolError{std::nullopt, "missing member 'id'"};
    if (id->kind != Kind::unsigned_integer)
        return ProtocolError{std::nullopt, std::string("id: expected an unsigned integer, got ") + kind_name(id->kind)};
    if (id->number > kMaxRequestId)
        return ProtocolError{std::nullopt, "id: " + std::to_string(id->number) + " exceeds " + std::to_string(kMaxRequestId)};
    Request request;
    request.id = id->number;
    auto fail = [&](std::string message) { return ProtocolError{request.id, std::move(message)}; };

    for (const Member& m : members) {
        bool known = false;
        for (std::string_view name : kRequestMembers) known |= m.name == name;
        if (!known) return fail("unknown member " + shown(m.name));
    }

    const Member* command = find_member(members, "command");
    if (!command) return fail("missing member 'command'");
    if (command->kind != Kind::string) return fail(std::string("command: expected a string, got ") + kind_name(command->kind));
    const auto known_command = command_by_name(command->text);
    if (!known_command) return fail("unknown command " + shown(command->text) + "; one of " + command_list());
    request.command = *known_command;
    const CommandInfo& info = command_info(request.command);

    const Member* session_id = find_member(members, "session_id");
    if (info.takes_session_id) {
        if (!session_id) return fail("command '" + std::string(info.name) + "' needs member 'session_id'");
        if (session_id->kind != Kind::string)
            return fail(std::string("session_id: expected a string, got ") + kind_name(session_id->kind));
        if (auto error = session_id_error(session_id->text)) return fail("session_id: " + *error);
        request.session_id = session_id->text;
    } else if (session_id) {
        return fail("command '" + std::string(info.name) + "' takes no session_id");
    }

    if (const Member* reveal = find_member(members, "reveal")) {
        if (!info.may_reveal) return fail("command '" + std::string(info.name) + "' takes no reveal");
        if (reveal->kind != Kind::boolean) return fail(std::string("reveal: expected a boolean, got ") + kind_name(reveal->kind));
        request.reveal = reveal->flag;
    }
    return request;
}

std::string encode_request(const Request& request) {
    const CommandInfo& info = command_info(request.command);
    std::string out = "{\"id\":" + std::to_string(request.id) + ",\"command\":\"" + std::string(info.name) + "\"";
    if (info.takes_session_id) out += ",\"session_id\":" + dump(Json(request.session_id));
    if (info.may_reveal && request.reveal) out += ",\"reveal\":true";
    return out + "}\n";
}

std::string encode_response(std::optional<uint64_t> id, const Response& response) {
    std::string out = "{\"id\":" + (id ? std::to_string(*id) : std::string("null"));
    if (response.ok()) {
        out += ",\"ok\":true,\"result\":" + dump(response.result);
    } else {
        out += ",\"ok\":false,\"code\":\"" + std::string(result_code_name(response.code)) +
               "\",\"error\":" + dump(Json(printable_line(response.error, kMaxErrorLen)));
    }
    return out + "}\n";
}

Parsed<ResponseLine> parse_response(std::string_view line) {
    if (line.size() > kMaxResponseLine)
        return ProtocolError{std::nullopt, "response longer than " + std::to_string(kMaxResponseLine) + " bytes"};
    if (nesting_depth(line) > kMaxResponseDepth + 1)  // the response object around the result
        return ProtocolError{std::nullopt, "response nested deeper than " + std::to_string(kMaxResponseDepth) + " levels"};
    Json parsed = Json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded()) return ProtocolError{std::nullopt, "response is not JSON"};
    if (!parsed.is_object()) return ProtocolError{std::nullopt, "response is not a JSON object"};

    ResponseLine out;
    const auto id = parsed.find("id");
    if (id == parsed.end()) return ProtocolError{std::nullopt, "response without 'id'"};
    if (id->is_number_unsigned()) {
        out.id = id->get<uint64_t>();
    } else if (!id->is_null()) {
        return ProtocolError{std::nullopt, "response 'id' is neither an unsigned integer nor null"};
    }
    const auto ok = parsed.find("ok");
    if (ok == parsed.end() || !ok->is_boolean()) return ProtocolError{out.id, "response without boolean 'ok'"};
    if (ok->get<bool>()) {
        const auto result = parsed.find("result");
        if (result == parsed.end() || !result->is_object())
            return ProtocolError{out.id, "ok response without a result object"};
        out.response = Response::success(std::move(*result));
        return out;
    }
    const auto code = parsed.find("code");
    const auto error = parsed.find("error");
    if (code == parsed.end() || !code->is_string()) return ProtocolError{out.id, "error response without a 'code' string"};
    const auto known = result_code_by_name(code->get_ref<const std::string&>());
    if (!known || *known == ResultCode::ok)
        return ProtocolError{out.id, "error response with unknown code " + shown(code->get_ref<const std::string&>())};
    if (error == parsed.end() || !error->is_string()) return ProtocolError{out.id, "error response without an 'error' string"};
    out.response = Response::failure(*known, error->get<std::string>());
    return out;
}

}  // namespace msf::cli
