#include "service_metrics.h"

namespace screening {
namespace {

prometheus::Family<prometheus::Counter>& Screenings(klinik::Metrics& m) {
  return m.AddCounter("klinik_screenings_total", "Screening submissions by outcome");
}
prometheus::Family<prometheus::Counter>& Eligibility(klinik::Metrics& m) {
  return m.AddCounter("klinik_ckg_eligibility_total",
                      "Completed screenings by whether they count as the CKG birthday screening");
}
prometheus::Family<prometheus::Counter>& Referrals(klinik::Metrics& m) {
  return m.AddCounter("klinik_referrals_recommended_total",
                      "Screenings that recommend the puskesmas doctor, by urgency");
}

}  // namespace

ServiceMetrics::ServiceMetrics(klinik::Metrics& m)
    : ServiceMetrics(Screenings(m), Eligibility(m), Referrals(m)) {}

ServiceMetrics::ServiceMetrics(prometheus::Family<prometheus::Counter>& screenings,
                               prometheus::Family<prometheus::Counter>& eligibility,
                               prometheus::Family<prometheus::Counter>& referrals)
    : completed_(screenings.Add({{"outcome", "completed"}})),
      rejected_(screenings.Add({{"outcome", "rejected"}})),
      duplicate_(screenings.Add({{"outcome", "duplicate"}})),
      eligible_(eligibility.Add({{"eligible", "true"}})),
      not_eligible_(eligibility.Add({{"eligible", "false"}})),
      routine_(referrals.Add({{"urgency", "routine"}})),
      urgent_(referrals.Add({{"urgency", "urgent"}})) {}

void ServiceMetrics::Completed(bool ckg_eligible, bool referral, klinik::v1::Urgency urgency) {
  completed_.Increment();
  (ckg_eligible ? eligible_ : not_eligible_).Increment();
  if (referral) (urgency == klinik::v1::URGENCY_URGENT ? urgent_ : routine_).Increment();
}

void ServiceMetrics::Rejected() { rejected_.Increment(); }
void ServiceMetrics::Duplicate() { duplicate_.Increment(); }

}  // namespace screening
