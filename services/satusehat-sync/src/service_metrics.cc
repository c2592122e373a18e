#include "service_metrics.h"

#include "klinik/metrics.h"

namespace satusehat_sync {

ServiceMetrics ServiceMetrics::Register(klinik::Metrics& metrics) {
  ServiceMetrics m;
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

}  // namespace satusehat_sync
