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

// Bounds on what a consumer accepts and stores (the inbox keys on ce_id; an index row has a size
// limit). A UUID is 36 bytes; anything longer than these is a contract violation.
inline constexpr size_t kMaxCeIdBytes = 256;
inline constexpr size_t kMaxCeAttributeBytes = 1024;  // ce_source, ce_type, ce_subject, …

// True when `text` is well-formed UTF-8 (no overlong forms, surrogates or code points past
// U+10FFFF).
bool IsUtf8(std::string_view text);

// A new event with a fresh id, the current time and the given trace (a new one when empty).
CloudEvent NewCloudEvent(std::string type, std::string source, std::string subject,
                         std::string_view parent_traceparent = {});

// Appends the event's headers (ce_specversion first).
void AppendCloudEventHeaders(const CloudEvent& event, Headers& headers);

// Reads the attributes back; nullopt with `error` set when a required one (ce_specversion,
// ce_id, ce_source, ce_type) is missing, the spec version is not 1.0, an attribute appears twice,
// is not UTF-8, holds a control character or is longer than its bound, or ce_time is not
// RFC 3339. Header values are bytes: any of them may hold anything. A malformed traceparent is
// not an error (W3C Trace Context: start a new trace); it is dropped.
std::optional<CloudEvent> ParseCloudEventHeaders(const Headers& headers, std::string* error);

// The value of the first header with this name, if any.
std::optional<std::string> FindHeader(const Headers& headers, std::string_view name);

// "00-<trace id>-<span id>-01"; keeps the trace id of `parent` when it is well formed.
std::string ChildTraceparent(std::string_view parent);

}  // namespace klinik
