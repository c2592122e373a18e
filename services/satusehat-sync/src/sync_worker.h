// SyncWorker: claims due sync jobs a few at a time and sends them to SatuSehat one after the
// other, with its own SatuSehatClient (one reused connection); claimed jobs it does not get to
// (stopping, an open circuit, Retry-After) are given back at once. Each job's result — status,
// attempts, next attempt, last error, the SatuSehat id — and its ResourceSynced/SyncFailed fact
// commit in one transaction. Status is honest: a job is synced only when SatuSehat answered with
// the id. Sending one job, and never creating twice, is the push step's (push_step.h).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <random>
#include <string>

#include "job_transition.h"
#include "policies.h"
#include "push_outcome.h"
#include "satusehat_client.h"
#include "service_metrics.h"
#include "settings.h"
#include "store.h"

namespace klinik {
class Database;
}  // namespace klinik

namespace satusehat_sync {

struct ClaimCache;

class SyncWorker {
 public:
  // `wake_outbox` after a fact was written; `wake_workers` after jobs became due.
  SyncWorker(klinik::Database& db, const Settings& settings, TokenProvider& tokens,
             ServiceMetrics metrics, std::string fact_source, std::function<void()> wake_outbox,
             std::function<void()> wake_workers);

  // Sends due jobs until none is due, the circuit is open, SatuSehat asked us to wait, or
  // `stop` is set. Returns true when any job changed.
  bool RunOnce(const std::atomic<bool>& stop);
  ~SyncWorker();

 private:
  // Sends one claimed job and records the outcome.
  void Send(const JobRecord& job);
  // The push step; an exception other than a storage failure is a transient INTERNAL outcome.
  PushOutcome Push(const JobRecord& job);
  // NextState decides; the new state and its fact commit together, then the log and the wake-ups.
  void Record(const JobRecord& job, const PushOutcome& outcome);
  struct Saved {
    bool saved = false;    // false: the job was no longer in_flight, nothing written
    int64_t released = 0;  // dependents the sync made due
  };
  Saved Save(const JobTransition& next, klinik::TimePoint now);
  void Wake(const JobTransition& next, const Saved& saved);

  klinik::Database& db_;
  const Settings& settings_;
  ServiceMetrics metrics_;
  SatuSehatClient client_;
  std::string fact_source_;
  std::function<void()> wake_outbox_;
  std::function<void()> wake_workers_;
  std::unique_ptr<ClaimCache> cache_;  // reads shared by the jobs of the current claim
  RetryRules rules_;
  CircuitBreaker breaker_;
  SteadyTime paused_until_{};
  std::mt19937_64 rng_;
};

// The job gauges (klinik_sync_jobs{status}, klinik_sync_oldest_pending_age_seconds), read by
// one task per process, and the ReleaseReady sweep.
class JobGauges {
 public:
  JobGauges(klinik::Database& db, ServiceMetrics metrics) : db_(db), metrics_(metrics) {}
  // Refreshes the gauges; sweeps for waiting jobs that are ready at most every
  // `sweep_interval`. Returns true when the sweep made jobs due.
  bool Run(std::chrono::milliseconds sweep_interval);

 private:
  klinik::Database& db_;
  ServiceMetrics metrics_;
  SteadyTime swept_at_{};
};

}  // namespace satusehat_sync
