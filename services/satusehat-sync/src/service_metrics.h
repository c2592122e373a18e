// The sync service's own metrics, registered once in klinik::Metrics and copied (as handles) into
// each component that counts: the workers, the job gauges and, through `client`, the SatuSehat
// clients. Labels are statuses and HTTP codes, never ids.
#pragma once

#include <prometheus/gauge.h>
#include <prometheus/histogram.h>

#include "satusehat_client.h"

namespace klinik {
class Metrics;
}

namespace satusehat_sync {

struct ServiceMetrics {
  prometheus::Family<prometheus::Gauge>* jobs = nullptr;  // klinik_sync_jobs{status}
  prometheus::Histogram* push_seconds = nullptr;          // klinik_satusehat_push_seconds
  prometheus::Gauge* oldest_pending_age = nullptr;        // klinik_sync_oldest_pending_age_seconds
  ClientMetrics client;
  static ServiceMetrics Register(klinik::Metrics& metrics);
};

}  // namespace satusehat_sync
