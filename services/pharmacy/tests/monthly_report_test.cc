// The LPLPO line against months computed by hand (the arithmetic is written out beside each
// expectation), plus the month parser.
#include <gtest/gtest.h>

#include "monthly_report.h"
#include "stock_ledger.h"

namespace pharmacy {
namespace {

using klinik::CivilDate;

const LocalCalendar kWib{7 * 60};
const char* const kStaff = "3201010101010001";

// hh:00 local time (WIB) on the day.
int64_t At(CivilDate day, int hour) { return kWib.StartOf(day) + int64_t{hour} * 3'600'000; }

struct History {
  StockLedger ledger{kWib};
  void Receive(const std::string& lot, const std::string& expiry, int64_t qty, int64_t at) {
    ASSERT_TRUE(
        ledger.Receive({"r", "c", "93000001", "Amoxicillin", lot, expiry, qty, "CAP", "SJ", at})
            .ok());
  }
  void Dispense(int64_t qty, int64_t at) {
    ASSERT_TRUE(
        ledger.Dispense({"d", "c", klinik::NewUuid(), "rx", {{1, "93000001", qty}}, kStaff, at})
            .ok());
  }
  MonthlyLine Report(const std::string& month, ReportParams params = {}) {
    std::vector<Lot> lots;
    for (const Lot* l : ledger.LotsOf("93000001")) lots.push_back(*l);
    return ComputeMonthlyLine(lots, ledger.movements(), *MonthPeriod(month), kWib, params);
  }
};

TEST(MonthlyReport, HandComputedMonthWithExpiryDamageAndDispensing) {
  History h;
  h.Receive("A", "2026-09-15", 100, At({2026, 8, 1}, 10));
  h.Dispense(40, At({2026, 8, 20}, 9));  // A: 60 before September
  h.Receive("B", "2027-12-31", 200, At({2026, 9, 5}, 10));
  h.Dispense(30, At({2026, 9, 10}, 9));  // FEFO: from A -> A 30; expires after 15 Sep
  ASSERT_TRUE(h.ledger
                  .Adjust({"a", "c", "93000001", "B", AdjustmentReason::kDamaged, -10, std::nullopt,
                           "", kStaff, At({2026, 9, 20}, 9)})
                  .ok());                // B 190
  h.Dispense(50, At({2026, 9, 25}, 9));  // B 140
  h.Dispense(20, At({2026, 10, 2}, 9));  // October: not in the report

  MonthlyLine line = h.Report("2026-09");
  EXPECT_EQ(line.opening, 60);     // A on 1 Sep
  EXPECT_EQ(line.received, 200);   // B
  EXPECT_EQ(line.available, 260);  // 60 + 200
  EXPECT_EQ(line.closing, 140);    // B only; A's 30 expired on 15 Sep
  EXPECT_EQ(line.used, 120);       // 30 + 50 dispensed + 10 damaged + 30 expired
  EXPECT_EQ(line.dispensed, 80);
  EXPECT_EQ(line.days_out, 0);
  // working 120; daily 120/30 = 4; lead 4*14 = 56; stock-out 0; buffer 10% = 12 -> 188.
  EXPECT_EQ(line.optimum, 188);
  EXPECT_EQ(line.request, 48);  // 188 - 140

  // Other parameters: lead 30 days, 20% buffer -> 120 + 4*30 + 24 = 264; request 124.
  MonthlyLine other = h.Report("2026-09", ReportParams{30, 20});
  EXPECT_EQ(other.optimum, 264);
  EXPECT_EQ(other.request, 124);
}

TEST(MonthlyReport, StockOutDaysRaiseTheOptimum) {
  History h;
  h.Receive("C", "2027-06-30", 30, At({2026, 9, 1}, 12));
  h.Dispense(30, At({2026, 9, 10}, 10));                   // out from the 10th …
  h.Receive("D", "2027-06-30", 60, At({2026, 9, 21}, 9));  // … until the 21st: 10..20 = 11 days
  h.Dispense(15, At({2026, 9, 25}, 9));

  MonthlyLine line = h.Report("2026-09");
  EXPECT_EQ(line.opening, 0);  // first delivery came during 1 Sep
  EXPECT_EQ(line.received, 90);
  EXPECT_EQ(line.available, 90);
  EXPECT_EQ(line.closing, 45);
  EXPECT_EQ(line.used, 45);
  EXPECT_EQ(line.days_out, 11);
  // daily use 45 / (30 - 11) = 2.368…; optimum = 45 + 2.368*14 + 2.368*11 + 4.5 = 108.71 -> 109.
  EXPECT_EQ(line.optimum, 109);
  EXPECT_EQ(line.request, 64);

  // The next month opens where September closed; with no use, nothing is requested.
  MonthlyLine october = h.Report("2026-10");
  EXPECT_EQ(october.opening, 45);
  EXPECT_EQ(october.closing, 45);
  EXPECT_EQ(october.used, 0);
  EXPECT_EQ(october.optimum, 0);
  EXPECT_EQ(october.request, 0);
}

TEST(MonthlyReport, RecallCountsAsUsedFromItsInstant) {
  History h;
  h.Receive("E", "2027-06-30", 50, At({2026, 9, 1}, 8));
  RecallOutcome recall =
      h.ledger.Recall(RecallCommand{"x", "93000001", "E", "BPOM", At({2026, 9, 15}, 8)});
  ASSERT_TRUE(recall.affected);
  std::vector<Lot> lots;
  for (const Lot* l : h.ledger.LotsOf("93000001")) lots.push_back(*l);
  EXPECT_EQ(UsableAt(lots, h.ledger.movements(), At({2026, 9, 15}, 7), kWib), 50);
  EXPECT_EQ(UsableAt(lots, h.ledger.movements(), At({2026, 9, 15}, 9), kWib), 0);
  MonthlyLine line = h.Report("2026-09");
  EXPECT_EQ(line.used, 50);
  EXPECT_EQ(line.closing, 0);
  EXPECT_EQ(line.dispensed, 0);
}

TEST(MonthPeriod, ParsesWholeMonths) {
  auto dec = MonthPeriod("2026-12");
  ASSERT_TRUE(dec);
  EXPECT_EQ(dec->first_day, (CivilDate{2026, 12, 1}));
  EXPECT_EQ(dec->end_day, (CivilDate{2027, 1, 1}));
  EXPECT_FALSE(MonthPeriod("2026-13"));
  EXPECT_FALSE(MonthPeriod("2026-1"));
  EXPECT_FALSE(MonthPeriod("2026-12-01"));
}

}  // namespace
}  // namespace pharmacy
