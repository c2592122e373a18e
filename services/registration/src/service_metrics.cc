#include "service_metrics.h"

#include "klinik/metrics.h"

namespace registration {

ServiceMetrics::ServiceMetrics(klinik::Metrics& metrics)
    : family_(metrics.AddCounter("klinik_registrations_total",
                                 "Registration intake requests by outcome and reason code")) {}

void ServiceMetrics::Count(std::string_view outcome, std::string_view reason) {
  family_.Add({{"outcome", std::string(outcome)}, {"reason", std::string(reason)}}).Increment();
}

}  // namespace registration
