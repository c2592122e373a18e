#include "klinik/cloudevents.h"

#include <algorithm>
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

bool IsTraceparent(std::string_view s) {
  return s.size() == 55 && s.substr(0, 3) == "00-" && s[35] == '-' && s[52] == '-' &&
         IsHex(s.substr(3, 32)) && IsHex(s.substr(36, 16)) && IsHex(s.substr(53, 2));
}

}  // namespace

bool IsUtf8(std::string_view text) {
  // RFC 3629, section 4: the well-formed byte sequences.
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const unsigned char* end = p + text.size();
  auto in = [](unsigned char c, unsigned char lo, unsigned char hi) { return c >= lo && c <= hi; };
  while (p < end) {
    unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    size_t need = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // bounds of the second byte
    if (in(c, 0xC2, 0xDF)) {
      need = 1;
    } else if (in(c, 0xE0, 0xEF)) {
      need = 2;
      if (c == 0xE0) lo = 0xA0;  // no overlong forms
      if (c == 0xED) hi = 0x9F;  // no surrogates
    } else if (in(c, 0xF0, 0xF4)) {
      need = 3;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;  // nothing past U+10FFFF
    } else {
      return false;
    }
    if (static_cast<size_t>(end - p) <= need || !in(p[1], lo, hi)) return false;
    for (size_t i = 2; i <= need; ++i) {
      if (!in(p[i], 0x80, 0xBF)) return false;
    }
    p += need + 1;
  }
  return true;
}

std::string ChildTraceparent(std::string_view parent) {
  // version "00", 16-byte trace id, 8-byte span id, flags.
  if (IsTraceparent(parent)) {
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
  // Each attribute once: two ce_id headers would leave it open which id the inbox keeps.
  std::optional<std::string_view> spec, id, source, type, time, subject, content_type, trace;
  const std::pair<std::string_view, std::optional<std::string_view>*> kAttributes[] = {
      {"ce_specversion", &spec},
      {"ce_id", &id},
      {"ce_source", &source},
      {"ce_type", &type},
      {"ce_time", &time},
      {"ce_subject", &subject},
      {"content-type", &content_type},
      {"traceparent", &trace}};
  for (const auto& [name, value] : headers) {
    for (const auto& [attribute, slot] : kAttributes) {
      if (name != attribute) continue;
      if (*slot) return fail("header " + std::string(attribute) + " appears more than once");
      *slot = value;
    }
  }
  if (!spec) return fail("missing header ce_specversion");
  if (*spec != kCeSpecVersion) return fail("unsupported ce_specversion");
  // Text attributes: UTF-8 without control characters, within their bound. Errors never quote
  // the value (it may be anything, personal data included).
  auto text = [&](std::string_view name, std::optional<std::string_view> v, size_t max_bytes,
                  bool required, std::string* out) -> bool {
    if (!v || v->empty()) {
      if (required && error) *error = "missing header " + std::string(name);
      return !required;
    }
    std::string why;
    if (v->size() > max_bytes) {
      why = "is longer than " + std::to_string(max_bytes) + " bytes";
    } else if (!IsUtf8(*v)) {
      why = "is not UTF-8";
    } else if (std::any_of(v->begin(), v->end(), [](char c) {
                 return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
               })) {
      why = "holds a control character";
    }
    if (!why.empty()) {
      if (error) *error = "header " + std::string(name) + " " + why;
      return false;
    }
    *out = std::string(*v);
    return true;
  };
  CloudEvent e;
  if (!text("ce_id", id, kMaxCeIdBytes, true, &e.id) ||
      !text("ce_source", source, kMaxCeAttributeBytes, true, &e.source) ||
      !text("ce_type", type, kMaxCeAttributeBytes, true, &e.type) ||
      !text("ce_subject", subject, kMaxCeAttributeBytes, false, &e.subject) ||
      !text("ce_time", time, kMaxCeAttributeBytes, false, &e.time)) {
    return std::nullopt;
  }
  if (!e.time.empty() && !ParseRfc3339(e.time)) return fail("ce_time is not RFC 3339");
  std::string ct;
  if (!text("content-type", content_type, kMaxCeAttributeBytes, false, &ct)) return std::nullopt;
  if (!ct.empty()) e.content_type = ct;
  if (trace && IsTraceparent(*trace)) e.traceparent = std::string(*trace);
  return e;
}

}  // namespace klinik
