// The sync job's state table: what a PushOutcome makes of the claimed (in_flight) job. Pure — the
// caller passes the time and the jitter — so every row is a unit test (job_transition_test.cc).
//
// | outcome                         | status              | next attempt             | fact |
// |---------------------------------|---------------------|--------------------------|----------------|
// | Synced                          | synced              | —                        |
// ResourceSynced | | Suppressed                      | suppressed          | — | —              |
// | Waiting                         | waiting_for_patient | now + patient_retry      | — | |
// Permanent                       | failed              | —                        | SyncFailed |
// | Transient, attempts left        | pending             | now + backoff(attempts)  | — | |
// Transient, attempted, the last  | failed              | —                        | SyncFailed |
//
// Every row: attempts +1 when the outcome was attempted; http_status and request_id are the
// outcome's. Synced sets satusehat_id and clears last_error, diagnostics and ambiguous; the
// others keep satusehat_id and store the outcome's reason and diagnostics, except that the last
// transient attempt stores RETRIES_EXHAUSTED with "<reason>: <diagnostics>". Transient sets
// ambiguous when the resource may be stored (it stays set until a sync). A transient outcome that
// was not attempted (a dependency not synced yet) never uses up the attempts.
//
//   JobTransition next = NextState(job, outcome, rules, klinik::ToUnixMillis(now), jitter(rng));
//   store::Save(tx, next.job, now);
#pragma once

#include <cstdint>

#include "policies.h"
#include "push_outcome.h"
#include "store.h"

namespace satusehat_sync {

struct RetryRules {
  RetryPolicy backoff;   // transient failures
  int max_attempts = 1;  // attempted transient outcomes before RETRIES_EXHAUSTED
  Millis patient_retry;  // a job waiting for the patient or health worker
};

// The fact a transition announces, in the transaction that saves it.
enum class JobFact { kNone, kResourceSynced, kSyncFailed };

struct JobTransition {
  JobRecord job;  // the job's next row
  JobFact fact = JobFact::kNone;
};

// `now_ms`: unix ms. `jitter` in [0, 1) places the backoff within its step (RetryPolicy::Delay).
[[nodiscard]] JobTransition NextState(const JobRecord& job, const PushOutcome& outcome,
                                      const RetryRules& rules, int64_t now_ms, double jitter);

}  // namespace satusehat_sync
