#include "service_metrics.h"

#include "klinik/metrics.h"

namespace pharmacy {
namespace {

const char* KindLabel(MovementKind kind) {
  switch (kind) {
    case MovementKind::kReceived:
      return "received";
    case MovementKind::kDispensed:
      return "dispensed";
    case MovementKind::kAdjusted:
      return "adjusted";
    case MovementKind::kRecalled:
      return "recalled";
  }
  return "unknown";
}

const char* AlertLabel(store::AlertKind kind) {
  switch (kind) {
    case store::AlertKind::kLow:
      return "low";
    case store::AlertKind::kOut:
      return "out";
    case store::AlertKind::kExpiringSoon:
      return "expiring_soon";
  }
  return "unknown";
}

}  // namespace

ServiceMetrics::ServiceMetrics(klinik::Metrics& metrics)
    : movements_(metrics.AddCounter("klinik_pharmacy_movements_total",
                                    "Stock movements recorded, by kind")),
      rejected_(metrics.AddCounter("klinik_dispenses_rejected_total",
                                   "Dispense requests refused, by reason code")),
      alerts_(metrics.AddCounter("klinik_stock_alerts_total", "Stock alerts raised, by kind")),
      checks_(metrics.AddCounter("klinik_pharmacy_expiry_checks_total",
                                 "Completed runs of the periodic expiry check")) {}

void ServiceMetrics::MovementRecorded(MovementKind kind) {
  movements_.Add({{"kind", KindLabel(kind)}}).Increment();
}

void ServiceMetrics::DispenseRejected(const std::string& reason_code) {
  rejected_.Add({{"reason", reason_code}}).Increment();
}

void ServiceMetrics::AlertRaised(store::AlertKind kind) {
  alerts_.Add({{"kind", AlertLabel(kind)}}).Increment();
}

void ServiceMetrics::ExpiryCheckCompleted() { checks_.Add({}).Increment(); }

}  // namespace pharmacy
