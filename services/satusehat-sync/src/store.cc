#include "store.h"

#include <algorithm>
#include <map>
#include <set>

namespace satusehat_sync {
namespace {

using klinik::Params;
using klinik::Row;
using klinik::Transaction;

constexpr std::string_view kColumns =
    "job_id, source_event_id, source_event_type, patient_id, kind, resource_type, action, "
    "local_reference, detail, status, attempts, ambiguous, satusehat_id, last_error, http_status, "
    "diagnostics, request_id, next_attempt_at, created_at, updated_at";

JobRecord FromRow(const Row& r) {
  JobRecord j;
  j.job_id = r.Text(0);
  j.source_event_id = r.Text(1);
  j.source_event_type = r.Text(2);
  j.patient_id = r.Text(3);
  j.kind = r.Text(4);
  j.resource_type = r.Text(5);
  j.action = r.Text(6);
  j.local_reference = r.Text(7);
  j.detail = r.Text(8);
  j.status = r.Text(9);
  j.attempts = static_cast<int>(r.Int(10));
  j.ambiguous = r.Int(11) != 0;
  j.satusehat_id = r.Text(12);
  j.last_error = r.Text(13);
  j.http_status = static_cast<int>(r.Int(14));
  j.diagnostics = r.Text(15);
  j.request_id = r.Text(16);
  j.next_attempt_at = r.OptInt(17);
  j.created_at = r.Int(18);
  j.updated_at = r.Int(19);
  return j;
}

std::vector<JobRecord> Select(Transaction& tx, const std::string& where_and_order,
                              const Params& params) {
  std::vector<JobRecord> out;
  for (const Row& r :
       tx.Query("SELECT " + std::string(kColumns) + " FROM sync_jobs " + where_and_order, params)) {
    out.push_back(FromRow(r));
  }
  return out;
}

// True for the sync_jobs row in scope when every job it depends on is synced.
constexpr std::string_view kDepsSynced =
    "NOT EXISTS (SELECT 1 FROM sync_job_deps d WHERE d.job_id = sync_jobs.job_id AND NOT EXISTS ("
    "SELECT 1 FROM sync_jobs p WHERE p.kind = d.dep_kind AND p.local_reference = "
    "d.dep_local_reference AND p.status = 'synced'))";

// A pending job without next_attempt_at waits for its dependencies; it becomes due when the
// last of them is synced, due as of its creation ($1 is now): claims take the oldest first, so
// a backlog finishes the screenings it has started before starting newer ones.
std::string ReleaseStatement(std::string_view and_where = {}) {
  return "UPDATE sync_jobs SET next_attempt_at = CASE WHEN created_at < $1 THEN created_at ELSE "
         "$1 END WHERE status = 'pending' AND "
         "next_attempt_at IS NULL AND " +
         std::string(kDepsSynced) + std::string(and_where);
}

// Releases these waiting jobs if their dependencies are all synced. Statements name the jobs by
// id (the unique index), never by a scan whose plan depends on fresh statistics. On PostgreSQL
// the jobs are locked first, in id order: of two dependencies synced at once, the second
// transaction waits here for the first to commit, and then sees both synced.
int64_t ReleaseIds(Transaction& tx, std::vector<std::string> ids, int64_t ms) {
  constexpr size_t kChunk = 16;
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  static const std::string lock =
      "SELECT job_id FROM sync_jobs WHERE job_id IN (" + klinik::PlaceholderList(kChunk, 1) +
      ") AND status = 'pending' AND next_attempt_at IS NULL ORDER BY job_id FOR UPDATE";
  static const std::string release =
      ReleaseStatement(" AND job_id IN (" + klinik::PlaceholderList(kChunk, 2) + ")");
  int64_t released = 0;
  for (size_t start = 0; start < ids.size(); start += kChunk) {
    klinik::Params chunk;
    klinik::AppendPadded(chunk, ids, start, kChunk);
    if (tx.dialect() == klinik::Dialect::kPostgres) tx.Query(lock, chunk);
    chunk.insert(chunk.begin(), ms);
    released += tx.Execute(release, chunk);
  }
  return released;
}

}  // namespace

namespace store {

const std::vector<klinik::Migration>& Migrations() {
  static const std::vector<klinik::Migration> kMigrations = {
      {1, "sync jobs",
       "CREATE TABLE sync_sources ("
       "  source_event_id TEXT PRIMARY KEY,"
       "  source_event_type TEXT NOT NULL,"
       "  payload {{BLOB}} NOT NULL,"
       "  received_at BIGINT NOT NULL);"
       "CREATE TABLE sync_jobs ("
       "  seq {{AUTOINCREMENT}},"
       "  job_id TEXT NOT NULL UNIQUE,"
       "  source_event_id TEXT NOT NULL,"
       "  source_event_type TEXT NOT NULL,"
       "  patient_id TEXT NOT NULL,"
       "  kind TEXT NOT NULL,"
       "  resource_type TEXT NOT NULL,"
       "  action TEXT NOT NULL,"
       "  local_reference TEXT NOT NULL,"
       "  detail TEXT NOT NULL,"
       "  status TEXT NOT NULL,"
       "  attempts INTEGER NOT NULL DEFAULT 0,"
       "  ambiguous INTEGER NOT NULL DEFAULT 0,"
       "  satusehat_id TEXT NOT NULL DEFAULT '',"
       "  last_error TEXT NOT NULL DEFAULT '',"
       "  http_status INTEGER NOT NULL DEFAULT 0,"
       "  diagnostics TEXT NOT NULL DEFAULT '',"
       "  request_id TEXT NOT NULL DEFAULT '',"
       "  next_attempt_at BIGINT,"
       "  lease_until BIGINT,"
       "  created_at BIGINT NOT NULL,"
       "  updated_at BIGINT NOT NULL,"
       "  UNIQUE (kind, local_reference));"
       "CREATE INDEX sync_jobs_due ON sync_jobs (next_attempt_at) "
       "  WHERE status IN ('pending', 'waiting_for_patient', 'in_flight');"
       "CREATE INDEX sync_jobs_source ON sync_jobs (source_event_id);"
       "CREATE INDEX sync_jobs_patient ON sync_jobs (patient_id);"
       "CREATE INDEX sync_jobs_status ON sync_jobs (status, updated_at);"
       "CREATE TABLE sync_job_deps ("
       "  job_id TEXT NOT NULL,"
       "  dep_kind TEXT NOT NULL,"
       "  dep_local_reference TEXT NOT NULL,"
       "  PRIMARY KEY (job_id, dep_kind, dep_local_reference));"
       "CREATE TABLE sync_patients ("
       "  patient_id TEXT PRIMARY KEY,"
       "  nik TEXT NOT NULL);"
       "CREATE TABLE sync_ihs_cache ("
       "  who TEXT NOT NULL,"
       "  nik TEXT NOT NULL,"
       "  ihs TEXT NOT NULL,"
       "  looked_up_at BIGINT NOT NULL,"
       "  PRIMARY KEY (who, nik));"},
      // Claims walk the due index in claim order; a job waiting for its dependencies is not
      // due (next_attempt_at NULL) until they are synced, so it is never scanned by a claim.
      {2, "sync job claim order and dependency release",
       "DROP INDEX sync_jobs_due;"
       "CREATE INDEX sync_jobs_due ON sync_jobs (next_attempt_at, seq) "
       "  WHERE status IN ('pending', 'waiting_for_patient', 'in_flight');"
       "CREATE INDEX sync_jobs_open ON sync_jobs (created_at) "
       "  WHERE status IN ('pending', 'in_flight');"
       "CREATE INDEX sync_job_deps_dep ON sync_job_deps (dep_kind, dep_local_reference);"
       "UPDATE sync_jobs SET next_attempt_at = NULL WHERE status = 'pending' AND "
       "  EXISTS (SELECT 1 FROM sync_job_deps d WHERE d.job_id = sync_jobs.job_id AND NOT EXISTS ("
       "  SELECT 1 FROM sync_jobs p WHERE p.kind = d.dep_kind AND "
       "  p.local_reference = d.dep_local_reference AND p.status = 'synced'));"},
  };
  return kMigrations;
}

}  // namespace store

klinik::v1::SyncJobStatus StatusFromText(std::string_view text) {
  if (text == status::kPending) return klinik::v1::SYNC_JOB_STATUS_PENDING;
  if (text == status::kWaitingForPatient) return klinik::v1::SYNC_JOB_STATUS_WAITING_FOR_PATIENT;
  if (text == status::kInFlight) return klinik::v1::SYNC_JOB_STATUS_IN_FLIGHT;
  if (text == status::kSynced) return klinik::v1::SYNC_JOB_STATUS_SYNCED;
  if (text == status::kFailed) return klinik::v1::SYNC_JOB_STATUS_FAILED;
  if (text == status::kSuppressed) return klinik::v1::SYNC_JOB_STATUS_SUPPRESSED;
  return klinik::v1::SYNC_JOB_STATUS_UNSPECIFIED;
}

klinik::v1::SyncJob JobRecord::ToProto() const {
  klinik::v1::SyncJob p;
  p.set_job_id(job_id);
  p.set_source_event_id(source_event_id);
  p.set_source_event_type(source_event_type);
  p.set_patient_id(patient_id);
  p.set_resource_type(resource_type);
  p.set_local_reference(local_reference);
  p.set_status(StatusFromText(status));
  p.set_satusehat_id(satusehat_id);
  p.set_attempts(attempts);
  p.set_last_error(last_error);
  p.set_http_status(http_status);
  p.set_diagnostics(diagnostics);
  p.set_satusehat_request_id(request_id);
  bool scheduled = status == status::kPending || status == status::kWaitingForPatient;
  if (next_attempt_at && scheduled) {
    *p.mutable_next_attempt_at() = klinik::ToTimestamp(klinik::FromUnixMillis(*next_attempt_at));
  }
  *p.mutable_created_at() = klinik::ToTimestamp(klinik::FromUnixMillis(created_at));
  *p.mutable_updated_at() = klinik::ToTimestamp(klinik::FromUnixMillis(updated_at));
  p.set_action(action);
  return p;
}

namespace store {

int AddJobs(Transaction& tx, const std::string& source_event_id,
            const std::string& source_event_type, const std::string& patient_id,
            const std::string& payload, const std::vector<PlannedJob>& jobs,
            klinik::TimePoint now) {
  int64_t ms = klinik::ToUnixMillis(now);
  tx.Execute(
      "INSERT INTO sync_sources (source_event_id, source_event_type, payload, received_at) "
      "VALUES ($1, $2, $3, $4) ON CONFLICT (source_event_id) DO NOTHING",
      {source_event_id, source_event_type, klinik::Blob{payload}, ms});
  int added = 0;
  std::set<std::pair<std::string, std::string>> planned;
  for (const PlannedJob& j : jobs) planned.emplace(j.key.kind, j.key.local_reference);
  std::vector<std::string> maybe_ready;  // new jobs that wait only for jobs of other facts
  std::vector<JobKey> outside;           // those jobs of other facts
  for (const PlannedJob& j : jobs) {
    std::string job_id = klinik::NewUuid();
    // A job with dependencies is not due yet; it is released below or once they are synced.
    std::optional<int64_t> due;
    if (j.depends_on.empty()) due = ms;
    int64_t n = tx.Execute(
        "INSERT INTO sync_jobs (job_id, source_event_id, source_event_type, patient_id, kind, "
        "resource_type, action, local_reference, detail, status, next_attempt_at, created_at, "
        "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', $10, $11, $11) "
        "ON CONFLICT (kind, local_reference) DO NOTHING",
        {job_id, source_event_id, source_event_type, patient_id, j.key.kind, j.resource_type,
         j.action, j.key.local_reference, j.detail, klinik::Nullable(due), ms});
    if (n == 0) continue;  // planned before (a replayed fact): the existing job stands
    ++added;
    bool only_outside = !j.depends_on.empty();
    for (const JobKey& d : j.depends_on) {
      tx.Execute(
          "INSERT INTO sync_job_deps (job_id, dep_kind, dep_local_reference) VALUES ($1, $2, $3)",
          {job_id, d.kind, d.local_reference});
      if (planned.count({d.kind, d.local_reference}) != 0) {
        only_outside = false;  // planned just now: cannot be synced yet
      } else {
        outside.push_back(d);
      }
    }
    if (only_outside) maybe_ready.push_back(job_id);
  }
  if (!maybe_ready.empty()) {
    // Dependencies synced already (a referral after its screening's Encounter). On PostgreSQL
    // they are share-locked first: a worker syncing one right now either committed before (and
    // is seen here) or waits for this commit (and then releases the job itself).
    if (tx.dialect() == klinik::Dialect::kPostgres) {
      for (const JobKey& d : outside) {
        tx.Query("SELECT 1 FROM sync_jobs WHERE kind = $1 AND local_reference = $2 FOR SHARE",
                 {d.kind, d.local_reference});
      }
    }
    ReleaseIds(tx, maybe_ready, ms);
  }
  return added;
}

void RememberPatient(Transaction& tx, const std::string& patient_id, const std::string& nik) {
  tx.Execute(
      "INSERT INTO sync_patients (patient_id, nik) VALUES ($1, $2) "
      "ON CONFLICT (patient_id) DO UPDATE SET nik = excluded.nik",
      {patient_id, nik});
  // The patient's jobs that found no registration (their screening or dispensing fact came
  // first, on another topic) are due again now, not after KLINIK_SYNC_PATIENT_RETRY.
  tx.Execute(
      "UPDATE sync_jobs SET next_attempt_at = $2 WHERE patient_id = $1 AND status = $3 AND "
      "last_error = 'PATIENT_UNKNOWN'",
      {patient_id, klinik::ToUnixMillis(klinik::Clock::now()),
       std::string(status::kWaitingForPatient)});
}

std::vector<JobRecord> ClaimDue(klinik::Database& db, klinik::TimePoint now,
                                std::chrono::milliseconds lease) {
  int64_t ms = klinik::ToUnixMillis(now);
  int64_t lease_until = ms + lease.count();
  return db.InTransaction([&](Transaction& tx) {
    std::string lock = tx.dialect() == klinik::Dialect::kPostgres ? " FOR UPDATE SKIP LOCKED" : "";
    // Due, or in flight on a lease that ran out, in claim order along sync_jobs_due. Released
    // jobs have their dependencies synced; the check stays for jobs made due otherwise.
    std::vector<std::string> due;            // job ids in claim order
    std::map<std::string, std::string> was;  // job id → status before the claim
    for (const Row& r :
         tx.Query("SELECT job_id, status FROM sync_jobs "
                  "WHERE status IN ('pending', 'waiting_for_patient', 'in_flight') AND "
                  "next_attempt_at <= $1 AND " +
                      std::string(kDepsSynced) + " ORDER BY next_attempt_at, seq LIMIT $2" + lock,
                  {ms, static_cast<int64_t>(kClaimBatch)})) {
      due.push_back(r.Text(0));
      was[r.Text(0)] = r.Text(1);
    }
    std::vector<JobRecord> claimed;
    if (due.empty()) return claimed;
    // One statement for all (a single prepared statement).
    static const std::string in_list = "(" + klinik::PlaceholderList(kClaimBatch, 3) + ")";
    klinik::Params ids{lease_until, ms};
    klinik::AppendPadded(ids, due, 0, kClaimBatch);
    // An expired in_flight claim may have sent the resource before its replica died.
    tx.Execute(
        "UPDATE sync_jobs SET status = 'in_flight', lease_until = $1, next_attempt_at = $1, "
        "ambiguous = CASE WHEN status = 'in_flight' THEN 1 ELSE ambiguous END, updated_at = $2 "
        "WHERE job_id IN " +
            in_list,
        ids);
    ids.erase(ids.begin(), ids.begin() + 2);
    static const std::string select_in =
        "WHERE job_id IN (" + klinik::PlaceholderList(kClaimBatch, 1) + ") ORDER BY seq";
    claimed = Select(tx, select_in, ids);
    for (JobRecord& j : claimed) j.claimed_from = was.at(j.job_id);
    return claimed;
  });
}

void ReleaseClaims(klinik::Database& db, const std::vector<JobRecord>& jobs,
                   klinik::TimePoint now) {
  if (jobs.empty()) return;
  int64_t ms = klinik::ToUnixMillis(now);
  db.InTransaction([&](Transaction& tx) {
    for (const JobRecord& j : jobs) {
      // Back to the status it was claimed from, due now (it was due when claimed). An
      // ambiguous job stays ambiguous; a job claimed off an expired lease is pending again.
      std::string back = j.claimed_from == status::kWaitingForPatient
                             ? std::string(status::kWaitingForPatient)
                             : std::string(status::kPending);
      tx.Execute(
          "UPDATE sync_jobs SET status = $1, next_attempt_at = $2, lease_until = NULL "
          "WHERE job_id = $3 AND status = 'in_flight'",
          {back, ms, j.job_id});
    }
  });
}

int64_t ReleaseDependents(Transaction& tx, const JobRecord& synced, klinik::TimePoint now) {
  std::vector<std::string> dependents;
  for (const Row& r :
       tx.Query("SELECT job_id FROM sync_job_deps WHERE dep_kind = $1 AND dep_local_reference = $2",
                {synced.kind, synced.local_reference})) {
    dependents.push_back(r.Text(0));
  }
  if (dependents.empty()) return 0;
  return ReleaseIds(tx, std::move(dependents), klinik::ToUnixMillis(now));
}

int64_t ReleaseReady(Transaction& tx, klinik::TimePoint now) {
  return tx.Execute(ReleaseStatement(), {klinik::ToUnixMillis(now)});
}

std::optional<SourceFact> Source(Transaction& tx, const std::string& source_event_id) {
  auto rows =
      tx.Query("SELECT source_event_type, payload FROM sync_sources WHERE source_event_id = $1",
               {source_event_id});
  if (rows.empty()) return std::nullopt;
  return SourceFact{rows[0].Text(0), rows[0].Text(1)};
}

std::optional<std::string> SyncedId(Transaction& tx, std::string_view kind,
                                    const std::string& local_reference) {
  auto rows = tx.Query(
      "SELECT satusehat_id FROM sync_jobs WHERE kind = $1 AND local_reference = $2 AND status = "
      "'synced'",
      {std::string(kind), local_reference});
  if (rows.empty()) return std::nullopt;
  return rows[0].Text(0);
}

std::optional<JobRecord> Find(Transaction& tx, std::string_view kind,
                              const std::string& local_reference) {
  auto rows =
      Select(tx, "WHERE kind = $1 AND local_reference = $2", {std::string(kind), local_reference});
  if (rows.empty()) return std::nullopt;
  return rows[0];
}

std::optional<std::string> PatientNik(Transaction& tx, const std::string& patient_id) {
  auto rows = tx.Query("SELECT nik FROM sync_patients WHERE patient_id = $1", {patient_id});
  if (rows.empty()) return std::nullopt;
  return rows[0].Text(0);
}

std::optional<std::string> CachedIhs(Transaction& tx, std::string_view who,
                                     const std::string& nik) {
  auto rows = tx.Query("SELECT ihs FROM sync_ihs_cache WHERE who = $1 AND nik = $2",
                       {std::string(who), nik});
  if (rows.empty()) return std::nullopt;
  return rows[0].Text(0);
}

void CacheIhs(Transaction& tx, std::string_view who, const std::string& nik, const std::string& ihs,
              klinik::TimePoint now) {
  tx.Execute(
      "INSERT INTO sync_ihs_cache (who, nik, ihs, looked_up_at) VALUES ($1, $2, $3, $4) "
      "ON CONFLICT (who, nik) DO UPDATE SET ihs = excluded.ihs, looked_up_at = "
      "excluded.looked_up_at",
      {std::string(who), nik, ihs, klinik::ToUnixMillis(now)});
}

bool Save(Transaction& tx, const JobRecord& j, klinik::TimePoint now) {
  return tx.Execute(
             "UPDATE sync_jobs SET status = $1, attempts = $2, ambiguous = $3, satusehat_id = $4, "
             "last_error = $5, http_status = $6, diagnostics = $7, request_id = $8, "
             "next_attempt_at = $9, lease_until = NULL, updated_at = $10 "
             "WHERE job_id = $11 AND status = 'in_flight'",
             {j.status, static_cast<int64_t>(j.attempts), static_cast<int64_t>(j.ambiguous ? 1 : 0),
              j.satusehat_id, j.last_error, static_cast<int64_t>(j.http_status), j.diagnostics,
              j.request_id, klinik::Nullable(j.next_attempt_at), klinik::ToUnixMillis(now),
              j.job_id}) == 1;
}

int64_t MarkDependentsBlocked(Transaction& tx, const JobRecord& failed, klinik::TimePoint now) {
  return tx.Execute(
      "UPDATE sync_jobs SET last_error = 'DEPENDENCY_FAILED', diagnostics = $1, updated_at = $2 "
      "WHERE status = 'pending' AND job_id IN (SELECT job_id FROM sync_job_deps "
      "WHERE dep_kind = $3 AND dep_local_reference = $4)",
      {"waits for failed job " + failed.job_id + " (" + failed.resource_type + ")",
       klinik::ToUnixMillis(now), failed.kind, failed.local_reference});
}

std::optional<JobRecord> Get(Transaction& tx, const std::string& job_id) {
  auto rows = Select(tx, "WHERE job_id = $1", {job_id});
  if (rows.empty()) return std::nullopt;
  return rows[0];
}

std::vector<JobRecord> BySource(Transaction& tx, const std::string& source_event_id) {
  return Select(tx, "WHERE source_event_id = $1 ORDER BY created_at, seq", {source_event_id});
}

std::vector<JobRecord> ByPatient(Transaction& tx, const std::string& patient_id) {
  return Select(tx, "WHERE patient_id = $1 ORDER BY created_at, seq LIMIT 1000", {patient_id});
}

std::vector<JobRecord> Failures(Transaction& tx, int limit,
                                std::optional<std::pair<int64_t, std::string>> after) {
  if (!after) {
    return Select(tx, "WHERE status = 'failed' ORDER BY updated_at DESC, job_id DESC LIMIT $1",
                  {static_cast<int64_t>(limit)});
  }
  return Select(
      tx,
      "WHERE status = 'failed' AND (updated_at < $1 OR (updated_at = $1 AND job_id < $2)) "
      "ORDER BY updated_at DESC, job_id DESC LIMIT $3",
      {after->first, after->second, static_cast<int64_t>(limit)});
}

bool Requeue(Transaction& tx, const std::string& job_id, klinik::TimePoint now) {
  int64_t ms = klinik::ToUnixMillis(now);
  // Due now, or released once its dependencies are synced.
  return tx.Execute(
             "UPDATE sync_jobs SET status = 'pending', attempts = 0, next_attempt_at = "
             "CASE WHEN " +
                 std::string(kDepsSynced) +
                 " THEN CAST($1 AS BIGINT) ELSE NULL END, updated_at = $1 WHERE job_id = $2 AND "
                 "status "
                 "IN ('failed', 'suppressed')",
             {ms, job_id}) == 1;
}

std::vector<std::pair<std::string, int64_t>> CountByStatus(Transaction& tx) {
  std::vector<std::pair<std::string, int64_t>> out;
  for (const Row& r : tx.Query("SELECT status, COUNT(*) FROM sync_jobs GROUP BY status")) {
    out.emplace_back(r.Text(0), r.Int(1));
  }
  return out;
}

std::optional<int64_t> OldestPendingCreatedAt(Transaction& tx) {
  auto rows =
      tx.Query("SELECT MIN(created_at) FROM sync_jobs WHERE status IN ('pending', 'in_flight')");
  if (rows.empty() || rows[0].IsNull(0)) return std::nullopt;
  return rows[0].Int(0);
}

}  // namespace store
}  // namespace satusehat_sync
