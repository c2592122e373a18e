// The monthly LPLPO line of one item (Laporan Pemakaian dan Lembar Permintaan Obat, DOMAIN.md
// "Pharmacy"). Quantities are usable stock on the clinic's calendar:
//   opening   usable stock at 00:00 on the first day of the month
//   received  receipts during the month
//   available opening + received
//   closing   usable stock at the end of the period (end of month, or now for the running month)
//   used      available - closing: dispensed, adjusted, recalled and expired stock together
//   optimum   working + lead-time + stock-out + buffer stock, where
//               working   = used (period use, never below 0)
//               daily use = working / (days in period - days out)
//               lead-time = daily use * lead_days
//               stock-out = daily use * days out (days that ended with no usable stock)
//               buffer    = working * buffer_percent / 100
//             computed exactly and rounded up once at the end
//   request   max(0, optimum - closing)
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "domain_types.h"

namespace pharmacy {

struct ReportParams {
  int64_t lead_days = 14;       // supplier lead time (KLINIK_LPLPO_LEAD_DAYS)
  int64_t buffer_percent = 10;  // safety stock share of working stock (KLINIK_LPLPO_BUFFER_PERCENT)
};

struct MonthlyLine {
  int64_t opening = 0;
  int64_t received = 0;
  int64_t available = 0;
  int64_t used = 0;
  int64_t closing = 0;
  int64_t optimum = 0;
  int64_t request = 0;
  int64_t dispensed = 0;
  int64_t days_out = 0;
  bool operator==(const MonthlyLine&) const = default;
};

struct ReportPeriod {
  klinik::CivilDate first_day;  // first day included
  klinik::CivilDate end_day;    // first day NOT included (next month, or tomorrow while running)
};

// "YYYY-MM" -> the whole month; nullopt when malformed.
[[nodiscard]] std::optional<ReportPeriod> MonthPeriod(std::string_view month);

// `lots`: every lot of the item at the clinic (expiry and recall instant matter); `movements`:
// the item's movements up to the end of the period at least (later ones are ignored).
[[nodiscard]] MonthlyLine ComputeMonthlyLine(const std::vector<Lot>& lots,
                                             const std::vector<Movement>& movements,
                                             const ReportPeriod& period,
                                             const LocalCalendar& calendar,
                                             const ReportParams& params);

// Usable stock of the item at an instant, replayed from movements (exposed for tests).
[[nodiscard]] int64_t UsableAt(const std::vector<Lot>& lots, const std::vector<Movement>& movements,
                               int64_t at_ms, const LocalCalendar& calendar);

}  // namespace pharmacy
