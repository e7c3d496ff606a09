#include "controlplane/cli/msfctl_output.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <initializer_list>
#include <vector>

namespace msf::cli {

namespace {

using Json = nlohmann::json;

const Json kNull;
const Json kEmptyArray = Json::array();

constexpr size_t kMaxCellLen = 256;  // longer strings are cut: a table stays a table

// ---- reading a result that may hold anything ----

const Json& at(const Json& object, const char* name) {
    if (!object.is_object()) return kNull;
    const auto it = object.find(name);
    return it == object.end() ? kNull : *it;
}

const Json& array_at(const Json& object, const char* name) {
    const Json& value = at(object, name);
    return value.is_array() ? value : kEmptyArray;
}

// A scalar as a cell: "-" for what is missing, empty or not a scalar.
std::string text(const Json& value) {
    switch (value.type()) {
        case Json::value_t::string: {
            const auto& s = value.get_ref<const std::string&>();
            return s.empty() ? "-" : printable_line(s, kMaxCellLen);
        }
        case Json::value_t::number_unsigned: return std::to_string(value.get<uint64_t>());
        case Json::value_t::number_integer: return std::to_string(value.get<int64_t>());
        case Json::value_t::number_float: return value.dump();
        case Json::value_t::boolean: return value.get<bool>() ? "yes" : "no";
        default: return "-";
    }
}

std::string text(const Json& object, const char* name) { return text(at(object, name)); }

std::string duration(const Json& object, const char* name) {
    const Json& value = at(object, name);
    return value.is_number_unsigned() ? duration_text(value.get<uint64_t>()) : "-";
}

// "20ms ago"; `none` when the member is null or missing (never seen).
std::string ago(const Json& object, const char* name, const char* none) {
    const Json& value = at(object, name);
    if (value.is_number_unsigned()) return duration_text(value.get<uint64_t>()) + " ago";
    return value.is_null() ? none : "-";
}

bool flag(const Json& object, const char* name) {
    const Json& value = at(object, name);
    return value.is_boolean() && value.get<bool>();
}

std::string plural(size_t n, const char* one, const char* many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
}

// created_unix_ms as "2024-05-01 12:00:00 UTC".
std::string utc_time(const Json& object, const char* name) {
    const Json& value = at(object, name);
    constexpr uint64_t kYear10000Ms = 253402300800000;
    if (!value.is_number_unsigned() || value.get<uint64_t>() >= kYear10000Ms) return text(value);
    const auto seconds = static_cast<time_t>(value.get<uint64_t>() / 1000);
    std::tm tm{};
    char buf[32];
    if (!gmtime_r(&seconds, &tm) || std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm) == 0) return text(value);
    return buf;
}

// ---- aligned tables ----

struct Column {
    const char* title;
    bool right;  // numbers right-aligned, text left
};

// Terminal columns of UTF-8 text, counted as code points (continuation bytes take none).
size_t display_width(const std::string& s) {
    size_t width = 0;
    for (const char c : s) width += (static_cast<unsigned char>(c) & 0xc0) != 0x80;
    return width;
}

class Table {
public:
    Table(std::initializer_list<Column> columns, std::string indent = {})
        : columns_(columns), indent_(std::move(indent)) {}

    void row(std::vector<std::string> cells) {
        cells.resize(columns_.size(), "-");
        rows_.push_back(std::move(cells));
    }

    std::string str() const {
        std::vector<size_t> widths(columns_.size());
        for (size_t i = 0; i < columns_.size(); ++i) {
            widths[i] = display_width(columns_[i].title);
            for (const auto& r : rows_) widths[i] = std::max(widths[i], display_width(r[i]));
        }
        std::string out;
        auto line = [&](auto cell_of) {
            std::string l = indent_;
            for (size_t i = 0; i < columns_.size(); ++i) {
                const std::string cell = cell_of(i);
                const std::string pad(widths[i] - display_width(cell), ' ');
                if (i > 0) l += "  ";
                l += columns_[i].right ? pad + cell : cell + pad;
            }
            while (!l.empty() && l.back() == ' ') l.pop_back();
            out += l + "\n";
        };
        line([&](size_t i) { return std::string(columns_[i].title); });
        for (const auto& r : rows_) line([&](size_t i) { return r[i]; });
        return out;
    }

private:
    std::vector<Column> columns_;
    std::string indent_;
    std::vector<std::vector<std::string>> rows_;
};

// ---- one function per command ----

std::string sessions_text(const Json& result) {
    Table table({{"SESSION-ID", false},
                 {"PEER", false},
                 {"MEDIA", false},
                 {"AGE", true},
                 {"PKTS-FROM-UE", true},
                 {"PKTS-TO-UE", true},
                 {"AUTH-FAILURES", true},
                 {"REPLAYS", true}});
    const Json& sessions = array_at(result, "sessions");
    for (const Json& s : sessions) {
        std::string media;
        for (const Json& m : array_at(s, "media")) {
            if (!media.empty()) media += ',';
            media += text(m);
        }
        table.row({text(s, "session_id"), text(s, "peer"), media.empty() ? "-" : media, duration(s, "age_ms"),
                   text(s, "packets_from_ue"), text(s, "packets_to_ue"), text(s, "auth_failures"), text(s, "replays")});
    }
    return table.str() + plural(sessions.size(), "session", "sessions") + "\n";
}

std::string session_text(const Json& result) {
    std::string out = "session " + text(result, "session_id") + "\n";
    out += "  peer     " + text(result, "peer") + ", realm " + text(result, "realm") + "\n";
    out += "  created  " + utc_time(result, "created_unix_ms") + " (age " + duration(result, "age_ms") + ")\n";
    for (const Json& stream : array_at(result, "streams")) {
        out += "\nstream " + text(stream, "component_number") + ": " + text(stream, "media_type") + ", dataplane id " +
               text(stream, "dataplane_id") + (flag(stream, "rtcp_mux") ? ", rtcp-mux" : "") + "\n";
        out += "  suites   from UE " + text(stream, "suite_from_ue") + ", to UE " + text(stream, "suite_to_ue") + "\n";
        const Json& access = at(stream, "access");
        out += "  access   local " + text(access, "local") + ", remote " + text(access, "remote") + ", latched " +
               text(access, "latched") + "\n";
        const Json& core = at(stream, "core");
        out += "  core     local " + text(core, "local") + ", remote " + text(core, "remote") + "\n";
        Table counters({{"LEG", false},
                        {"PKTS-IN", true},
                        {"BYTES-IN", true},
                        {"PKTS-OUT", true},
                        {"BYTES-OUT", true},
                        {"AUTH-FAILURES", true},
                        {"REPLAYS", true},
                        {"UNKNOWN-SOURCE", true},
                        {"MALFORMED", true},
                        {"OTHER-DROPS", true},
                        {"LAST-SEEN", true}},
                       "  ");
        for (const char* leg : {"access", "core"}) {
            const Json& c = at(at(stream, "counters"), leg);
            counters.row({leg, text(c, "packets_in"), text(c, "bytes_in"), text(c, "packets_out"), text(c, "bytes_out"),
                          text(c, "auth_failures"), text(c, "replays"), text(c, "unknown_source"), text(c, "malformed"),
                          text(c, "other_drops"), ago(c, "last_seen_ms_ago", "never")});
        }
        out += counters.str();
    }
    return out;
}

std::string keys_text(const Json& result) {
    const bool revealed = flag(result, "revealed");
    std::string out = "keys of session " + text(result, "session_id") +
                      (revealed ? " (revealed: keep them secret)\n" : " (fingerprints; root may add --reveal)\n");
    auto lifetime = [](const Json& key) {
        const Json& value = at(key, "lifetime");
        // RFC 3711 §9.2: with no lifetime signalled the key lasts the suite's maximum.
        return value.is_number_unsigned() && value.get<uint64_t>() == 0 ? std::string("max") : text(value);
    };
    auto add_rows = [&](Table& table) {
        for (const Json& stream : array_at(result, "streams")) {
            for (const char* direction : {"from_ue", "to_ue"}) {
                const Json& key = at(stream, direction);
                const bool to_ue = direction[0] == 't';
                std::vector<std::string> row = {text(stream, "component_number"), to_ue ? "to UE" : "from UE",
                                                text(key, "suite"), text(key, "mki"), lifetime(key),
                                                text(key, "fingerprint"), to_ue ? text(key, "generated") : "-"};
                if (revealed) {
                    row.push_back(text(key, "master_key"));
                    row.push_back(text(key, "master_salt"));
                }
                table.row(std::move(row));
            }
        }
    };
    if (revealed) {
        Table table({{"STREAM", true},
                     {"DIRECTION", false},
                     {"SUITE", false},
                     {"MKI", false},
                     {"LIFETIME", true},
                     {"FINGERPRINT", false},
                     {"GENERATED", false},
                     {"MASTER-KEY", false},
                     {"MASTER-SALT", false}});
        add_rows(table);
        return out + table.str();
    }
    Table table({{"STREAM", true},
                 {"DIRECTION", false},
                 {"SUITE", false},
                 {"MKI", false},
                 {"LIFETIME", true},
                 {"FINGERPRINT", false},
                 {"GENERATED", false}});
    add_rows(table);
    return out + table.str();
}

std::string stats_text(const Json& result) {
    std::string out = "sessions   " + text(result, "sessions") + "\n";
    const Json& dataplane = at(result, "dataplane");
    out += "dataplane  " + std::string(flag(dataplane, "connected") ? "connected" : "not connected") + ", " +
           text(dataplane, "sessions") + " sessions\n";
    const Json& workers = array_at(dataplane, "workers");
    if (!workers.empty()) {
        Table table({{"LCORE", true},
                     {"RX-PACKETS", true},
                     {"TX-PACKETS", true},
                     {"DROPS-OVERLOAD", true},
                     {"DROPS-NO-SESSION", true},
                     {"DROPS-MALFORMED", true}},
                    "  ");
        for (const Json& w : workers)
            table.row({text(w, "lcore"), text(w, "rx_packets"), text(w, "tx_packets"), text(w, "drops_overload"),
                       text(w, "drops_no_session"), text(w, "drops_malformed")});
        out += table.str();
    }
    const Json& ports = array_at(dataplane, "ports");
    if (!ports.empty()) {
        Table table({{"PORT", true},
                     {"NAME", false},
                     {"LINK", false},
                     {"RX-PACKETS", true},
                     {"TX-PACKETS", true},
                     {"RX-MISSED", true},
                     {"RX-ERRORS", true},
                     {"TX-ERRORS", true}},
                    "  ");
        for (const Json& p : ports) {
            const Json& link = at(p, "link_up");
            table.row({text(p, "port_id"), text(p, "name"), link.is_boolean() ? (link.get<bool>() ? "up" : "down") : "-",
                       text(p, "rx_packets"), text(p, "tx_packets"), text(p, "rx_missed"), text(p, "rx_errors"),
                       text(p, "tx_errors")});
        }
        out += table.str();
    }
    out += "diameter\n";
    Table messages({{"COMMAND", false}, {"RECEIVED", true}, {"SENT", true}, {"ERRORS", true}}, "  ");
    for (const Json& m : array_at(at(result, "diameter"), "messages"))
        messages.row({text(m, "command"), text(m, "received"), text(m, "sent"), text(m, "errors")});
    out += messages.str();
    const Json& store = at(result, "store");
    out += "store      " + text(store, "path") + ", " + text(store, "sessions") + " sessions\n";
    return out;
}

std::string peers_text(const Json& result) {
    Table table({{"IDENTITY", false},
                 {"REALM", false},
                 {"ADDRESS", false},
                 {"STATE", false},
                 {"CONNECTED", true},
                 {"RECEIVED", true},
                 {"SENT", true},
                 {"LAST-WATCHDOG", true}});
    const Json& peers = array_at(result, "peers");
    for (const Json& p : peers)
        table.row({text(p, "identity"), text(p, "realm"), text(p, "address"), text(p, "state"),
                   duration(p, "connected_for_ms"), text(p, "received"), text(p, "sent"),
                   ago(p, "last_watchdog_ms_ago", "-")});
    return table.str() + plural(peers.size(), "peer", "peers") + "\n";
}

std::string session_remove_text(const Json& result) {
    return "session " + text(result, "session_id") + (flag(result, "removed") ? " removed\n" : " not removed\n");
}

}  // namespace

std::string duration_text(uint64_t ms) {
    char buf[64];
    const uint64_t s = ms / 1000;
    using ull = unsigned long long;
    if (ms < 1000) std::snprintf(buf, sizeof(buf), "%llums", ull(ms));
    else if (s < 60) std::snprintf(buf, sizeof(buf), "%llus", ull(s));
    else if (s < 3600) std::snprintf(buf, sizeof(buf), "%llum%02llus", ull(s / 60), ull(s % 60));
    else if (s < 86400) std::snprintf(buf, sizeof(buf), "%lluh%02llum", ull(s / 3600), ull(s / 60 % 60));
    else std::snprintf(buf, sizeof(buf), "%llud%02lluh", ull(s / 86400), ull(s / 3600 % 24));
    return buf;
}

std::string result_text(Command command, const nlohmann::json& result) {
    switch (command) {
        case Command::sessions: return sessions_text(result);
        case Command::session: return session_text(result);
        case Command::keys: return keys_text(result);
        case Command::stats: return stats_text(result);
        case Command::peers: return peers_text(result);
        case Command::session_remove: return session_remove_text(result);
    }
    return {};
}

std::string result_json(const nlohmann::json& result) {
    return result.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
}

}  // namespace msf::cli
