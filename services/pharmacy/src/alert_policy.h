// When stock alerts are raised and resolved. Each alert is raised once per crossing: StockLow
// when usable stock falls to or below the reorder level and re-armed only once it rises above;
// StockOut at zero usable stock, re-armed once there is some again; StockExpiringSoon once per
// lot, ever (its row is the memory that survives restarts).
#pragma once

#include <cstdint>
#include <optional>

#include "domain_types.h"

namespace pharmacy {

struct OpenStockAlerts {
  bool low = false;
  bool out = false;
};

struct [[nodiscard]] StockAlertDecision {
  bool raise_low = false;
  bool resolve_low = false;
  bool raise_out = false;
  bool resolve_out = false;
  bool operator==(const StockAlertDecision&) const = default;
};

[[nodiscard]] StockAlertDecision DecideStockAlerts(int64_t usable, int64_t reorder_level,
                                                   OpenStockAlerts open);

// Days from `today` to the lot's expiry when it should be warned about now: the lot is usable,
// holds stock, expires within `warning_days`, and was never warned about. nullopt otherwise.
[[nodiscard]] std::optional<int32_t> ExpiryWarningDays(const Lot& lot,
                                                       const klinik::CivilDate& today,
                                                       int32_t warning_days, bool already_warned);

}  // namespace pharmacy
