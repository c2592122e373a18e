// Raises and resolves stock alerts for one item of one clinic, inside the caller's transaction
// and under the clinic's lock (so two replicas cannot both raise the same alert). Called after
// every movement and by the periodic expiry check.
#pragma once

#include <string>

#include "klinik/outbox.h"
#include "service_metrics.h"
#include "settings.h"
#include "stock_ledger.h"

namespace pharmacy {

class StockAlerts {
 public:
  StockAlerts(const Settings& settings, ServiceMetrics& metrics)
      : settings_(settings), metrics_(metrics) {}

  // `ledger` holds every lot of the item. Usable stock is judged on the current day.
  void Evaluate(klinik::OutboxWriter& out, const std::string& clinic_id,
                const std::string& item_code, const StockLedger& ledger, int64_t now_ms);

  // Also warns about lots expiring within the warning period (the periodic check).
  void EvaluateWithExpiry(klinik::OutboxWriter& out, const std::string& clinic_id,
                          const std::string& item_code, const StockLedger& ledger, int64_t now_ms);

  [[nodiscard]] int64_t ReorderLevel(klinik::Transaction& tx, const std::string& clinic_id,
                                     const std::string& item_code) const;

 private:
  const Settings& settings_;
  ServiceMetrics& metrics_;
};

}  // namespace pharmacy
