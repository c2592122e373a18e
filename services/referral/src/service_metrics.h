// The referral service's own metrics. Labels carry the transition only: never patient, clinic or
// facility ids (80,000 clinics would explode the series count).
//
//   klinik_referral_transitions_total{transition}   created, sent, accepted, …, overdue, refused
//   klinik_referrals_overdue_total                  escalations published
//   klinik_referral_time_to_acceptance_seconds      histogram, from sent to accepted
//
// Counted in OutboxWriter::AfterCommit callbacks, once the step's transaction has committed: a
// transaction rolled back and retried (a transient failure) counts once.
#pragma once

#include "klinik/metrics.h"
#include "referral_lifecycle.h"

namespace referral {

class ServiceMetrics {
 public:
  explicit ServiceMetrics(klinik::Metrics& metrics);
  // One step taken; `after` is the referral once the step applied.
  void StepTaken(const Step& step, const Referral& after);
  void Refused();

 private:
  prometheus::Family<prometheus::Counter>& transitions_;
  prometheus::Counter& overdue_;
  prometheus::Histogram& time_to_acceptance_;
};

}  // namespace referral
