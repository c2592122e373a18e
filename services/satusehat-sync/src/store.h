// The sync service's tables: source facts, sync jobs with their dependencies, the patient→NIK
// map learnt from PatientRegistered, and the NIK→IHS cache. Every function takes the caller's
// transaction, so a job's state change and the fact announcing it commit together.
//
// Claiming (several replicas may share PostgreSQL): due jobs are selected in due order with FOR
// UPDATE SKIP LOCKED, a few at a time, and moved to in_flight with a lease; a job whose lease
// ran out (its replica died mid-send) is claimed again and marked ambiguous, so its next send
// first searches SatuSehat by identifier.
//
// Dependencies: a job that depends on others (an Observation on its Encounter) is pending
// without next_attempt_at — not due, never scanned by a claim — until the last of them is
// synced; then ReleaseDependents (in the syncing transaction) makes it due.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "job_plan.h"
#include "klinik/storage.h"
#include "klinik/time_util.h"
#include "klinik/v1/satusehat.pb.h"

namespace satusehat_sync {

namespace status {
inline constexpr std::string_view kPending = "pending";
inline constexpr std::string_view kWaitingForPatient = "waiting_for_patient";
inline constexpr std::string_view kInFlight = "in_flight";
inline constexpr std::string_view kSynced = "synced";
inline constexpr std::string_view kFailed = "failed";
inline constexpr std::string_view kSuppressed = "suppressed";
}  // namespace status

klinik::v1::SyncJobStatus StatusFromText(std::string_view text);

// One row of sync_jobs.
struct JobRecord {
  std::string job_id;
  std::string source_event_id;
  std::string source_event_type;
  std::string patient_id;
  std::string kind;
  std::string resource_type;
  std::string action;
  std::string local_reference;
  std::string detail;
  std::string status;
  int attempts = 0;
  bool ambiguous = false;  // a send may have stored the resource: search before creating
  std::string satusehat_id;
  std::string last_error;
  int http_status = 0;
  std::string diagnostics;
  std::string request_id;
  std::optional<int64_t> next_attempt_at;  // unix ms
  int64_t created_at = 0;                  // unix ms
  int64_t updated_at = 0;                  // unix ms
  std::string claimed_from;                // ClaimDue only: the status the claim took it from

  [[nodiscard]] klinik::v1::SyncJob ToProto() const;
};

// The source fact a job was planned from.
struct SourceFact {
  std::string event_type;
  std::string payload;  // serialized inner fact message (e.g. ScreeningCompleted)
};

namespace store {

const std::vector<klinik::Migration>& Migrations();

// Stores the source fact and its jobs as pending and due now. A job whose (kind,
// local_reference) exists already is left as it is. Returns how many jobs were new.
int AddJobs(klinik::Transaction& tx, const std::string& source_event_id,
            const std::string& source_event_type, const std::string& patient_id,
            const std::string& payload, const std::vector<PlannedJob>& jobs, klinik::TimePoint now);
void RememberPatient(klinik::Transaction& tx, const std::string& patient_id,
                     const std::string& nik);

// Jobs one claim takes at most.
inline constexpr size_t kClaimBatch = 8;
// Claims up to kClaimBatch due jobs whose dependencies are synced, in due order (oldest
// next_attempt_at, then creation); empty when none is due.
std::vector<JobRecord> ClaimDue(klinik::Database& db, klinik::TimePoint now,
                                std::chrono::milliseconds lease);
// Gives claimed jobs that were not sent back, due now (a worker stopping or pausing).
void ReleaseClaims(klinik::Database& db, const std::vector<JobRecord>& jobs, klinik::TimePoint now);
// `synced` was just synced: its dependents whose dependencies are now all synced become due.
int64_t ReleaseDependents(klinik::Transaction& tx, const JobRecord& synced, klinik::TimePoint now);
// Sweep: every waiting job whose dependencies are all synced becomes due. Catches a release
// missed by a race the locks do not cover (a dependency planned and synced by another
// replica while the dependent's own transaction was still open).
int64_t ReleaseReady(klinik::Transaction& tx, klinik::TimePoint now);

std::optional<SourceFact> Source(klinik::Transaction& tx, const std::string& source_event_id);
// satusehat_id of the synced job (kind, local_reference); nullopt when it is not synced.
std::optional<std::string> SyncedId(klinik::Transaction& tx, std::string_view kind,
                                    const std::string& local_reference);
std::optional<JobRecord> Find(klinik::Transaction& tx, std::string_view kind,
                              const std::string& local_reference);
std::optional<std::string> PatientNik(klinik::Transaction& tx, const std::string& patient_id);
// NIK→IHS cache; `who` is "patient" or "practitioner".
std::optional<std::string> CachedIhs(klinik::Transaction& tx, std::string_view who,
                                     const std::string& nik);
void CacheIhs(klinik::Transaction& tx, std::string_view who, const std::string& nik,
              const std::string& ihs, klinik::TimePoint now);

// Writes a claimed job's new state; `record` carries every changed column. Guarded on the
// job still being in_flight (a RetrySync or another replica cannot be overwritten).
bool Save(klinik::Transaction& tx, const JobRecord& record, klinik::TimePoint now);

// A job failed for good: its pending dependents say so (they stay pending, so a RetrySync
// of the failed job lets them go on). Returns how many were marked.
int64_t MarkDependentsBlocked(klinik::Transaction& tx, const JobRecord& failed,
                              klinik::TimePoint now);

std::optional<JobRecord> Get(klinik::Transaction& tx, const std::string& job_id);
std::vector<JobRecord> BySource(klinik::Transaction& tx, const std::string& source_event_id);
std::vector<JobRecord> ByPatient(klinik::Transaction& tx, const std::string& patient_id);
// Failed jobs, newest change first, after the (updated_at, job_id) cursor when given.
std::vector<JobRecord> Failures(klinik::Transaction& tx, int limit,
                                std::optional<std::pair<int64_t, std::string>> after);
// failed/suppressed → pending, due now, attempts reset. False when the job is in another status.
bool Requeue(klinik::Transaction& tx, const std::string& job_id, klinik::TimePoint now);

// Gauges: jobs per status, and the creation time of the oldest pending/in_flight job.
std::vector<std::pair<std::string, int64_t>> CountByStatus(klinik::Transaction& tx);
std::optional<int64_t> OldestPendingCreatedAt(klinik::Transaction& tx);

}  // namespace store
}  // namespace satusehat_sync
