// NextState, row by row: every kind of PushOutcome against jobs with and without attempts left,
// the ambiguous flag, Retry-After above and below the backoff, and outcomes that were attempted
// or not.
#include "job_transition.h"

#include <gtest/gtest.h>

#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace satusehat_sync {
namespace {

using namespace std::chrono_literals;

constexpr int64_t kNow = 1'800'000'000'000;  // unix ms
constexpr int kMaxAttempts = 3;

// Backoff steps of 1 s, 2 s, 4 s…; with jitter 0.5 a wait is three quarters of its step.
RetryRules Rules() { return {RetryPolicy(1s, 10min), kMaxAttempts, 1h}; }

// A claimed job as ClaimDue hands it over, with what its previous try left behind.
JobRecord Claimed(int attempts, bool ambiguous = false) {
  JobRecord j;
  j.job_id = "job-1";
  j.patient_id = "patient-1";
  j.kind = "encounter";
  j.status = status::kInFlight;
  j.attempts = attempts;
  j.ambiguous = ambiguous;
  j.satusehat_id = "earlier-id";
  j.last_error = "EARLIER";
  j.diagnostics = "earlier diagnostics";
  j.http_status = 503;
  j.request_id = "earlier-request";
  j.next_attempt_at = kNow - 5000;
  return j;
}

// `o` resting on an answer with `status` (0: none), attempted or not.
PushOutcome Answered(PushOutcome o, int status, bool attempted) {
  o.http_status = status;
  o.request_id = status == 0 ? "" : "req-" + std::to_string(status);
  o.attempted = attempted;
  return o;
}

PushOutcome Transient(std::string reason, std::string diagnostics, int status, bool attempted,
                      std::optional<Millis> retry_after = {}, bool maybe_stored = false) {
  return Answered(PushOutcome(push::Transient{
                      {std::move(reason), std::move(diagnostics)}, retry_after, maybe_stored}),
                  status, attempted);
}

struct Expected {
  std::string_view status;
  int attempts;
  std::optional<int64_t> next_attempt_in;  // ms after kNow; nullopt: no next attempt
  std::string last_error;
  std::string diagnostics;
  bool ambiguous;
  std::string satusehat_id;
  JobFact fact;
};

struct Row {
  std::string name;
  JobRecord job;
  PushOutcome outcome;
  Expected after;
  double jitter = 0.5;
};

// A failing row is named, not dumped as bytes.
void PrintTo(const Row& row, std::ostream* out) { *out << row.name; }

std::vector<Row> Rows() {
  const std::string none;
  return {
      {"SyncedCreateCountsAndClearsTheErrorAndTheAmbiguity",
       Claimed(1, /*ambiguous=*/true),
       Answered(PushOutcome::Synced("enc-1"), 201, true),
       {status::kSynced, 2, std::nullopt, none, none, false, "enc-1", JobFact::kResourceSynced}},
      {"SyncedAdoptionOrCachedLookupIsNoAttempt",
       Claimed(1),
       Answered(PushOutcome::Synced("P0001"), 0, false),
       {status::kSynced, 1, std::nullopt, none, none, false, "P0001", JobFact::kResourceSynced}},
      {"SuppressedIsRecordedNeverRetried",
       Claimed(0, /*ambiguous=*/true),
       Answered(PushOutcome(push::Suppressed{{"SUPPRESSED", "no consent"}}), 200, true),
       {status::kSuppressed, 1, std::nullopt, "SUPPRESSED", "no consent", true, "earlier-id",
        JobFact::kNone}},
      {"WaitingRetriesOnThePatientScheduleWithoutAnAttempt",
       Claimed(2),
       Answered(PushOutcome::Waiting("PATIENT_NOT_IN_INDEX", "nobody"), 200, false),
       {status::kWaitingForPatient, 2, 3'600'000, "PATIENT_NOT_IN_INDEX", "nobody", false,
        "earlier-id", JobFact::kNone}},
      {"WaitingBeforeAnyRequest",
       Claimed(0),
       Answered(PushOutcome::Waiting("PATIENT_UNKNOWN", "no fact"), 0, false),
       {status::kWaitingForPatient, 0, 3'600'000, "PATIENT_UNKNOWN", "no fact", false, "earlier-id",
        JobFact::kNone}},
      {"PermanentAnswerFails",
       Claimed(1),
       Answered(PushOutcome::Permanent("INVALID_RESOURCE", "rule 10117"), 400, true),
       {status::kFailed, 2, std::nullopt, "INVALID_RESOURCE", "rule 10117", false, "earlier-id",
        JobFact::kSyncFailed}},
      {"PermanentBeforeSendingFailsWithoutAnAttempt",
       Claimed(0),
       Answered(PushOutcome::Permanent("SOURCE_MISSING", "not stored"), 0, false),
       {status::kFailed, 0, std::nullopt, "SOURCE_MISSING", "not stored", false, "earlier-id",
        JobFact::kSyncFailed}},
      {"TransientFirstAttemptBacksOffOneStep",
       Claimed(0),
       Transient("UNAVAILABLE", "no healthy upstream", 503, true),
       {status::kPending, 1, 750, "UNAVAILABLE", "no healthy upstream", false, "earlier-id",
        JobFact::kNone}},
      {"TransientSecondAttemptBacksOffTwoSteps",
       Claimed(1),
       Transient("UNAVAILABLE", "no healthy upstream", 503, true),
       {status::kPending, 2, 1500, "UNAVAILABLE", "no healthy upstream", false, "earlier-id",
        JobFact::kNone}},
      {"JitterZeroWaitsHalfAStep",
       Claimed(0),
       Transient("UNAVAILABLE", "", 502, true),
       {status::kPending, 1, 500, "UNAVAILABLE", "", false, "earlier-id", JobFact::kNone},
       0.0},
      {"RetryAfterAboveTheBackoffIsHonoured",
       Claimed(0),
       Transient("THROTTLED", "slow down", 429, true, 30s),
       {status::kPending, 1, 30'000, "THROTTLED", "slow down", false, "earlier-id",
        JobFact::kNone}},
      {"RetryAfterBelowTheBackoffIsOnlyAFloor",
       Claimed(1),
       Transient("THROTTLED", "slow down", 429, true, 100ms),
       {status::kPending, 2, 1500, "THROTTLED", "slow down", false, "earlier-id", JobFact::kNone}},
      {"MaybeStoredMakesTheJobAmbiguous",
       Claimed(0),
       Transient("UNAVAILABLE", "Timeout was reached", 0, true, std::nullopt, true),
       {status::kPending, 1, 750, "UNAVAILABLE", "Timeout was reached", true, "earlier-id",
        JobFact::kNone}},
      {"AmbiguousStaysUntilSynced",
       Claimed(0, /*ambiguous=*/true),
       Transient("UNAVAILABLE", "503", 503, true),
       {status::kPending, 1, 750, "UNAVAILABLE", "503", true, "earlier-id", JobFact::kNone}},
      {"NotAttemptedAtTheLimitStaysPending",
       Claimed(kMaxAttempts),
       Transient("DEPENDENCY_NOT_SYNCED", "the Encounter is not synced", 0, false),
       {status::kPending, kMaxAttempts, 3000, "DEPENDENCY_NOT_SYNCED",
        "the Encounter is not synced", false, "earlier-id", JobFact::kNone}},
      {"NotAttemptedWithoutAttemptsBacksOffOneStep",
       Claimed(0),
       Transient("INTERNAL", "bad json", 0, false),
       {status::kPending, 0, 750, "INTERNAL", "bad json", false, "earlier-id", JobFact::kNone}},
      {"LastAttemptIsRetriesExhausted",
       Claimed(kMaxAttempts - 1),
       Transient("UNAVAILABLE", "no healthy upstream", 503, true),
       {status::kFailed, kMaxAttempts, std::nullopt, "RETRIES_EXHAUSTED",
        "UNAVAILABLE: no healthy upstream", false, "earlier-id", JobFact::kSyncFailed}},
      {"RetriesExhaustedWithoutDiagnosticsNamesTheReason",
       Claimed(kMaxAttempts - 1),
       Transient("THROTTLED", "", 429, true, 5s),
       {status::kFailed, kMaxAttempts, std::nullopt, "RETRIES_EXHAUSTED", "THROTTLED", false,
        "earlier-id", JobFact::kSyncFailed}},
      {"RetriesExhaustedPastTheLimitKeepsTheAmbiguity",
       Claimed(kMaxAttempts + 4),
       Transient("UNAVAILABLE", "Timeout was reached", 0, true, std::nullopt, true),
       {status::kFailed, kMaxAttempts + 5, std::nullopt, "RETRIES_EXHAUSTED",
        "UNAVAILABLE: Timeout was reached", true, "earlier-id", JobFact::kSyncFailed}},
  };
}

class NextStateTest : public ::testing::TestWithParam<Row> {};

TEST_P(NextStateTest, Row) {
  const Row& row = GetParam();
  const JobTransition next = NextState(row.job, row.outcome, Rules(), kNow, row.jitter);
  const JobRecord& j = next.job;
  const Expected& e = row.after;
  EXPECT_EQ(j.status, e.status);
  EXPECT_EQ(j.attempts, e.attempts);
  std::optional<int64_t> next_in;
  if (j.next_attempt_at) next_in = *j.next_attempt_at - kNow;
  EXPECT_EQ(next_in, e.next_attempt_in);
  EXPECT_EQ(j.last_error, e.last_error);
  EXPECT_EQ(j.diagnostics, e.diagnostics);
  EXPECT_EQ(j.ambiguous, e.ambiguous);
  EXPECT_EQ(j.satusehat_id, e.satusehat_id);
  EXPECT_EQ(next.fact, e.fact);
  // The answer the outcome rests on replaces the previous try's, also when there was none.
  EXPECT_EQ(j.http_status, row.outcome.http_status);
  EXPECT_EQ(j.request_id, row.outcome.request_id);
  // What the job is stays.
  EXPECT_EQ(j.job_id, row.job.job_id);
  EXPECT_EQ(j.kind, row.job.kind);
  EXPECT_EQ(j.patient_id, row.job.patient_id);
}

INSTANTIATE_TEST_SUITE_P(EveryRow, NextStateTest, ::testing::ValuesIn(Rows()),
                         [](const ::testing::TestParamInfo<Row>& info) { return info.param.name; });

}  // namespace
}  // namespace satusehat_sync
