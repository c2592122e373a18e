#include "fault_plan.h"

namespace klinik::sandbox {

using nlohmann::json;

namespace {

// Bounds that only catch typos: a fault longer than a minute would outlast any client timeout.
constexpr int64_t kMaxDelayMs = 60'000;
constexpr int kMaxRetryAfterS = 3600;

std::optional<int64_t> IntField(const json& body, const char* key, std::string* error,
                                bool* present) {
  auto it = body.find(key);
  *present = it != body.end();
  if (!*present) return std::nullopt;
  if (!it->is_number_integer()) {
    *error = std::string(key) + " must be a whole number";
    return std::nullopt;
  }
  return it->get<int64_t>();
}

}  // namespace

std::optional<Fault> ParseFault(const json& body, std::string* error) {
  if (!body.is_object()) {
    *error = "the body must be a JSON object such as {\"status\":503,\"count\":2}";
    return std::nullopt;
  }
  Fault fault;
  bool has_status = body.contains("status");
  bool has_mode = body.contains("mode");
  if (has_status == has_mode) {
    *error = "give exactly one of \"status\" or \"mode\"";
    return std::nullopt;
  }
  if (has_mode) {
    std::string mode = body["mode"].is_string() ? body["mode"].get<std::string>() : "";
    if (mode == "slow") {
      fault.kind = Fault::Kind::kSlow;
    } else if (mode == "timeout_after_store") {
      fault.kind = Fault::Kind::kTimeoutAfterStore;
      fault.delay = std::chrono::milliseconds(5000);
    } else if (mode == "expire_tokens") {
      fault.kind = Fault::Kind::kExpireTokens;
      return fault;
    } else {
      *error = "mode must be slow, timeout_after_store or expire_tokens";
      return std::nullopt;
    }
  } else {
    if (!body["status"].is_number_integer() || body["status"].get<int>() < 400 ||
        body["status"].get<int>() > 599) {
      *error = "status must be an HTTP error status between 400 and 599";
      return std::nullopt;
    }
    fault.status = body["status"].get<int>();
  }
  bool present = false;
  std::string field_error;
  auto delay = IntField(body, "delay_ms", &field_error, &present);
  if (present && (!delay || *delay < 0 || *delay > kMaxDelayMs)) {
    *error = "delay_ms must be between 0 and " + std::to_string(kMaxDelayMs);
    return std::nullopt;
  }
  if (delay) fault.delay = std::chrono::milliseconds(*delay);
  if (fault.kind == Fault::Kind::kSlow && !present) {
    *error = "mode slow needs delay_ms";
    return std::nullopt;
  }
  auto count = IntField(body, "count", &field_error, &present);
  if (present && (!count || *count == 0 || *count < -1 || *count > 1'000'000)) {
    *error = "count must be a positive number of requests, or -1 for until cleared";
    return std::nullopt;
  }
  if (count) fault.remaining = static_cast<int>(*count);
  auto retry_after = IntField(body, "retry_after", &field_error, &present);
  if (present && (!retry_after || *retry_after < 0 || *retry_after > kMaxRetryAfterS)) {
    *error = "retry_after must be between 0 and " + std::to_string(kMaxRetryAfterS) + " seconds";
    return std::nullopt;
  }
  if (retry_after) fault.retry_after_s = static_cast<int>(*retry_after);
  if (fault.kind == Fault::Kind::kStatus && fault.status == 429 && fault.retry_after_s < 0) {
    fault.retry_after_s = 1;
  }
  if (auto prefix = body.find("path_prefix"); prefix != body.end()) {
    if (!prefix->is_string() || !prefix->get<std::string>().starts_with("/")) {
      *error = "path_prefix must be a path such as /fhir-r4/v1/Observation";
      return std::nullopt;
    }
    fault.path_prefix = prefix->get<std::string>();
  }
  return fault;
}

json FaultToJson(const Fault& fault) {
  json out;
  switch (fault.kind) {
    case Fault::Kind::kStatus:
      out["status"] = fault.status;
      break;
    case Fault::Kind::kSlow:
      out["mode"] = "slow";
      break;
    case Fault::Kind::kTimeoutAfterStore:
      out["mode"] = "timeout_after_store";
      break;
    case Fault::Kind::kExpireTokens:
      out["mode"] = "expire_tokens";
      break;
  }
  if (fault.delay.count() > 0) out["delay_ms"] = fault.delay.count();
  if (fault.retry_after_s >= 0) out["retry_after"] = fault.retry_after_s;
  out["count"] = fault.remaining;
  if (!fault.path_prefix.empty()) out["path_prefix"] = fault.path_prefix;
  return out;
}

bool FaultMatches(const Fault& fault, std::string_view path) {
  if (fault.path_prefix.empty()) return path.starts_with(kFhirPrefix);
  return path.starts_with(fault.path_prefix) &&
         (path.starts_with(kFhirPrefix) || path.starts_with(kOauthPrefix));
}

void FaultPlan::Add(Fault fault) { faults_.push_back(std::move(fault)); }

void FaultPlan::Clear() { faults_.clear(); }

std::optional<Fault> FaultPlan::TakeBeforeHandling(std::string_view path) {
  return Take(path, false);
}

std::optional<Fault> FaultPlan::TakeAfterStore(std::string_view path) { return Take(path, true); }

std::optional<Fault> FaultPlan::Take(std::string_view path, bool after_store) {
  for (auto it = faults_.begin(); it != faults_.end(); ++it) {
    if ((it->kind == Fault::Kind::kTimeoutAfterStore) != after_store || !FaultMatches(*it, path)) {
      continue;
    }
    Fault taken = *it;
    if (it->remaining > 0 && --it->remaining == 0) faults_.erase(it);
    return taken;
  }
  return std::nullopt;
}

json FaultPlan::ToJson() const {
  json out = json::array();
  for (const Fault& fault : faults_) out.push_back(FaultToJson(fault));
  return out;
}

}  // namespace klinik::sandbox
