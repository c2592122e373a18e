#include "alert_policy.h"

namespace pharmacy {

StockAlertDecision DecideStockAlerts(int64_t usable, int64_t reorder_level, OpenStockAlerts open) {
  StockAlertDecision d;
  bool low = usable <= reorder_level;
  bool out = usable == 0;
  d.raise_low = low && !open.low;
  d.resolve_low = !low && open.low;
  d.raise_out = out && !open.out;
  d.resolve_out = !out && open.out;
  return d;
}

std::optional<int32_t> ExpiryWarningDays(const Lot& lot, const klinik::CivilDate& today,
                                         int32_t warning_days, bool already_warned) {
  if (already_warned || lot.quantity <= 0 || StateOf(lot, today) != LotState::kUsable)
    return std::nullopt;
  int64_t days_left = klinik::DaysBetween(today, lot.expiry);
  if (days_left > warning_days) return std::nullopt;
  return static_cast<int32_t>(days_left);
}

}  // namespace pharmacy
