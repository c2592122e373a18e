// The periodic expiry check (KLINIK_EXPIRY_CHECK_INTERVAL): warns once about every lot with
// stock that expires within KLINIK_EXPIRY_WARNING_DAYS, and re-judges low/out stock for items
// whose lots expired without a movement. One transaction per clinic under the clinic's lock; the
// alert rows are the memory that keeps a warning from repeating after a restart or on another
// replica.
#pragma once

#include <string>

#include "klinik/storage.h"
#include "service_metrics.h"
#include "settings.h"
#include "stock_alerts.h"

namespace pharmacy {

class ExpiryCheck {
 public:
  ExpiryCheck(klinik::Database& db, const Settings& settings, ServiceMetrics& metrics,
              std::string source)
      : db_(db),
        settings_(settings),
        metrics_(metrics),
        alerts_(settings, metrics),
        source_(std::move(source)) {}

  // One pass; returns true when it wrote facts (the outbox relay is then woken).
  bool RunOnce();

 private:
  klinik::Database& db_;
  const Settings& settings_;
  ServiceMetrics& metrics_;
  StockAlerts alerts_;
  std::string source_;
};

}  // namespace pharmacy
