#include "service_metrics.h"

namespace referral {
namespace {

prometheus::Histogram::BucketBoundaries AcceptanceBuckets() {
  // 1 minute to 30 days: urgent answers come in minutes, routine ones in days.
  return {60, 300, 900, 1800, 3600, 7200, 14400, 43200, 86400, 172800, 259200, 604800, 2592000};
}

}  // namespace

ServiceMetrics::ServiceMetrics(klinik::Metrics& metrics)
    : transitions_(metrics.AddCounter("klinik_referral_transitions_total",
                                      "Referral lifecycle steps taken, by transition")),
      overdue_(metrics
                   .AddCounter("klinik_referrals_overdue_total",
                               "Referrals escalated for a missed acceptance SLA")
                   .Add({})),
      time_to_acceptance_(
          metrics
              .AddHistogram("klinik_referral_time_to_acceptance_seconds",
                            "Time from sending a referral to its acceptance, in seconds")
              .Add({}, AcceptanceBuckets())) {}

void ServiceMetrics::StepTaken(const Step& step, const Referral& after) {
  transitions_.Add({{"transition", StepName(step.kind)}}).Increment();
  if (step.kind == StepKind::kOverdue) overdue_.Increment();
  if (step.kind == StepKind::kAccepted && after.sent_at && after.accepted_at) {
    time_to_acceptance_.Observe(
        std::chrono::duration<double>(*after.accepted_at - *after.sent_at).count());
  }
}

void ServiceMetrics::Refused() { transitions_.Add({{"transition", "refused"}}).Increment(); }

}  // namespace referral
