// CloudEvents 1.0, Kafka protocol binding, binary mode: the event's attributes travel as
// headers (ce_id, ce_source, ce_type, ce_time, ce_subject, content-type, traceparent) and the
// value is the protobuf payload. Subscribers filter on headers without decoding.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace klinik {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct CloudEvent {
  std::string id;       // UUID, set once by the first producer and kept through retries
  std::string source;   // URI reference of the producer, e.g. /klinik/registration
  std::string type;     // e.g. id.klinik.patient.registered.v1
  std::string time;     // RFC 3339, UTC
  std::string subject;  // the aggregate id the event is about (never a NIK)
  std::string content_type = "application/protobuf";
  std::string traceparent;  // W3C trace context; kept across hops
};

inline constexpr std::string_view kCeSpecVersion = "1.0";

// A new event with a fresh id, the current time and the given trace (a new one when empty).
CloudEvent NewCloudEvent(std::string type, std::string source, std::string subject,
                         std::string_view parent_traceparent = {});

// Appends the event's headers (ce_specversion first).
void AppendCloudEventHeaders(const CloudEvent& event, Headers& headers);

// Reads the attributes back; nullopt with `error` set when a required one (ce_specversion,
// ce_id, ce_source, ce_type) is missing or the spec version is not 1.0.
std::optional<CloudEvent> ParseCloudEventHeaders(const Headers& headers, std::string* error);

// The value of the first header with this name, if any.
std::optional<std::string> FindHeader(const Headers& headers, std::string_view name);

// "00-<trace id>-<span id>-01"; keeps the trace id of `parent` when it is well formed.
std::string ChildTraceparent(std::string_view parent);

}  // namespace klinik
