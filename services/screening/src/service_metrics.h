// The screening service's own metrics (labels are bounded enums, never ids):
//   klinik_screenings_total{outcome}              completed | rejected | duplicate
//   klinik_ckg_eligibility_total{eligible}        true | false, per completed screening
//   klinik_referrals_recommended_total{urgency}   routine | urgent
// Counted in OutboxWriter::AfterCommit callbacks, once the decision's transaction has committed:
// a transaction rolled back and retried counts once.
#pragma once

#include <prometheus/counter.h>

#include "klinik/metrics.h"
#include "klinik/v1/common.pb.h"

namespace screening {

class ServiceMetrics {
 public:
  explicit ServiceMetrics(klinik::Metrics& metrics);

  void Completed(bool ckg_eligible, bool referral, klinik::v1::Urgency urgency);
  void Rejected();
  void Duplicate();

 private:
  ServiceMetrics(prometheus::Family<prometheus::Counter>& screenings,
                 prometheus::Family<prometheus::Counter>& eligibility,
                 prometheus::Family<prometheus::Counter>& referrals);

  prometheus::Counter& completed_;
  prometheus::Counter& rejected_;
  prometheus::Counter& duplicate_;
  prometheus::Counter& eligible_;
  prometheus::Counter& not_eligible_;
  prometheus::Counter& routine_;
  prometheus::Counter& urgent_;
};

}  // namespace screening
