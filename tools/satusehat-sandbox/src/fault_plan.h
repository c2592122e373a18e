// Faults the tests order through POST /_sandbox/faults, queued in order and consumed by the
// requests they match. Not thread-safe: the Sandbox holds its lock around every call.
//
//   FaultPlan plan;
//   plan.Add(*ParseFault(json::parse(R"({"status":429,"retry_after":1,"count":2})"), &error));
//   if (auto fault = plan.TakeBeforeHandling("/fhir-r4/v1/Encounter")) { ...answer 429... }
#pragma once

#include <chrono>
#include <deque>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace klinik::sandbox {

inline constexpr std::string_view kFhirPrefix = "/fhir-r4/v1";
inline constexpr std::string_view kOauthPrefix = "/oauth2/v1";

struct Fault {
  enum class Kind {
    kStatus,             // answer `status` instead of handling the request; nothing is stored
    kSlow,               // wait `delay`, then handle the request normally
    kTimeoutAfterStore,  // handle a request that stores something, then wait `delay` to answer
    kExpireTokens,       // one-shot command, never queued: every issued token is invalid now
  };
  Kind kind = Kind::kStatus;
  int status = 0;
  int retry_after_s = -1;  // Retry-After header value; -1 = none (429 defaults to 1)
  std::chrono::milliseconds delay{0};
  int remaining = 1;        // requests still to affect; -1 = until DELETE /_sandbox/faults
  std::string path_prefix;  // empty = every FHIR request
};

// Parses one control body; nullopt and `error` when it is malformed.
[[nodiscard]] std::optional<Fault> ParseFault(const nlohmann::json& body, std::string* error);
// The JSON shape of a queued fault (GET /_sandbox/faults).
[[nodiscard]] nlohmann::json FaultToJson(const Fault& fault);

class FaultPlan {
 public:
  void Add(Fault fault);
  void Clear();
  // The first queued status or slow fault matching `path`, consumed by one use.
  [[nodiscard]] std::optional<Fault> TakeBeforeHandling(std::string_view path);
  // The first queued timeout_after_store fault matching `path`, consumed by one use; asked only
  // after a request stored something, so reads and refused writes do not use it up.
  [[nodiscard]] std::optional<Fault> TakeAfterStore(std::string_view path);
  [[nodiscard]] nlohmann::json ToJson() const;
  [[nodiscard]] size_t size() const { return faults_.size(); }

 private:
  std::optional<Fault> Take(std::string_view path, bool after_store);
  std::deque<Fault> faults_;
};

// True when a fault with this prefix applies to `path`: FHIR paths by default, any real-API path
// (the token endpoint too) when the prefix names it. The control API is never affected.
[[nodiscard]] bool FaultMatches(const Fault& fault, std::string_view path);

}  // namespace klinik::sandbox
