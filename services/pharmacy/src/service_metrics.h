// The pharmacy's own counters. Labels are bounded sets (movement kinds, reason codes, alert
// kinds): never a clinic or an item, there are 80,000 clinics.
//
// Movements, rejections and alerts are counted in OutboxWriter::AfterCommit callbacks: only
// once their transaction has committed, so a transaction rolled back and retried counts once.
#pragma once

#include <string>

#include "domain_types.h"
#include "store.h"

namespace klinik {
class Metrics;
}
namespace prometheus {
class Counter;
template <typename T>
class Family;
}  // namespace prometheus

namespace pharmacy {

class ServiceMetrics {
 public:
  explicit ServiceMetrics(klinik::Metrics& metrics);

  void MovementRecorded(MovementKind kind);
  void DispenseRejected(const std::string& reason_code);
  void AlertRaised(store::AlertKind kind);
  void ExpiryCheckCompleted();

 private:
  prometheus::Family<prometheus::Counter>& movements_;
  prometheus::Family<prometheus::Counter>& rejected_;
  prometheus::Family<prometheus::Counter>& alerts_;
  prometheus::Family<prometheus::Counter>& checks_;
};

}  // namespace pharmacy
