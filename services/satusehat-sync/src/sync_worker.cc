#include "sync_worker.h"

#include <google/protobuf/util/time_util.h>

#include "klinik/log.h"
#include "klinik/metrics.h"
#include "klinik/outbox.h"
#include "klinik/storage.h"
#include "klinik/topics.h"
#include "klinik/v1/satusehat.pb.h"
#include "push_step.h"

namespace satusehat_sync {
namespace {

using Kind = PushOutcome::Kind;

google::protobuf::Timestamp Ts(klinik::TimePoint t) {
  return google::protobuf::util::TimeUtil::MillisecondsToTimestamp(klinik::ToUnixMillis(t));
}

}  // namespace

WorkerMetrics WorkerMetrics::Register(klinik::Metrics& metrics) {
  WorkerMetrics m;
  m.jobs = &metrics.AddGauge("klinik_sync_jobs", "SatuSehat sync jobs by status");
  m.push_seconds = &metrics
                        .AddHistogram("klinik_satusehat_push_seconds",
                                      "Time to send one sync job to SatuSehat, lookups included")
                        .Add({}, klinik::Metrics::LatencyBuckets());
  m.oldest_pending_age = &metrics
                              .AddGauge("klinik_sync_oldest_pending_age_seconds",
                                        "Age of the oldest pending or in-flight sync job")
                              .Add({});
  m.client = ClientMetrics::Register(metrics);
  return m;
}

SyncWorker::SyncWorker(klinik::Database& db, const SyncSettings& settings, TokenProvider& tokens,
                       WorkerMetrics metrics, std::string fact_source,
                       std::function<void()> wake_outbox, std::function<void()> wake_workers)
    : db_(db),
      settings_(settings),
      metrics_(metrics),
      client_(settings, tokens, metrics.client),
      fact_source_(std::move(fact_source)),
      wake_outbox_(std::move(wake_outbox)),
      wake_workers_(std::move(wake_workers)),
      cache_(std::make_unique<ClaimCache>()),
      retry_(settings.backoff_initial, settings.backoff_max),
      breaker_(settings.circuit_failures, settings.circuit_open),
      rng_(std::random_device{}()) {}

SyncWorker::~SyncWorker() = default;

bool SyncWorker::RunOnce(const std::atomic<bool>& stop) {
  bool did_work = false;
  std::vector<JobRecord> claimed;
  size_t next = 0;
  // Claimed jobs this run does not get to go back at once (stopping, circuit, Retry-After).
  auto give_back = [&] {
    JobStore::ReleaseClaims(db_, {claimed.begin() + static_cast<ptrdiff_t>(next), claimed.end()},
                            klinik::Clock::now());
  };
  try {
    while (!stop) {
      auto now = std::chrono::steady_clock::now();
      if (now < paused_until_ || !breaker_.Allow(now)) break;
      if (next == claimed.size()) {
        claimed = JobStore::ClaimDue(db_, klinik::Clock::now(), settings_.lease);
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

void SyncWorker::Send(const JobRecord& job) {
  auto started = std::chrono::steady_clock::now();
  PushOutcome outcome;
  try {
    outcome = PushJob(db_, settings_.site, client_, job, *cache_);
  } catch (const klinik::StorageError&) {
    throw;
  } catch (const std::exception& e) {
    outcome.kind = Kind::kTransient;
    outcome.reason = "INTERNAL";
    outcome.diagnostics = e.what();
  }
  if (metrics_.push_seconds != nullptr) {
    metrics_.push_seconds->Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  }
  if (outcome.server_down) {
    breaker_.RecordFailure(std::chrono::steady_clock::now());
  } else if (outcome.server_answered) {
    breaker_.RecordSuccess();
  } else {
    breaker_.ReleaseProbe();
  }
  if (outcome.http_status == 429 && outcome.retry_after) {
    paused_until_ = std::chrono::steady_clock::now() + *outcome.retry_after;
  }
  Record(job, outcome);
}

void SyncWorker::Record(const JobRecord& job, const PushOutcome& o) {
  const auto now = klinik::Clock::now();
  JobRecord j = job;
  j.http_status = o.http_status;
  j.request_id = o.request_id;
  j.next_attempt_at.reset();
  if (o.sent) ++j.attempts;
  bool publish_synced = false, publish_failed = false;
  switch (o.kind) {
    case Kind::kSynced:
      j.status = status::kSynced;
      j.satusehat_id = o.satusehat_id;
      j.last_error.clear();
      j.diagnostics.clear();
      j.ambiguous = false;
      publish_synced = true;
      break;
    case Kind::kSuppressed:
      j.status = status::kSuppressed;
      j.last_error = o.reason;
      j.diagnostics = o.diagnostics;
      break;
    case Kind::kWaiting:
      j.status = status::kWaitingForPatient;
      j.last_error = o.reason;
      j.diagnostics = o.diagnostics;
      j.next_attempt_at = klinik::ToUnixMillis(now) + settings_.patient_retry.count();
      break;
    case Kind::kPermanent:
      j.status = status::kFailed;
      j.last_error = o.reason;
      j.diagnostics = o.diagnostics;
      publish_failed = true;
      break;
    case Kind::kTransient: {
      j.ambiguous = j.ambiguous || o.maybe_stored;
      j.last_error = o.reason;
      j.diagnostics = o.diagnostics;
      if (o.sent && j.attempts >= settings_.max_attempts) {
        j.status = status::kFailed;
        j.last_error = "RETRIES_EXHAUSTED";
        j.diagnostics = o.reason + (o.diagnostics.empty() ? "" : ": " + o.diagnostics);
        publish_failed = true;
        break;
      }
      j.status = status::kPending;
      std::uniform_real_distribution<double> jitter(0.0, 1.0);
      Millis delay = retry_.Delay(std::max(j.attempts, 1), jitter(rng_), o.retry_after);
      j.next_attempt_at = klinik::ToUnixMillis(now) + delay.count();
      break;
    }
  }
  int64_t released = 0;
  bool saved = db_.InTransaction([&](klinik::Transaction& tx) {
    released = 0;
    if (!JobStore::Save(tx, j, now)) return false;
    if (publish_synced) released = JobStore::ReleaseDependents(tx, j, now);
    klinik::OutboxWriter out(tx, fact_source_);
    klinik::v1::SatuSehatEvent fact;
    if (publish_synced) {
      auto* s = fact.mutable_resource_synced();
      s->set_job_id(j.job_id);
      s->set_source_event_id(j.source_event_id);
      s->set_patient_id(j.patient_id);
      s->set_local_reference(j.local_reference);
      s->set_resource_type(j.resource_type);
      s->set_satusehat_id(j.satusehat_id);
      *s->mutable_synced_at() = Ts(now);
      s->set_action(j.action);
      out.Publish(klinik::topics::kSatuSehat, j.patient_id,
                  "id.klinik.satusehat.resource_synced.v1", j.patient_id, fact);
    } else if (publish_failed) {
      (void)JobStore::MarkDependentsBlocked(tx, j, now);
      auto* f = fact.mutable_sync_failed();
      f->set_job_id(j.job_id);
      f->set_source_event_id(j.source_event_id);
      f->set_patient_id(j.patient_id);
      f->set_resource_type(j.resource_type);
      f->set_reason(j.last_error);
      f->set_http_status(j.http_status);
      f->set_diagnostics(j.diagnostics);
      f->set_satusehat_request_id(j.request_id);
      f->set_attempts(std::max(j.attempts, 1));
      *f->mutable_failed_at() = Ts(now);
      out.Publish(klinik::topics::kSatuSehat, j.patient_id, "id.klinik.satusehat.sync_failed.v1",
                  j.patient_id, fact);
    }
    return true;
  });
  klinik::log::Fields fields = {{"job_id", j.job_id},           {"kind", j.kind},
                                {"status", j.status},           {"attempts", j.attempts},
                                {"http_status", j.http_status}, {"x_request_id", j.request_id},
                                {"reason", j.last_error}};
  if (!saved) {
    klinik::log::Warn("sync job changed while it was sent; result dropped", fields);
  } else if (publish_failed) {
    fields.push_back({"diagnostics", j.diagnostics});
    klinik::log::Error("sync job failed", fields);
  } else if (o.kind == Kind::kSynced) {
    klinik::log::Debug("sync job synced", fields);
  } else {
    klinik::log::Info("sync job not done yet", fields);
  }
  if (saved && (publish_synced || publish_failed)) wake_outbox_();
  if (saved && released > 0) wake_workers_();
}

bool JobGauges::Run(std::chrono::milliseconds sweep_interval) {
  auto steady = std::chrono::steady_clock::now();
  int64_t released = 0;
  if (steady >= swept_at_) {
    swept_at_ = steady + sweep_interval;
    released = db_.InTransaction(
        [](klinik::Transaction& tx) { return JobStore::ReleaseReady(tx, klinik::Clock::now()); });
    if (released > 0) klinik::log::Info("waiting sync jobs released", {{"jobs", released}});
  }
  auto [counts, oldest] = db_.Read([](klinik::Transaction& tx) {
    return std::make_pair(JobStore::CountByStatus(tx), JobStore::OldestPendingCreatedAt(tx));
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
