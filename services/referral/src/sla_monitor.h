// The SLA timer: runs on ServiceRuntime::AddPeriodic, finds referrals whose acceptance deadline
// passed (→ ReferralOverdue, once: the overdue_notified flag is persisted with the fact) or
// whose validity ended (→ ReferralExpired). Deadlines live in the database, so a restart loses
// none and repeats none; with several replicas each referral is locked while it is decided.
#pragma once

#include "klinik/storage.h"
#include "referral_lifecycle.h"
#include "service_metrics.h"

namespace referral {

class SlaMonitor {
 public:
  // `db` and `metrics` must outlive the monitor.
  SlaMonitor(klinik::Database& db, std::string source, ReferralLifecycle lifecycle,
             ServiceMetrics& metrics)
      : db_(db), source_(std::move(source)), lifecycle_(std::move(lifecycle)), metrics_(metrics) {}

  // One scan; returns how many facts it wrote (the outbox relay is woken when > 0).
  int RunOnce();

 private:
  static constexpr int kBatch = 200;  // referrals decided per scan; the next scan takes the rest
  klinik::Database& db_;
  std::string source_;
  ReferralLifecycle lifecycle_;
  ServiceMetrics& metrics_;
};

}  // namespace referral
