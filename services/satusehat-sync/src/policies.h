// The client's resilience rules as pure values, so each can be tested without a network or a
// clock: how long to wait before the next try (RetryPolicy), when to stop calling a down API
// and probe it (CircuitBreaker), how fast to send (TokenBucket), when the OAuth token must be
// renewed (AccessToken), and what an HTTP answer means for a job (Classify).
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace satusehat_sync {

using Millis = std::chrono::milliseconds;
using SteadyTime = std::chrono::steady_clock::time_point;

// Exponential backoff with jitter, honouring Retry-After.
class RetryPolicy {
 public:
  RetryPolicy(Millis initial, Millis max) : initial_(initial), max_(max) {}
  // Wait before try number `failures + 1`, after `failures` (>= 1) transient failures in a row.
  // `jitter` in [0, 1) picks a point in the upper half of the exponential step, so replicas
  // that failed together do not come back together. A Retry-After the server gave is a floor.
  [[nodiscard]] Millis Delay(int failures, double jitter,
                             std::optional<Millis> retry_after = {}) const;

 private:
  Millis initial_;
  Millis max_;
};

// Closed → (failure_threshold transient failures in a row) → open → (open_for passed) →
// half-open: one probe request; its success closes the circuit, its failure opens it again.
class CircuitBreaker {
 public:
  enum class State { kClosed, kOpen, kHalfOpen };
  CircuitBreaker(int failure_threshold, Millis open_for)
      : threshold_(failure_threshold), open_for_(open_for) {}

  // May a request be sent now? In half-open only the one probe is allowed until it answers.
  [[nodiscard]] bool Allow(SteadyTime now);
  void RecordSuccess();
  void RecordFailure(SteadyTime now);
  // The request Allow() admitted was never sent (nothing was due): let the next one probe.
  void ReleaseProbe() { probe_in_flight_ = false; }
  [[nodiscard]] State state() const { return state_; }
  // When an open circuit lets the next probe through.
  [[nodiscard]] SteadyTime open_until() const { return open_until_; }

 private:
  int threshold_;
  Millis open_for_;
  State state_ = State::kClosed;
  int failures_ = 0;
  bool probe_in_flight_ = false;
  SteadyTime open_until_{};
};

// At most `rate` requests a second on average, bursts of up to `burst`.
class TokenBucket {
 public:
  TokenBucket(double rate_per_second, double burst);
  // Takes one token and returns 0, or returns how long to wait until one is available.
  [[nodiscard]] Millis TryTake(SteadyTime now);

 private:
  double rate_;
  double burst_;
  double tokens_;
  SteadyTime last_{};
  bool started_ = false;
};

// A parsed OAuth answer. SatuSehat sends expires_in as a STRING ("3599"); a number is accepted
// too. nullopt when the body has no usable token.
struct AccessToken {
  std::string value;
  std::chrono::seconds expires_in{0};
  static std::optional<AccessToken> Parse(const nlohmann::json& body);
  // When to renew a token obtained at `obtained`: a tenth of its life (at most 60 s) early, so a
  // request never leaves with a token that expires on the way.
  [[nodiscard]] SteadyTime RenewAt(SteadyTime obtained) const;
};

// What an HTTP exchange means for a sync job.
enum class Verdict {
  kSuccess,         // 200/201
  kSuppressed,      // 200 with OperationOutcome "suppressed": recorded, never retried
  kInvalid,         // 400: permanent, the resource is wrong
  kForbidden,       // 403: permanent, configuration (org, client)
  kNotFound,        // 404: permanent, configuration (base URL)
  kUnauthorized,    // 401 after a fresh token: retried later
  kThrottled,       // 429: retried after Retry-After
  kUnavailable,     // 5xx, timeouts, connection errors: retried with backoff; opens the circuit
  kOtherPermanent,  // any other 4xx
};
// `transport_failed` = no HTTP answer at all (timeout, refused connection).
Verdict Classify(bool transport_failed, int status, const nlohmann::json& body);
// UPPER_SNAKE reason code stored as last_error and sent in SyncFailed.
std::string ReasonCode(Verdict verdict);
[[nodiscard]] inline bool IsTransient(Verdict v) {
  return v == Verdict::kUnauthorized || v == Verdict::kThrottled || v == Verdict::kUnavailable;
}

// Retry-After header value: delta seconds ("2"), at most a century; HTTP dates are not used by
// the gateway and give nullopt.
std::optional<Millis> ParseRetryAfter(const std::string& header);

}  // namespace satusehat_sync
