#include "sync_worker.h"

#include "klinik/time_util.h"

#include "klinik/log.h"
#include "klinik/metrics.h"
#include "klinik/outbox.h"
#include "klinik/storage.h"
#include "klinik/topics.h"
#include "klinik/v1/satusehat.pb.h"
#include "push_step.h"

namespace satusehat_sync {
namespace {

// ResourceSynced and SyncFailed name their job the same way.
template <class Fact>
void NameJob(const JobRecord& j, Fact* f) {
  f->set_job_id(j.job_id);
  f->set_source_event_id(j.source_event_id);
  f->set_patient_id(j.patient_id);
  f->set_resource_type(j.resource_type);
}

klinik::v1::SatuSehatEvent ResourceSyncedFact(const JobRecord& j, klinik::TimePoint now) {
  klinik::v1::SatuSehatEvent fact;
  auto* s = fact.mutable_resource_synced();
  NameJob(j, s);
  s->set_local_reference(j.local_reference);
  s->set_satusehat_id(j.satusehat_id);
  *s->mutable_synced_at() = klinik::ToTimestampMillis(now);
  s->set_action(j.action);
  return fact;
}

klinik::v1::SatuSehatEvent SyncFailedFact(const JobRecord& j, klinik::TimePoint now) {
  klinik::v1::SatuSehatEvent fact;
  auto* f = fact.mutable_sync_failed();
  NameJob(j, f);
  f->set_reason(j.last_error);
  f->set_http_status(j.http_status);
  f->set_diagnostics(j.diagnostics);
  f->set_satusehat_request_id(j.request_id);
  f->set_attempts(std::max(j.attempts, 1));
  *f->mutable_failed_at() = klinik::ToTimestampMillis(now);
  return fact;
}

// `saved` false: the job changed while it was sent (a RetrySync, another replica's claim).
void LogRecorded(const JobTransition& next, bool saved) {
  const JobRecord& j = next.job;
  klinik::log::Fields fields = {{"job_id", j.job_id},           {"kind", j.kind},
                                {"status", j.status},           {"attempts", j.attempts},
                                {"http_status", j.http_status}, {"x_request_id", j.request_id},
                                {"reason", j.last_error}};
  if (!saved) {
    klinik::log::Warn("sync job changed while it was sent; result dropped", fields);
  } else if (next.fact == JobFact::kSyncFailed) {
    fields.push_back({"diagnostics", j.diagnostics});
    klinik::log::Error("sync job failed", fields);
  } else if (next.fact == JobFact::kResourceSynced) {
    klinik::log::Debug("sync job synced", fields);
  } else {
    klinik::log::Info("sync job not done yet", fields);
  }
}

}  // namespace

SyncWorker::SyncWorker(klinik::Database& db, const Settings& settings, TokenProvider& tokens,
                       ServiceMetrics metrics, std::string fact_source,
                       std::function<void()> wake_outbox, std::function<void()> wake_workers)
    : db_(db),
      settings_(settings),
      metrics_(metrics),
      client_(settings, tokens, metrics.client),
      fact_source_(std::move(fact_source)),
      wake_outbox_(std::move(wake_outbox)),
      wake_workers_(std::move(wake_workers)),
      cache_(std::make_unique<ClaimCache>()),
      rules_{RetryPolicy(settings.backoff_initial, settings.backoff_max), settings.max_attempts,
             settings.patient_retry},
      breaker_(settings.circuit_failures, settings.circuit_open),
      rng_(std::random_device{}()) {}

SyncWorker::~SyncWorker() = default;

bool SyncWorker::RunOnce(const std::atomic<bool>& stop) {
  bool did_work = false;
  std::vector<JobRecord> claimed;
  size_t next = 0;
  // Claimed jobs this run does not get to go back at once (stopping, circuit, Retry-After).
  auto give_back = [&] {
    store::ReleaseClaims(db_, {claimed.begin() + static_cast<ptrdiff_t>(next), claimed.end()},
                         klinik::Clock::now());
  };
  try {
    while (!stop) {
      auto now = std::chrono::steady_clock::now();
      if (now < paused_until_ || !breaker_.Allow(now)) break;
      if (next == claimed.size()) {
        claimed = store::ClaimDue(db_, klinik::Clock::now(), settings_.lease);
        next = 0;
        cache_->Clear();
        if (claimed.empty()) {
          breaker_.ReleaseProbe();
          break;
        }
      }
      Send(claimed[next++]);
      did_work = true;
    }
  } catch (const klinik::StorageError&) {
    // The unsent claims' leases run out and they are taken again (as ambiguous); give them
    // back now if the database allows.
    try {
      give_back();
    } catch (const klinik::StorageError&) {
    }
    throw;
  }
  give_back();
  return did_work;
}

PushOutcome SyncWorker::Push(const JobRecord& job) {
  try {
    return PushJob(db_, settings_.site, client_, job, *cache_);
  } catch (const klinik::StorageError&) {
    throw;
  } catch (const std::exception& e) {
    return PushOutcome::Transient("INTERNAL", e.what());
  }
}

void SyncWorker::Send(const JobRecord& job) {
  auto started = std::chrono::steady_clock::now();
  const PushOutcome outcome = Push(job);
  if (metrics_.push_seconds != nullptr) {
    metrics_.push_seconds->Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  }
  switch (outcome.server) {
    case ServerSignal::kDown:
      breaker_.RecordFailure(std::chrono::steady_clock::now());
      break;
    case ServerSignal::kAnswered:
      breaker_.RecordSuccess();
      break;
    case ServerSignal::kNone:
      breaker_.ReleaseProbe();
      break;
  }
  const push::Transient* transient = outcome.transient();
  if (transient != nullptr && outcome.http_status == 429 && transient->retry_after) {
    paused_until_ = std::chrono::steady_clock::now() + *transient->retry_after;
  }
  Record(job, outcome);
}

void SyncWorker::Record(const JobRecord& job, const PushOutcome& outcome) {
  const auto now = klinik::Clock::now();
  std::uniform_real_distribution<double> jitter(0.0, 1.0);
  const JobTransition next =
      NextState(job, outcome, rules_, klinik::ToUnixMillis(now), jitter(rng_));
  const Saved saved = Save(next, now);
  LogRecorded(next, saved.saved);
  Wake(next, saved);
}

SyncWorker::Saved SyncWorker::Save(const JobTransition& next, klinik::TimePoint now) {
  const JobRecord& j = next.job;
  Saved result;
  result.saved = db_.InTransaction([&](klinik::Transaction& tx) {
    result.released = 0;
    if (!store::Save(tx, j, now)) return false;
    if (next.fact == JobFact::kResourceSynced)
      result.released = store::ReleaseDependents(tx, j, now);
    klinik::OutboxWriter out(tx, fact_source_);
    if (next.fact == JobFact::kResourceSynced) {
      klinik::v1::SatuSehatEvent fact = ResourceSyncedFact(j, now);
      out.Publish(klinik::topics::kSatuSehat, j.patient_id, j.patient_id, fact);
    } else if (next.fact == JobFact::kSyncFailed) {
      (void)store::MarkDependentsBlocked(tx, j, now);
      klinik::v1::SatuSehatEvent fact = SyncFailedFact(j, now);
      out.Publish(klinik::topics::kSatuSehat, j.patient_id, j.patient_id, fact);
    }
    return true;
  });
  return result;
}

void SyncWorker::Wake(const JobTransition& next, const Saved& saved) {
  if (saved.saved && next.fact != JobFact::kNone) wake_outbox_();
  if (saved.saved && saved.released > 0) wake_workers_();
}

bool JobGauges::Run(std::chrono::milliseconds sweep_interval) {
  auto steady = std::chrono::steady_clock::now();
  int64_t released = 0;
  if (steady >= swept_at_) {
    swept_at_ = steady + sweep_interval;
    released = db_.InTransaction(
        [](klinik::Transaction& tx) { return store::ReleaseReady(tx, klinik::Clock::now()); });
    if (released > 0) klinik::log::Info("waiting sync jobs released", {{"jobs", released}});
  }
  auto [counts, oldest] = db_.Read([](klinik::Transaction& tx) {
    return std::make_pair(store::CountByStatus(tx), store::OldestPendingCreatedAt(tx));
  });
  if (metrics_.jobs != nullptr) {
    for (std::string_view s : {status::kPending, status::kWaitingForPatient, status::kInFlight,
                               status::kSynced, status::kFailed, status::kSuppressed}) {
      int64_t n = 0;
      for (const auto& [name, count] : counts) {
        if (name == s) n = count;
      }
      metrics_.jobs->Add({{"status", std::string(s)}}).Set(static_cast<double>(n));
    }
  }
  if (metrics_.oldest_pending_age != nullptr) {
    double age =
        oldest ? static_cast<double>(klinik::ToUnixMillis(klinik::Clock::now()) - *oldest) / 1000.0
               : 0.0;
    metrics_.oldest_pending_age->Set(std::max(age, 0.0));
  }
  return released > 0;
}

}  // namespace satusehat_sync
