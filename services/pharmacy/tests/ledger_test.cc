// FEFO allocation, the stock ledger's movements and refusals, and the alert policy: the domain
// rules alone, no Kafka, gRPC or database.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "alert_policy.h"
#include "stock_ledger.h"

namespace pharmacy {
namespace {

using klinik::CivilDate;
using ::testing::ElementsAre;

constexpr const char* kItem = "93000001";
constexpr const char* kOtherItem = "94000002";
const char* const kStaff = "3201010101010001";
const char* const kPatient = "0b6a3c4e-1f2d-4c5b-9a8e-7d6c5b4a3f21";

Lot MakeLot(std::string lot_number, CivilDate expiry, int64_t quantity, int64_t received_at_ms = 0,
            int64_t seq = 0, std::optional<int64_t> recalled_at = std::nullopt,
            std::string item = kItem) {
  return Lot{std::move(item), std::move(lot_number), expiry, quantity, received_at_ms, seq,
             recalled_at};
}

// Noon WIB on the given day, in Unix ms.
int64_t At(CivilDate day) { return LocalCalendar{}.StartOf(day) + 12 * 3'600'000; }

struct AllocationCase {
  std::string name;
  std::vector<Lot> lots;
  int64_t quantity;
  std::optional<std::vector<Allocation>> expected;
};

class FefoAllocatorTest : public ::testing::TestWithParam<AllocationCase> {};

TEST_P(FefoAllocatorTest, AllocatesFirstExpiryFirstOut) {
  const auto& c = GetParam();
  std::vector<const Lot*> lots;
  for (const auto& lot : c.lots) lots.push_back(&lot);
  EXPECT_EQ(FefoAllocator::Allocate(lots, c.quantity, CivilDate{2026, 11, 23}), c.expected);
}

const CivilDate kJan{2027, 1, 31};
const CivilDate kMar{2027, 3, 31};
const CivilDate kToday{2026, 11, 23};
const CivilDate kYesterday{2026, 11, 22};

INSTANTIATE_TEST_SUITE_P(
    Cases, FefoAllocatorTest,
    ::testing::Values(
        AllocationCase{"EarliestExpiryFirstWhateverTheInputOrder",
                       {MakeLot("L-MAR", kMar, 10, 1), MakeLot("L-JAN", kJan, 10, 2)},
                       4,
                       std::vector<Allocation>{{"L-JAN", kJan, 4}}},
        AllocationCase{"EqualExpiryTakesTheOneReceivedFirst",
                       {MakeLot("B", kJan, 10, 2000, 1), MakeLot("A", kJan, 10, 1000, 2)},
                       12,
                       std::vector<Allocation>{{"A", kJan, 10}, {"B", kJan, 2}}},
        AllocationCase{"EqualExpiryAndInstantFallsBackToReceiptOrder",
                       {MakeLot("Z", kJan, 5, 1000, 1), MakeLot("A", kJan, 5, 1000, 2)},
                       5,
                       std::vector<Allocation>{{"Z", kJan, 5}}},
        AllocationCase{"ExpiredLotIsSkipped",
                       {MakeLot("OLD", kYesterday, 50, 1), MakeLot("NEW", kMar, 10, 2)},
                       10,
                       std::vector<Allocation>{{"NEW", kMar, 10}}},
        AllocationCase{"LotExpiringTodayIsStillIssued",
                       {MakeLot("TODAY", kToday, 3, 1), MakeLot("NEW", kMar, 10, 2)},
                       5,
                       std::vector<Allocation>{{"TODAY", kToday, 3}, {"NEW", kMar, 2}}},
        AllocationCase{"RecalledLotIsSkipped",
                       {MakeLot("RECALLED", kJan, 50, 1, 1, 123), MakeLot("GOOD", kMar, 10, 2, 2)},
                       10,
                       std::vector<Allocation>{{"GOOD", kMar, 10}}},
        AllocationCase{"ExactFitEmptiesEveryUsableLot",
                       {MakeLot("A", kJan, 4, 1, 1), MakeLot("B", kMar, 6, 2, 2)},
                       10,
                       std::vector<Allocation>{{"A", kJan, 4}, {"B", kMar, 6}}},
        AllocationCase{"OneMoreThanUsableIsInsufficient",
                       {MakeLot("A", kJan, 4, 1, 1), MakeLot("B", kMar, 6, 2, 2),
                        MakeLot("X", kYesterday, 100, 3, 3)},
                       11,
                       std::nullopt},
        AllocationCase{"EmptyLotIsPassedOver",
                       {MakeLot("EMPTY", kToday, 0, 1, 1), MakeLot("B", kMar, 6, 2, 2)},
                       6,
                       std::vector<Allocation>{{"B", kMar, 6}}},
        AllocationCase{"NoLotsIsInsufficient", {}, 1, std::nullopt}),
    [](const auto& info) { return info.param.name; });

DispenseCommand Dispense(std::vector<DispenseLineCommand> lines, CivilDate day = kToday) {
  return DispenseCommand{"req-d", "clinic-1", kPatient, "rx-1", std::move(lines), kStaff, At(day)};
}

ReceiveCommand Receive(std::string lot, std::string expiry, int64_t quantity,
                       CivilDate day = kToday, std::string item = kItem) {
  return ReceiveCommand{"req-r",         "clinic-1",
                        std::move(item), "Paracetamol 500 mg",
                        std::move(lot),  std::move(expiry),
                        quantity,        "TAB",
                        "SJ-1",          At(day)};
}

class StockLedgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(ledger_.Receive(Receive("L-MAR", "2027-03-31", 30, kYesterday)).ok());
    ASSERT_TRUE(ledger_.Receive(Receive("L-JAN", "2027-01-31", 20)).ok());
    ASSERT_TRUE(ledger_.Receive(Receive("K-1", "2027-06-30", 5, kToday, kOtherItem)).ok());
  }
  StockLedger ledger_;
};

TEST_F(StockLedgerTest, ReceiptAddsALotAndAStockCardEntryWithBalances) {
  ASSERT_EQ(ledger_.movements().size(), 3u);
  const Movement& m = ledger_.movements()[1];
  EXPECT_EQ(m.kind, MovementKind::kReceived);
  EXPECT_EQ(m.lot_number, "L-JAN");
  EXPECT_EQ(m.delta, 20);
  EXPECT_EQ(m.lot_balance, 20);
  EXPECT_EQ(m.item_balance, 50);
  EXPECT_EQ(m.reference, "SJ-1");
  EXPECT_EQ(ledger_.Usable(kItem, kToday), 50);
  EXPECT_EQ(ledger_.ChangedLots().size(), 3u);
}

TEST_F(StockLedgerTest, SecondDeliveryOfALotAddsToIt) {
  ReceiveOutcome r = ledger_.Receive(Receive("L-JAN", "2027-01-31", 7));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.usable_after, 57);
  EXPECT_EQ(ledger_.FindLot(kItem, "L-JAN")->quantity, 27);
  EXPECT_EQ(ledger_.LotsOf(kItem).size(), 2u);
}

TEST_F(StockLedgerTest, SameLotWithAnotherExpiryIsRefusedAndChangesNothing) {
  ReceiveOutcome r = ledger_.Receive(Receive("L-JAN", "2027-02-28", 7));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.reasons[0].code, "LOT_EXPIRY_MISMATCH");
  EXPECT_EQ(ledger_.FindLot(kItem, "L-JAN")->quantity, 20);
  EXPECT_EQ(ledger_.movements().size(), 3u);
}

TEST_F(StockLedgerTest, ReceiptOfAnExpiredLotIsRefused) {
  ReceiveOutcome r = ledger_.Receive(Receive("OLD", "2026-11-22", 7));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.reasons[0].code, "EXPIRY_IN_PAST");
  EXPECT_EQ(ledger_.FindLot(kItem, "OLD"), nullptr);
}

TEST_F(StockLedgerTest, MultiLotLineDrawsFefoAndTheOtherLineItsOwnItem) {
  DispenseOutcome r = ledger_.Dispense(Dispense({{1, kItem, 25}, {2, kOtherItem, 5}}));
  ASSERT_TRUE(r.ok()) << r.reasons[0].code;
  ASSERT_EQ(r.lines.size(), 2u);
  EXPECT_THAT(r.lines[0].allocations, ElementsAre(Allocation{"L-JAN", {2027, 1, 31}, 20},
                                                  Allocation{"L-MAR", {2027, 3, 31}, 5}));
  EXPECT_EQ(r.lines[0].usable_after, 25);
  EXPECT_THAT(r.lines[1].allocations, ElementsAre(Allocation{"K-1", {2027, 6, 30}, 5}));
  EXPECT_EQ(r.lines[1].usable_after, 0);
  EXPECT_EQ(ledger_.FindLot(kItem, "L-JAN")->quantity, 0);
  EXPECT_EQ(ledger_.FindLot(kItem, "L-MAR")->quantity, 25);
  ASSERT_EQ(ledger_.movements().size(), 6u);
  const Movement& last_of_item = ledger_.movements()[4];
  EXPECT_EQ(last_of_item.kind, MovementKind::kDispensed);
  EXPECT_EQ(last_of_item.delta, -5);
  EXPECT_EQ(last_of_item.lot_balance, 25);
  EXPECT_EQ(last_of_item.item_balance, 25);
  EXPECT_EQ(last_of_item.reference, "rx-1");
}

TEST_F(StockLedgerTest, ShortLineRefusesTheWholeDispenseNamingTheLineAndChangesNothing) {
  DispenseOutcome r = ledger_.Dispense(Dispense({{1, kOtherItem, 2}, {2, kItem, 51}}));
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(r.reasons.size(), 1u);
  EXPECT_EQ(r.reasons[0].code, "INSUFFICIENT_STOCK");
  EXPECT_EQ(r.reasons[0].field, "lines[1].quantity");
  ASSERT_EQ(r.shortages.size(), 1u);
  EXPECT_EQ(r.shortages[0].line_no, 2);
  EXPECT_EQ(r.shortages[0].requested, 51);
  EXPECT_EQ(r.shortages[0].usable, 50);
  EXPECT_TRUE(r.lines.empty());
  EXPECT_EQ(ledger_.FindLot(kOtherItem, "K-1")->quantity, 5) << "line 1 fitted but must not move";
  EXPECT_EQ(ledger_.Usable(kItem, kToday), 50);
  EXPECT_EQ(ledger_.movements().size(), 3u);
}

TEST_F(StockLedgerTest, TwoLinesOfOneItemCannotCountTheSameUnitsTwice) {
  DispenseOutcome r = ledger_.Dispense(Dispense({{1, kItem, 30}, {2, kItem, 30}}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.reasons[0].field, "lines[1].quantity");
  EXPECT_EQ(r.shortages[0].usable, 20);
}

TEST_F(StockLedgerTest, ItemNeverReceivedIsUnknown) {
  DispenseOutcome r = ledger_.Dispense(Dispense({{1, "93999999", 1}}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.reasons[0].code, "ITEM_UNKNOWN");
  EXPECT_EQ(r.reasons[0].field, "lines[0].item_code");
}

TEST_F(StockLedgerTest, DispenseDatedAfterExpirySkipsTheExpiredLot) {
  DispenseOutcome r = ledger_.Dispense(Dispense({{1, kItem, 10}}, CivilDate{2027, 2, 1}));
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(r.lines[0].allocations, ElementsAre(Allocation{"L-MAR", {2027, 3, 31}, 10}));
}

AdjustCommand Adjust(std::string lot, AdjustmentReason reason, int64_t delta,
                     std::optional<int64_t> counted = {}) {
  return AdjustCommand{"req-a", "clinic-1", kItem,   std::move(lot), reason,
                       delta,   counted,    "rak 2", kStaff,         At(kToday)};
}

TEST_F(StockLedgerTest, AdjustmentsMoveOneLotWithTheirReason) {
  AdjustOutcome damaged = ledger_.Adjust(Adjust("L-JAN", AdjustmentReason::kDamaged, -3));
  ASSERT_TRUE(damaged.ok());
  EXPECT_EQ(damaged.applied_delta, -3);
  EXPECT_EQ(damaged.lot_quantity, 17);
  EXPECT_EQ(damaged.usable_after, 47);
  EXPECT_EQ(ledger_.movements().back().reason, AdjustmentReason::kDamaged);
  EXPECT_EQ(ledger_.movements().back().reference, "rak 2");

  // A count states what is on the shelf; the delta is derived from the book.
  AdjustOutcome count =
      ledger_.Adjust(Adjust("L-MAR", AdjustmentReason::kCountCorrection, 999, 33));
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(count.applied_delta, 3);
  EXPECT_EQ(count.lot_quantity, 33);
  EXPECT_EQ(ledger_.movements().back().item_balance, 50);
}

struct AdjustRefusal {
  std::string name;
  AdjustCommand command;
  std::string code;
};

class AdjustRefusalTest : public ::testing::TestWithParam<AdjustRefusal> {};

TEST_P(AdjustRefusalTest, RefusedAndNothingMoves) {
  StockLedger ledger;
  ASSERT_TRUE(ledger.Receive(Receive("L-JAN", "2027-01-31", 20)).ok());
  AdjustOutcome r = ledger.Adjust(GetParam().command);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.reasons[0].code, GetParam().code);
  EXPECT_EQ(ledger.FindLot(kItem, "L-JAN")->quantity, 20);
  EXPECT_EQ(ledger.movements().size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, AdjustRefusalTest,
    ::testing::Values(
        AdjustRefusal{"UnknownLot", Adjust("NOPE", AdjustmentReason::kLost, -1), "LOT_UNKNOWN"},
        AdjustRefusal{"BelowZero", Adjust("L-JAN", AdjustmentReason::kLost, -21),
                      "QUANTITY_EXCEEDS_STOCK"},
        AdjustRefusal{"DamageThatAddsStock", Adjust("L-JAN", AdjustmentReason::kDamaged, 5),
                      "QUANTITY_NOT_NEGATIVE"},
        AdjustRefusal{"CountWithoutCount", Adjust("L-JAN", AdjustmentReason::kCountCorrection, 5),
                      "COUNTED_QUANTITY_MISSING"},
        AdjustRefusal{"NegativeCount", Adjust("L-JAN", AdjustmentReason::kCountCorrection, 0, -1),
                      "COUNTED_QUANTITY_NEGATIVE"},
        AdjustRefusal{"NoReason", Adjust("L-JAN", AdjustmentReason::kUnspecified, -1),
                      "ADJUSTMENT_REASON_MISSING"}),
    [](const auto& info) { return info.param.name; });

TEST_F(StockLedgerTest, RecallMakesTheLotUnusableButKeepsItOnHand) {
  RecallOutcome r = ledger_.Recall(RecallCommand{"req-x", kItem, "L-JAN", "BPOM 123", At(kToday)});
  EXPECT_TRUE(r.affected);
  EXPECT_EQ(r.quantity, 20);
  EXPECT_EQ(r.usable_after, 30);
  EXPECT_EQ(ledger_.OnHand(kItem), 50);
  EXPECT_EQ(ledger_.Unusable(kItem, kToday), 20);
  EXPECT_EQ(StateOf(*ledger_.FindLot(kItem, "L-JAN"), kToday), LotState::kRecalled);
  EXPECT_EQ(ledger_.movements().back().kind, MovementKind::kRecalled);
  EXPECT_EQ(ledger_.movements().back().delta, 0);
  DispenseOutcome d = ledger_.Dispense(Dispense({{1, kItem, 5}}));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d.lines[0].allocations[0].lot_number, "L-MAR");
  // A second recall of the same lot, or of a lot never held, changes nothing.
  EXPECT_FALSE(
      ledger_.Recall(RecallCommand{"req-y", kItem, "L-JAN", "again", At(kToday)}).affected);
  EXPECT_FALSE(
      ledger_.Recall(RecallCommand{"req-z", kItem, "ELSEWHERE", "x", At(kToday)}).affected);
  EXPECT_EQ(ledger_.movements().size(), 5u);
}

struct AlertCase {
  std::string name;
  int64_t usable;
  int64_t level;
  OpenStockAlerts open;
  StockAlertDecision expected;
};

class AlertPolicyTest : public ::testing::TestWithParam<AlertCase> {};

TEST_P(AlertPolicyTest, RaisesOncePerCrossing) {
  const auto& c = GetParam();
  EXPECT_EQ(DecideStockAlerts(c.usable, c.level, c.open), c.expected);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, AlertPolicyTest,
    ::testing::Values(
        AlertCase{"AboveLevelNothing", 11, 10, {}, {}},
        AlertCase{"AtLevelRaisesLow", 10, 10, {}, {.raise_low = true}},
        AlertCase{"StillLowDoesNotRepeat", 5, 10, {.low = true}, {}},
        AlertCase{"BackAboveResolvesLow", 11, 10, {.low = true}, {.resolve_low = true}},
        AlertCase{"ZeroRaisesOutBesideOpenLow", 0, 10, {.low = true}, {.raise_out = true}},
        AlertCase{"ZeroFromAboveRaisesBoth", 0, 10, {}, {.raise_low = true, .raise_out = true}},
        AlertCase{"StillOutDoesNotRepeat", 0, 10, {.low = true, .out = true}, {}},
        AlertCase{"RestockAboveResolvesBoth",
                  40,
                  10,
                  {.low = true, .out = true},
                  {.resolve_low = true, .resolve_out = true}},
        AlertCase{"RestockBelowLevelResolvesOutOnly",
                  3,
                  10,
                  {.low = true, .out = true},
                  {.resolve_out = true}},
        AlertCase{"LevelZeroLowOnlyAtZero", 0, 0, {}, {.raise_low = true, .raise_out = true}}),
    [](const auto& info) { return info.param.name; });

TEST(ExpiryWarning, WarnsOnceWithinThePeriodForUsableLotsWithStock) {
  Lot lot = MakeLot("A", CivilDate{2027, 2, 21}, 10);
  EXPECT_EQ(ExpiryWarningDays(lot, kToday, 90, false), 90);
  EXPECT_EQ(ExpiryWarningDays(lot, kToday, 89, false), std::nullopt);
  EXPECT_EQ(ExpiryWarningDays(lot, kToday, 90, true), std::nullopt) << "already warned";
  EXPECT_EQ(ExpiryWarningDays(MakeLot("B", kToday, 1), kToday, 90, false), 0);
  EXPECT_EQ(ExpiryWarningDays(MakeLot("C", kToday, 0), kToday, 90, false), std::nullopt) << "empty";
  EXPECT_EQ(ExpiryWarningDays(MakeLot("D", kYesterday, 5), kToday, 90, false), std::nullopt)
      << "expired";
  EXPECT_EQ(ExpiryWarningDays(MakeLot("E", kJan, 5, 0, 0, 1), kToday, 90, false), std::nullopt)
      << "recalled";
}

}  // namespace
}  // namespace pharmacy
