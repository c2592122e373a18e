#include "monthly_report.h"

#include <algorithm>
#include <map>

namespace pharmacy {

std::optional<ReportPeriod> MonthPeriod(std::string_view month) {
  if (month.size() != 7 || month[4] != '-') return std::nullopt;
  auto first = klinik::ParseCivilDate(std::string(month) + "-01");
  if (!first) return std::nullopt;
  klinik::CivilDate next = first->month == 12 ? klinik::CivilDate{first->year + 1, 1, 1}
                                              : klinik::CivilDate{first->year, first->month + 1, 1};
  return ReportPeriod{*first, next};
}

int64_t UsableAt(const std::vector<Lot>& lots, const std::vector<Movement>& movements,
                 int64_t at_ms, const LocalCalendar& calendar) {
  klinik::CivilDate day = calendar.DateOf(at_ms);
  std::map<std::string, int64_t> quantity;
  for (const auto& m : movements) {
    if (m.at_ms < at_ms) quantity[m.lot_number] += m.delta;
  }
  int64_t usable = 0;
  for (const auto& lot : lots) {
    bool recalled = lot.recalled_at_ms && *lot.recalled_at_ms <= at_ms;
    if (!recalled && lot.expiry >= day) usable += std::max<int64_t>(0, quantity[lot.lot_number]);
  }
  return usable;
}

MonthlyLine ComputeMonthlyLine(const std::vector<Lot>& lots, const std::vector<Movement>& movements,
                               const ReportPeriod& period, const LocalCalendar& calendar,
                               const ReportParams& params) {
  int64_t start = calendar.StartOf(period.first_day);
  int64_t end = calendar.StartOf(period.end_day);
  MonthlyLine line;
  line.opening = UsableAt(lots, movements, start, calendar);
  std::optional<int64_t> first_receipt;
  for (const auto& m : movements) {
    if (m.kind == MovementKind::kReceived)
      first_receipt = std::min(first_receipt.value_or(m.at_ms), m.at_ms);
    if (m.at_ms < start || m.at_ms >= end) continue;
    if (m.kind == MovementKind::kReceived) line.received += m.delta;
    if (m.kind == MovementKind::kDispensed) line.dispensed -= m.delta;
  }
  line.available = line.opening + line.received;
  line.closing = UsableAt(lots, movements, end, calendar);
  line.used = line.available - line.closing;

  int64_t days = klinik::DaysBetween(period.first_day, period.end_day);
  for (int64_t d = 0; d < days; ++d) {
    int64_t day_end = calendar.StartOf(klinik::AddDays(period.first_day, d + 1));
    // A day before the item ever arrived is not a stock-out: the clinic did not stock it yet.
    if (first_receipt && *first_receipt < day_end &&
        UsableAt(lots, movements, day_end, calendar) == 0) {
      ++line.days_out;
    }
  }
  int64_t working = std::max<int64_t>(0, line.used);
  int64_t active = std::max<int64_t>(1, days - line.days_out);
  // optimum = working + working*(lead+out)/active + working*buffer/100, over one denominator.
  int64_t numerator = working * 100 * active + working * (params.lead_days + line.days_out) * 100 +
                      working * params.buffer_percent * active;
  int64_t denominator = 100 * active;
  line.optimum = (numerator + denominator - 1) / denominator;
  line.request = std::max<int64_t>(0, line.optimum - line.closing);
  return line;
}

}  // namespace pharmacy
