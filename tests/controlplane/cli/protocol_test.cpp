// The CLI protocol: every command parses, requests round-trip, and every kind of malformed
// request line gets one clear error (with the request's id when it could be read); responses
// encode as documented and the client-side parser refuses what a broken server might send.
#include "controlplane/cli/protocol.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace msf::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

ProtocolError request_error(std::string_view line) {
    auto parsed = parse_request(line);
    if (parsed) {
        ADD_FAILURE() << "parsed, but should not have: " << line;
        return {};
    }
    EXPECT_EQ(parsed.error().message.find('\n'), std::string::npos) << "error is not one line";
    return parsed.error();
}

Request request_of(std::string_view line) {
    auto parsed = parse_request(line);
    if (!parsed) {
        ADD_FAILURE() << "did not parse: " << parsed.error().message;
        return {};
    }
    return *parsed;
}

TEST(CliProtocol, ParsesEveryCommandOfTheTable) {
    for (const CommandInfo& info : kCommands) {
        std::string line = R"({"id":7,"command":")" + std::string(info.name) + "\"";
        if (info.takes_session_id) line += R"(,"session_id":"pcscf.example.net;1;2")";
        line += "}";
        const Request r = request_of(line);
        EXPECT_EQ(r.id, 7u);
        EXPECT_EQ(r.command, info.command) << info.name;
        EXPECT_EQ(r.session_id, info.takes_session_id ? "pcscf.example.net;1;2" : "");
        EXPECT_FALSE(r.reveal);
    }
}

TEST(CliProtocol, ParsesRevealOfKeysAndIgnoresMemberOrderAndWhitespace) {
    const Request r = request_of(R"(  { "reveal" : true , "session_id" : "s;1" , "command" : "keys" , "id" : 0 }  )");
    EXPECT_EQ(r.command, Command::keys);
    EXPECT_EQ(r.session_id, "s;1");
    EXPECT_TRUE(r.reveal);
    EXPECT_EQ(r.id, 0u);
    EXPECT_FALSE(request_of(R"({"id":1,"command":"keys","session_id":"s","reveal":false})").reveal);
}

TEST(CliProtocol, EncodedRequestsParseBackToTheSameRequest) {
    for (const CommandInfo& info : kCommands) {
        Request r;
        r.id = kMaxRequestId;
        r.command = info.command;
        if (info.takes_session_id) r.session_id = "host;\"quoted\\\";" + std::string(100, 'x');
        r.reveal = info.may_reveal;
        const std::string line = encode_request(r);
        ASSERT_EQ(line.back(), '\n');
        EXPECT_EQ(line.find('\n'), line.size() - 1);
        EXPECT_EQ(request_of(std::string_view(line).substr(0, line.size() - 1)), r) << line;
    }
    Request plain;
    plain.id = 3;
    plain.command = Command::stats;
    EXPECT_EQ(encode_request(plain), "{\"id\":3,\"command\":\"stats\"}\n");
}

TEST(CliProtocol, AcceptsSessionIdsUpTo1024PrintableBytes) {
    const std::string id(kMaxSessionIdLen, '~');
    EXPECT_EQ(request_of(R"({"id":1,"command":"session","session_id":")" + id + "\"}").session_id, id);
    EXPECT_EQ(request_of(R"({"id":1,"command":"session","session_id":" !~"})").session_id, " !~");
}

TEST(CliProtocol, RefusesTextThatIsNotJsonWithoutAnId) {
    for (const char* line : {"", "{", "{bad", "{\"id\":1,}", "{\"id\":1 \"command\":\"x\"}", "nul", "[1,2",
                             "{\"id\":1,\"command\":\"stats\"} trailing", "{\"id\":1,\"command\":\"stats\"}{}",
                             "{\"id\":1,\"command\":\"stats\"} // comment", "{'id':1}"}) {
        const ProtocolError e = request_error(line);
        EXPECT_EQ(e.id, std::nullopt) << line;
        EXPECT_THAT(e.message, StartsWith("not JSON: ")) << line;
    }
    EXPECT_THAT(request_error("{bad").message, HasSubstr("column 2"));
}

TEST(CliProtocol, RefusesStringsThatAreNotUtf8) {
    const ProtocolError e = request_error("{\"id\":1,\"command\":\"session\",\"session_id\":\"a\xff\"}");
    EXPECT_THAT(e.message, StartsWith("not JSON: "));
    // RFC 8259 §7: control characters must be escaped inside strings.
    EXPECT_THAT(request_error("{\"id\":1,\"command\":\"st\x01\"}").message, StartsWith("not JSON: "));
}

TEST(CliProtocol, RefusesARequestThatIsNotAnObject) {
    EXPECT_EQ(request_error("[]").message, "a request is a JSON object, not an array");
    EXPECT_EQ(request_error("\"sessions\"").message, "a request is a JSON object, not a string");
    EXPECT_EQ(request_error("7").message, "a request is a JSON object, not an unsigned integer");
    EXPECT_EQ(request_error("null").message, "a request is a JSON object, not null");
}

TEST(CliProtocol, RefusesADuplicatedMember) {
    const ProtocolError e = request_error(R"({"id":1,"command":"sessions","command":"stats"})");
    EXPECT_EQ(e.message, "member 'command' given twice");
    // Names inside nested values are not members of the request.
    EXPECT_EQ(request_error(R"({"id":1,"command":"sessions","x":{"id":2,"id":3}})").message, "unknown member 'x'");
}

TEST(CliProtocol, RefusesAMissingOrMistypedId) {
    EXPECT_EQ(request_error(R"({"command":"sessions"})").message, "missing member 'id'");
    EXPECT_EQ(request_error(R"({"id":"7","command":"sessions"})").message, "id: expected an unsigned integer, got a string");
    EXPECT_EQ(request_error(R"({"id":-1,"command":"sessions"})").message,
              "id: expected an unsigned integer, got a negative integer");
    EXPECT_EQ(request_error(R"({"id":1.5,"command":"sessions"})").message,
              "id: expected an unsigned integer, got a number with a fraction or exponent");
    EXPECT_EQ(request_error(R"({"id":1e3,"command":"sessions"})").message,
              "id: expected an unsigned integer, got a number with a fraction or exponent");
    EXPECT_EQ(request_error(R"({"id":null,"command":"sessions"})").message, "id: expected an unsigned integer, got null");
    EXPECT_EQ(request_error(R"({"id":[1],"command":"sessions"})").message, "id: expected an unsigned integer, got an array");
    EXPECT_EQ(request_error(R"({"id":9007199254740992,"command":"sessions"})").message,
              "id: 9007199254740992 exceeds 9007199254740991");
    EXPECT_EQ(request_of(R"({"id":9007199254740991,"command":"sessions"})").id, kMaxRequestId);
    // Beyond 64 bits the lexer gives a float: still not an id.
    EXPECT_THAT(request_error(R"({"id":99999999999999999999999,"command":"sessions"})").message,
                HasSubstr("got a number with a fraction or exponent"));
}

TEST(CliProtocol, ErrorsAfterAReadableIdCarryIt) {
    EXPECT_EQ(request_error(R"({"id":42,"command":"bogus"})").id, std::optional<uint64_t>(42));
    EXPECT_EQ(request_error(R"({"id":42})").id, std::optional<uint64_t>(42));
    EXPECT_EQ(request_error(R"({"id":42,"command":"stats","extra":1})").id, std::optional<uint64_t>(42));
}

TEST(CliProtocol, RefusesUnknownMembers) {
    EXPECT_EQ(request_error(R"({"id":1,"command":"sessions","verbose":true})").message, "unknown member 'verbose'");
    EXPECT_EQ(request_error(R"({"id":1,"command":"sessions","":1})").message, "unknown member ''");
    // A hostile name is shown cut short and without control characters.
    const ProtocolError e = request_error("{\"id\":1,\"command\":\"sessions\",\"\\u001b[2J" + std::string(100, 'n') + "\":1}");
    EXPECT_EQ(e.message, "unknown member '?[2J" + std::string(60, 'n') + "...'");
}

TEST(CliProtocol, RefusesAMissingMistypedOrUnknownCommand) {
    EXPECT_EQ(request_error(R"({"id":1})").message, "missing member 'command'");
    EXPECT_EQ(request_error(R"({"id":1,"command":7})").message, "command: expected a string, got an unsigned integer");
    EXPECT_EQ(request_error(R"({"id":1,"command":{"name":"stats"}})").message, "command: expected a string, got an object");
    EXPECT_EQ(request_error(R"({"id":1,"command":"Sessions"})").message,
              "unknown command 'Sessions'; one of sessions, session, keys, stats, peers, session_remove");
    EXPECT_THAT(request_error(R"({"id":1,"command":"session remove"})").message, StartsWith("unknown command"));
}

TEST(CliProtocol, RequiresASessionIdExactlyWhereTheCommandTakesOne) {
    EXPECT_EQ(request_error(R"({"id":1,"command":"session"})").message, "command 'session' needs member 'session_id'");
    EXPECT_EQ(request_error(R"({"id":1,"command":"keys"})").message, "command 'keys' needs member 'session_id'");
    EXPECT_EQ(request_error(R"({"id":1,"command":"session_remove"})").message,
              "command 'session_remove' needs member 'session_id'");
    EXPECT_EQ(request_error(R"({"id":1,"command":"stats","session_id":"s"})").message,
              "command 'stats' takes no session_id");
    EXPECT_EQ(request_error(R"({"id":1,"command":"sessions","session_id":"s"})").message,
              "command 'sessions' takes no session_id");
}

TEST(CliProtocol, RefusesSessionIdsThatAreNotShortPrintableStrings) {
    EXPECT_EQ(request_error(R"({"id":1,"command":"session","session_id":5})").message,
              "session_id: expected a string, got an unsigned integer");
    EXPECT_EQ(request_error(R"({"id":1,"command":"session","session_id":""})").message, "session_id: empty");
    EXPECT_EQ(request_error(R"({"id":1,"command":"session","session_id":")" + std::string(1025, 'a') + "\"}").message,
              "session_id: 1025 bytes, at most 1024");
    EXPECT_EQ(request_error(R"({"id":1,"command":"session","session_id":"ab\ncd"})").message,
              "session_id: byte 0x0a at offset 2 is not printable ASCII");
    EXPECT_EQ(request_error(R"({"id":1,"command":"session","session_id":"\u0000"})").message,
              "session_id: byte 0x00 at offset 0 is not printable ASCII");
    EXPECT_EQ(request_error(R"({"id":1,"command":"session","session_id":"caf\u00e9"})").message,
              "session_id: byte 0xc3 at offset 3 is not printable ASCII");
    EXPECT_EQ(request_error(R"({"id":1,"command":"session","session_id":"x\u007f"})").message,
              "session_id: byte 0x7f at offset 1 is not printable ASCII");
}

TEST(CliProtocol, AcceptsRevealOnlyAsABooleanOfKeys) {
    EXPECT_EQ(request_error(R"({"id":1,"command":"session","session_id":"s","reveal":true})").message,
              "command 'session' takes no reveal");
    EXPECT_EQ(request_error(R"({"id":1,"command":"sessions","reveal":false})").message,
              "command 'sessions' takes no reveal");
    EXPECT_EQ(request_error(R"({"id":1,"command":"keys","session_id":"s","reveal":"yes"})").message,
              "reveal: expected a boolean, got a string");
    EXPECT_EQ(request_error(R"({"id":1,"command":"keys","session_id":"s","reveal":1})").message,
              "reveal: expected a boolean, got an unsigned integer");
}

TEST(CliProtocol, RefusesALineOver64KiBAndAcceptsOneOfExactly64KiB) {
    std::string line = R"({"id":1,"command":"sessions"})";
    line.insert(1, kMaxRequestLine - line.size(), ' ');
    ASSERT_EQ(line.size(), kMaxRequestLine);
    EXPECT_EQ(request_of(line).command, Command::sessions);
    line.push_back(' ');  // trailing whitespace is still part of the line
    EXPECT_EQ(request_error(line).message, "request line longer than 65536 bytes");
}

TEST(CliProtocol, SkipsDeeplyNestedValuesWithoutBuildingThem) {
    // Nesting is refused as an unknown member, whatever its depth, and costs no DOM.
    const std::string deep = std::string(30000, '[') + std::string(30000, ']');
    EXPECT_EQ(request_error(R"({"id":1,"command":"stats","n":)" + deep + "}").message, "unknown member 'n'");
    EXPECT_EQ(request_error(deep).message, "a request is a JSON object, not an array");
}

TEST(CliProtocol, EncodesResponsesAsDocumented) {
    EXPECT_EQ(encode_response(7, Response::success(nlohmann::json{{"removed", true}, {"session_id", "s"}})),
              "{\"id\":7,\"ok\":true,\"result\":{\"removed\":true,\"session_id\":\"s\"}}\n");
    EXPECT_EQ(encode_response(7, Response::failure(ResultCode::not_found, "no session 's'")),
              "{\"id\":7,\"ok\":false,\"code\":\"not_found\",\"error\":\"no session 's'\"}\n");
    EXPECT_EQ(encode_response(std::nullopt, Response::failure(ResultCode::bad_request, "not JSON")),
              "{\"id\":null,\"ok\":false,\"code\":\"bad_request\",\"error\":\"not JSON\"}\n");
}

TEST(CliProtocol, ResponseErrorsAreOneLineAndCut) {
    const std::string line = encode_response(1, Response::failure(ResultCode::internal, "a\nb\x1b" + std::string(2000, 'x')));
    EXPECT_EQ(line.find('\n'), line.size() - 1);
    auto parsed = parse_response(std::string_view(line).substr(0, line.size() - 1));
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->response.error, "a?b?" + std::string(kMaxErrorLen - 4, 'x') + "...");
}

TEST(CliProtocol, ResultBytesThatAreNotUtf8BecomeReplacementCharacters) {
    nlohmann::json result;
    result["peer"] = std::string("bad\xff\xfe");
    const std::string line = encode_response(1, Response::success(result));
    EXPECT_EQ(line, "{\"id\":1,\"ok\":true,\"result\":{\"peer\":\"bad\xef\xbf\xbd\xef\xbf\xbd\"}}\n");
}

TEST(CliProtocol, ParsesTheResponsesItEncodes) {
    const nlohmann::json result = {{"sessions", nlohmann::json::array({{{"session_id", "a"}}})}};
    auto ok = parse_response(R"({"id":9,"ok":true,"result":{"sessions":[{"session_id":"a"}]}})");
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->id, std::optional<uint64_t>(9));
    EXPECT_TRUE(ok->response.ok());
    EXPECT_EQ(ok->response.result, result);
    for (const ResultCodeInfo& code : kResultCodes) {
        if (code.code == ResultCode::ok) continue;
        const std::string line = encode_response(std::nullopt, Response::failure(code.code, "why"));
        auto parsed = parse_response(std::string_view(line).substr(0, line.size() - 1));
        ASSERT_TRUE(parsed) << line;
        EXPECT_EQ(parsed->id, std::nullopt);
        EXPECT_EQ(parsed->response.code, code.code);
        EXPECT_EQ(parsed->response.error, "why");
    }
}

TEST(CliProtocol, RefusesResponsesABrokenServerMightSend) {
    auto error = [](std::string_view line) {
        auto parsed = parse_response(line);
        EXPECT_FALSE(parsed) << line;
        return parsed ? std::string() : parsed.error().message;
    };
    EXPECT_EQ(error("garbage"), "response is not JSON");
    EXPECT_EQ(error("[1]"), "response is not a JSON object");
    EXPECT_EQ(error(R"({"ok":true,"result":{}})"), "response without 'id'");
    EXPECT_EQ(error(R"({"id":"1","ok":true,"result":{}})"), "response 'id' is neither an unsigned integer nor null");
    EXPECT_EQ(error(R"({"id":1,"result":{}})"), "response without boolean 'ok'");
    EXPECT_EQ(error(R"({"id":1,"ok":true})"), "ok response without a result object");
    EXPECT_EQ(error(R"({"id":1,"ok":true,"result":[]})"), "ok response without a result object");
    EXPECT_EQ(error(R"({"id":1,"ok":false,"error":"x"})"), "error response without a 'code' string");
    EXPECT_EQ(error(R"({"id":1,"ok":false,"code":"ok","error":"x"})"), "error response with unknown code 'ok'");
    EXPECT_EQ(error(R"({"id":1,"ok":false,"code":"oops","error":"x"})"), "error response with unknown code 'oops'");
    EXPECT_EQ(error(R"({"id":1,"ok":false,"code":"internal"})"), "error response without an 'error' string");
    const std::string deep = R"({"id":1,"ok":true,"result":{"a":)" + std::string(40, '[') + std::string(40, ']') + "}}";
    EXPECT_EQ(error(deep), "response nested deeper than 32 levels");
    // Brackets inside strings are not nesting.
    const std::string in_string = R"({"id":1,"ok":true,"result":{"a":")" + std::string(100, '[') + "\"}}";
    EXPECT_TRUE(parse_response(in_string));
}

TEST(CliProtocol, NamesEachResultCodeOnce) {
    for (const ResultCodeInfo& info : kResultCodes) {
        EXPECT_EQ(result_code_name(info.code), info.name);
        EXPECT_EQ(result_code_by_name(info.name), info.code);
    }
    EXPECT_EQ(result_code_by_name("Internal"), std::nullopt);
    for (const CommandInfo& info : kCommands) EXPECT_EQ(command_by_name(info.name), info.command);
}

TEST(CliProtocol, PrintableLineReplacesControlsAndCuts) {
    EXPECT_EQ(printable_line("a\tb\x7f" "c", 10), "a?b?c");
    EXPECT_EQ(printable_line("x\xc2\x9b" "31m", 10), "x?31m");  // U+009B, CSI
    EXPECT_EQ(printable_line("caf\xc3\xa9", 10), "caf\xc3\xa9");
    EXPECT_EQ(printable_line("abcdef", 3), "abc...");
}

}  // namespace
}  // namespace msf::cli
