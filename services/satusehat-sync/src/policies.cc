#include "policies.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "fhir_mapping.h"

namespace satusehat_sync {

Millis RetryPolicy::Delay(int failures, double jitter, std::optional<Millis> retry_after) const {
  failures = std::max(failures, 1);
  jitter = std::clamp(jitter, 0.0, 1.0);
  // 2^(failures-1) × initial, computed in double so a large count cannot overflow.
  double step = static_cast<double>(initial_.count()) * std::pow(2.0, std::min(failures - 1, 40));
  step = std::min(step, static_cast<double>(max_.count()));
  Millis delay(static_cast<int64_t>(step / 2 + jitter * step / 2));
  if (retry_after && *retry_after > delay) delay = *retry_after;
  return delay;
}

bool CircuitBreaker::Allow(SteadyTime now) {
  switch (state_) {
    case State::kClosed:
      return true;
    case State::kOpen:
      if (now < open_until_) return false;
      state_ = State::kHalfOpen;
      probe_in_flight_ = true;
      return true;
    case State::kHalfOpen:
      if (probe_in_flight_) return false;
      probe_in_flight_ = true;
      return true;
  }
  return false;
}

void CircuitBreaker::RecordSuccess() {
  state_ = State::kClosed;
  failures_ = 0;
  probe_in_flight_ = false;
}

void CircuitBreaker::RecordFailure(SteadyTime now) {
  probe_in_flight_ = false;
  if (state_ == State::kHalfOpen || ++failures_ >= threshold_) {
    state_ = State::kOpen;
    open_until_ = now + open_for_;
    failures_ = 0;
  }
}

TokenBucket::TokenBucket(double rate_per_second, double burst)
    : rate_(rate_per_second), burst_(std::max(burst, 1.0)), tokens_(std::max(burst, 1.0)) {}

Millis TokenBucket::TryTake(SteadyTime now) {
  if (started_) {
    double elapsed = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(burst_, tokens_ + std::max(elapsed, 0.0) * rate_);
  }
  started_ = true;
  last_ = now;
  if (tokens_ >= 1.0) {
    tokens_ -= 1.0;
    return Millis(0);
  }
  return Millis(static_cast<int64_t>(std::ceil((1.0 - tokens_) / rate_ * 1000.0)));
}

std::optional<AccessToken> AccessToken::Parse(const nlohmann::json& body) {
  if (!body.is_object() || !body.contains("access_token") || !body["access_token"].is_string()) {
    return std::nullopt;
  }
  AccessToken t;
  t.value = body["access_token"].get<std::string>();
  if (t.value.empty()) return std::nullopt;
  int64_t seconds = 0;
  const auto& e = body.contains("expires_in") ? body["expires_in"] : nlohmann::json();
  if (e.is_string()) {
    const std::string s = e.get<std::string>();
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), seconds);
    if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  } else if (e.is_number_integer()) {
    seconds = e.get<int64_t>();
  } else {
    return std::nullopt;
  }
  if (seconds <= 0) return std::nullopt;
  t.expires_in = std::chrono::seconds(seconds);
  return t;
}

SteadyTime AccessToken::RenewAt(SteadyTime obtained) const {
  auto margin = std::min<std::chrono::milliseconds>(std::chrono::seconds(60), expires_in / 10);
  return obtained + expires_in - margin;
}

Verdict Classify(bool transport_failed, int status, const nlohmann::json& body) {
  if (transport_failed) return Verdict::kUnavailable;
  if (status == 200 || status == 201) {
    return fhir::IsSuppressed(body) ? Verdict::kSuppressed : Verdict::kSuccess;
  }
  if (status == 400) return Verdict::kInvalid;
  if (status == 401) return Verdict::kUnauthorized;
  if (status == 403) return Verdict::kForbidden;
  if (status == 404) return Verdict::kNotFound;
  if (status == 408 || status >= 500) return Verdict::kUnavailable;
  if (status == 429) return Verdict::kThrottled;
  return Verdict::kOtherPermanent;
}

std::string ReasonCode(Verdict verdict) {
  switch (verdict) {
    case Verdict::kSuccess:
      return "";
    case Verdict::kSuppressed:
      return "SUPPRESSED";
    case Verdict::kInvalid:
      return "INVALID_RESOURCE";
    case Verdict::kForbidden:
      return "FORBIDDEN";
    case Verdict::kNotFound:
      return "NOT_FOUND";
    case Verdict::kUnauthorized:
      return "UNAUTHORIZED";
    case Verdict::kThrottled:
      return "THROTTLED";
    case Verdict::kUnavailable:
      return "UNAVAILABLE";
    case Verdict::kOtherPermanent:
      return "HTTP_ERROR";
  }
  return "HTTP_ERROR";
}

std::optional<Millis> ParseRetryAfter(const std::string& header) {
  // The same blanks at both ends, so a value of blanks alone (" \r\n") is found empty here.
  constexpr const char* kBlanks = " \t\r\n";
  size_t b = header.find_first_not_of(kBlanks);
  if (b == std::string::npos) return std::nullopt;
  size_t e = header.find_last_not_of(kBlanks);
  std::string_view v(header.data() + b, e - b + 1);
  int64_t seconds = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), seconds);
  if (ec != std::errc() || end != v.data() + v.size() || seconds < 0) return std::nullopt;
  // The wait is added to a clock counting nanoseconds in 64 bits (about 292 years from its
  // epoch); one past a century is no usable hint and could overflow there.
  constexpr int64_t kMaxSeconds = int64_t{36'500} * 86'400;
  if (seconds > kMaxSeconds) return std::nullopt;
  return Millis(seconds * 1000);
}

}  // namespace satusehat_sync
