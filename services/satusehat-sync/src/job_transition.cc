#include "job_transition.h"

#include <algorithm>
#include <variant>

namespace satusehat_sync {
namespace {

template <typename... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <typename... F>
Overloaded(F...) -> Overloaded<F...>;

void Note(JobRecord& j, const Problem& p) {
  j.last_error = p.reason;
  j.diagnostics = p.diagnostics;
}

void Retry(JobTransition& t, const push::Transient& outcome, bool attempted,
           const RetryRules& rules, int64_t now_ms, double jitter) {
  JobRecord& j = t.job;
  j.ambiguous = j.ambiguous || outcome.maybe_stored;
  const Problem& p = outcome.problem;
  if (attempted && j.attempts >= rules.max_attempts) {
    j.status = status::kFailed;
    j.last_error = "RETRIES_EXHAUSTED";
    j.diagnostics = p.reason + (p.diagnostics.empty() ? "" : ": " + p.diagnostics);
    t.fact = JobFact::kSyncFailed;
    return;
  }
  j.status = status::kPending;
  Note(j, p);
  Millis delay = rules.backoff.Delay(std::max(j.attempts, 1), jitter, outcome.retry_after);
  j.next_attempt_at = now_ms + delay.count();
}

}  // namespace

JobTransition NextState(const JobRecord& job, const PushOutcome& outcome, const RetryRules& rules,
                        int64_t now_ms, double jitter) {
  JobTransition t{job};
  JobRecord& j = t.job;
  j.http_status = outcome.http_status;
  j.request_id = outcome.request_id;
  j.next_attempt_at.reset();
  if (outcome.attempted) ++j.attempts;
  std::visit(
      Overloaded{
          [&](const push::Synced& s) {
            j.status = status::kSynced;
            j.satusehat_id = s.satusehat_id;
            j.last_error.clear();
            j.diagnostics.clear();
            j.ambiguous = false;
            t.fact = JobFact::kResourceSynced;
          },
          [&](const push::Suppressed& s) {
            j.status = status::kSuppressed;
            Note(j, s.problem);
          },
          [&](const push::Waiting& w) {
            j.status = status::kWaitingForPatient;
            Note(j, w.problem);
            j.next_attempt_at = now_ms + rules.patient_retry.count();
          },
          [&](const push::Permanent& p) {
            j.status = status::kFailed;
            Note(j, p.problem);
            t.fact = JobFact::kSyncFailed;
          },
          [&](const push::Transient& r) { Retry(t, r, outcome.attempted, rules, now_ms, jitter); },
      },
      outcome.result);
  return t;
}

}  // namespace satusehat_sync
