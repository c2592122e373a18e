// What sending one sync job came to (push_step.h): one of five results, each carrying only what
// it needs, plus what every push reports — the answer it rests on, whether it counts as an
// attempt, and what the circuit breaker learns. NextState (job_transition.h) turns it into the
// job's next state.
//
//   PushOutcome o = PushOutcome::Transient("UNAVAILABLE", "503 no healthy upstream");
//   if (const push::Transient* t = o.transient()) ...
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "policies.h"

namespace satusehat_sync {

// Why a job is not synced.
struct Problem {
  std::string reason;       // UPPER_SNAKE code (README's table): last_error, SyncFailed.reason
  std::string diagnostics;  // redacted OperationOutcome text or a short explanation
};

namespace push {
// SatuSehat holds the resource (created, updated, or found by identifier and adopted); for a
// lookup the IHS number.
struct Synced {
  std::string satusehat_id;
};
// 200 with OperationOutcome "suppressed" (no consent): recorded, never retried.
struct Suppressed {
  Problem problem;
};
// The patient or health worker is not known (yet): retried on the slow schedule, never failed.
struct Waiting {
  Problem problem;
};
// Retrying cannot help: the job fails.
struct Permanent {
  Problem problem;
};
// Retrying may help: backoff, until the attempts run out.
struct Transient {
  Problem problem;
  std::optional<Millis> retry_after;  // the server's Retry-After, a floor for the backoff
  bool maybe_stored = false;  // a create may be stored although no answer said so: search first
};
}  // namespace push

// What the circuit breaker learns from one push.
enum class ServerSignal {
  kNone,      // no answer to count: nothing sent, or decided without the answers
  kAnswered,  // SatuSehat answered
  kDown,      // the last exchange found it down: 5xx, 408, or no answer at all
};

struct PushOutcome {
  using Result =
      std::variant<push::Synced, push::Suppressed, push::Waiting, push::Permanent, push::Transient>;

  explicit PushOutcome(Result r) : result(std::move(r)) {}

  Result result;
  int http_status = 0;     // of the answer `result` rests on; 0 when none
  std::string request_id;  // its X-Request-Id
  bool attempted = false;  // a request for the job went out and counts as an attempt
  ServerSignal server = ServerSignal::kNone;

  [[nodiscard]] static PushOutcome Synced(std::string satusehat_id);
  [[nodiscard]] static PushOutcome Waiting(std::string reason, std::string diagnostics);
  [[nodiscard]] static PushOutcome Permanent(std::string reason, std::string diagnostics = {});
  [[nodiscard]] static PushOutcome Transient(std::string reason, std::string diagnostics = {});

  [[nodiscard]] bool synced() const { return std::holds_alternative<push::Synced>(result); }
  // The Synced result's id; empty otherwise.
  [[nodiscard]] const std::string& satusehat_id() const;
  // Why the job is not synced; nullptr when it is.
  [[nodiscard]] const Problem* problem() const;
  [[nodiscard]] const push::Transient* transient() const {
    return std::get_if<push::Transient>(&result);
  }
  [[nodiscard]] push::Transient* transient() { return std::get_if<push::Transient>(&result); }
};

}  // namespace satusehat_sync
