#include "klinik/cloudevents.h"

#include <random>

#include "klinik/time_util.h"

namespace klinik {
namespace {

std::string RandomHex(size_t bytes) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes * 2);
  for (size_t i = 0; i < bytes; ++i) {
    auto b = static_cast<unsigned>(rng() & 0xff);
    out += kHex[b >> 4];
    out += kHex[b & 0xf];
  }
  return out;
}

bool IsHex(std::string_view s) {
  return s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

}  // namespace

std::string ChildTraceparent(std::string_view parent) {
  // version "00", 16-byte trace id, 8-byte span id, flags.
  if (parent.size() == 55 && parent.substr(0, 3) == "00-" && parent[35] == '-' &&
      IsHex(parent.substr(3, 32))) {
    return "00-" + std::string(parent.substr(3, 32)) + "-" + RandomHex(8) + "-01";
  }
  return "00-" + RandomHex(16) + "-" + RandomHex(8) + "-01";
}

CloudEvent NewCloudEvent(std::string type, std::string source, std::string subject,
                         std::string_view parent_traceparent) {
  CloudEvent e;
  e.id = NewUuid();
  e.source = std::move(source);
  e.type = std::move(type);
  e.time = FormatRfc3339(Clock::now(), /*millis=*/true);
  e.subject = std::move(subject);
  e.traceparent = ChildTraceparent(parent_traceparent);
  return e;
}

void AppendCloudEventHeaders(const CloudEvent& e, Headers& headers) {
  headers.emplace_back("ce_specversion", std::string(kCeSpecVersion));
  headers.emplace_back("ce_id", e.id);
  headers.emplace_back("ce_source", e.source);
  headers.emplace_back("ce_type", e.type);
  if (!e.time.empty()) headers.emplace_back("ce_time", e.time);
  if (!e.subject.empty()) headers.emplace_back("ce_subject", e.subject);
  headers.emplace_back("content-type", e.content_type);
  if (!e.traceparent.empty()) headers.emplace_back("traceparent", e.traceparent);
}

std::optional<std::string> FindHeader(const Headers& headers, std::string_view name) {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return std::nullopt;
}

std::optional<CloudEvent> ParseCloudEventHeaders(const Headers& headers, std::string* error) {
  auto fail = [&](std::string why) -> std::optional<CloudEvent> {
    if (error) *error = std::move(why);
    return std::nullopt;
  };
  auto spec = FindHeader(headers, "ce_specversion");
  if (!spec) return fail("missing header ce_specversion");
  if (*spec != kCeSpecVersion) return fail("unsupported ce_specversion '" + *spec + "'");
  CloudEvent e;
  for (auto [name, field] : {std::pair{"ce_id", &e.id}, std::pair{"ce_source", &e.source},
                             std::pair{"ce_type", &e.type}}) {
    auto v = FindHeader(headers, name);
    if (!v || v->empty()) return fail(std::string("missing header ") + name);
    *field = *v;
  }
  e.time = FindHeader(headers, "ce_time").value_or("");
  if (!e.time.empty() && !ParseRfc3339(e.time)) return fail("ce_time is not RFC 3339");
  e.subject = FindHeader(headers, "ce_subject").value_or("");
  e.content_type = FindHeader(headers, "content-type").value_or("application/protobuf");
  e.traceparent = FindHeader(headers, "traceparent").value_or("");
  return e;
}

}  // namespace klinik
