// How msf-dpctl prints what the dataplane answers: plain text for people, JSON (--json) for
// scripts and tests. Field names in JSON are the C++ field names of dataplane/api/types.hpp.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "dataplane/api/protocol.hpp"
#include "dataplane/api/types.hpp"
#include "dataplane/tools/json_writer.hpp"

namespace msf::tools {

// JSON values (objects) of the API types, written into an open writer.
void write_json(JsonWriter& json, const api::SessionInfo& info);
void write_json(JsonWriter& json, const api::LegCounters& counters);
void write_json(JsonWriter& json, const api::WorkerStats& worker);
void write_json(JsonWriter& json, const api::PortStatus& port);
void write_json(JsonWriter& json, const api::CounterTotals& totals);
void write_json(JsonWriter& json, const api::Event& event);

// Whole documents, each ending in a newline.
std::string hello_json(const api::HelloReply& hello);
std::string hello_text(const api::HelloReply& hello);
std::string session_json(const api::SessionInfo& info);
std::string session_text(const api::SessionInfo& info);
std::string sessions_json(std::span<const api::SessionInfo> sessions);
std::string sessions_text(std::span<const api::SessionInfo> sessions);
std::string stats_json(const api::CountersReply& counters);
std::string stats_text(const api::CountersReply& counters);
std::string ports_json(std::span<const api::PortStatus> ports);
std::string ports_text(std::span<const api::PortStatus> ports);
std::string event_json(const api::Event& event);
std::string event_text(const api::Event& event);

const char* side_name(api::Side side);
const char* event_type_name(api::EventType type);

}  // namespace msf::tools
