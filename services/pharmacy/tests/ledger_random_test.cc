// Thousands of random receipts, dispenses, adjustments, recalls and passing days against one
// StockLedger, checking after every step that stock is never negative, every balance is the sum
// of its movements, refusals change nothing, and each dispense followed FEFO as recomputed here
// independently of the allocator.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>

#include "stock_ledger.h"

namespace pharmacy {
namespace {

using klinik::CivilDate;

const char* const kStaff = "3201010101010001";
const std::vector<std::string> kItems = {"93000001", "93000002", "94000003"};

struct Snapshot {
  std::map<std::pair<std::string, std::string>, Lot> lots;
  size_t movements = 0;
};

Snapshot Take(const StockLedger& ledger) {
  Snapshot s;
  for (const auto& item : kItems) {
    for (const Lot* lot : ledger.LotsOf(item)) s.lots[{item, lot->lot_number}] = *lot;
  }
  s.movements = ledger.movements().size();
  return s;
}

bool Same(const Lot& a, const Lot& b) {
  return a.quantity == b.quantity && a.recalled_at_ms == b.recalled_at_ms && a.expiry == b.expiry;
}

class LedgerRandomTest : public ::testing::TestWithParam<uint32_t> {
 protected:
  // Movements are folded in as they appear, so each step costs only its own movements.
  void CheckInvariants(const StockLedger& ledger) {
    const auto& movements = ledger.movements();
    for (; folded_ < movements.size(); ++folded_) {
      const Movement& m = movements[folded_];
      lot_sums_[{m.item_code, m.lot_number}] += m.delta;
      item_sums_[m.item_code] += m.delta;
      ASSERT_EQ(m.lot_balance, (lot_sums_[{m.item_code, m.lot_number}]))
          << "lot balance is the sum of its movements";
      ASSERT_EQ(m.item_balance, item_sums_[m.item_code])
          << "item balance is the sum of its movements";
    }
    for (const auto& item : kItems) {
      int64_t on_hand = 0;
      for (const Lot* lot : ledger.LotsOf(item)) {
        ASSERT_GE(lot->quantity, 0) << "negative stock in " << lot->lot_number;
        ASSERT_EQ(lot->quantity, (lot_sums_[{item, lot->lot_number}]))
            << "lot quantity = sum of movements";
        on_hand += lot->quantity;
      }
      ASSERT_EQ(ledger.OnHand(item), on_hand);
      ASSERT_EQ(on_hand, item_sums_[item]);
    }
  }

  size_t folded_ = 0;
  std::map<std::pair<std::string, std::string>, int64_t> lot_sums_;
  std::map<std::string, int64_t> item_sums_;

  // FEFO recomputed: usable lots with stock, sorted by (expiry, first receipt, receipt order),
  // drained in that order.
  static std::vector<Allocation> ReferenceFefo(std::vector<Lot> lots, int64_t quantity,
                                               const CivilDate& today) {
    std::vector<Lot> usable;
    for (auto& lot : lots) {
      if (!lot.recalled_at_ms && !(lot.expiry < today) && lot.quantity > 0) usable.push_back(lot);
    }
    std::sort(usable.begin(), usable.end(), [](const Lot& a, const Lot& b) {
      if (a.expiry != b.expiry) return a.expiry < b.expiry;
      if (a.received_at_ms != b.received_at_ms) return a.received_at_ms < b.received_at_ms;
      return a.seq < b.seq;
    });
    std::vector<Allocation> out;
    for (const auto& lot : usable) {
      if (quantity == 0) break;
      int64_t take = std::min(quantity, lot.quantity);
      out.push_back({lot.lot_number, lot.expiry, take});
      quantity -= take;
    }
    if (quantity > 0) out.clear();
    return out;
  }
};

TEST_P(LedgerRandomTest, InvariantsHoldAfterEveryStep) {
  std::mt19937 rng(GetParam());
  auto pick = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  LocalCalendar calendar;
  StockLedger ledger(calendar);
  CivilDate day{2026, 1, 1};
  int64_t clock = calendar.StartOf(day) + 3'600'000;
  // Lot numbers have fixed expiries (a lot is one batch); several share an expiry to exercise
  // the receipt-order tie-break, some expire during the run.
  auto expiry_of = [&](int lot) { return klinik::AddDays(CivilDate{2026, 1, 10}, (lot % 7) * 60); };
  int dispensed = 0, refused = 0, adjusted = 0, recalled = 0;
  constexpr int kSteps = 4000;
  for (int step = 0; step < kSteps; ++step) {
    clock += pick(1, 3'600'000);
    if (pick(0, 30) == 0) {
      day = klinik::AddDays(day, 1);
      clock = std::max(clock, calendar.StartOf(day) + 3'600'000);
    }
    day = calendar.DateOf(clock);
    Snapshot before = Take(ledger);
    const std::string item = kItems[static_cast<size_t>(pick(0, 2))];
    int lot_no = static_cast<int>(pick(0, 20));
    std::string lot = "L" + std::to_string(lot_no);
    int64_t op = pick(0, 99);
    bool ok = false;
    if (op < 30) {
      ReceiveOutcome r = ledger.Receive({"r" + std::to_string(step), "c", item, "x", lot,
                                         klinik::FormatCivilDate(expiry_of(lot_no)), pick(1, 60),
                                         "TAB", "SJ", clock});
      ok = r.ok();
    } else if (op < 85) {
      DispenseCommand c{
          "d" + std::to_string(step), "c", klinik::NewUuid(), "rx", {}, kStaff, clock};
      int lines = static_cast<int>(pick(1, 2));
      for (int i = 0; i < lines; ++i) {
        c.lines.push_back({i + 1, kItems[static_cast<size_t>(pick(0, 2))], pick(1, 25)});
      }
      DispenseOutcome r = ledger.Dispense(c);
      ok = r.ok();
      // Independent FEFO, line by line over the pre-state.
      std::map<std::pair<std::string, std::string>, Lot> state = before.lots;
      bool reference_ok = true;
      for (size_t i = 0; i < c.lines.size(); ++i) {
        std::vector<Lot> lots;
        for (auto& [key, l] : state) {
          if (key.first == c.lines[i].item_code) lots.push_back(l);
        }
        auto expected = ReferenceFefo(lots, c.lines[i].quantity, day);
        if (expected.empty()) {
          reference_ok = false;
          break;
        }
        for (const auto& a : expected)
          state[{c.lines[i].item_code, a.lot_number}].quantity -= a.quantity;
        if (ok) {
          ASSERT_EQ(r.lines[i].allocations, expected) << "step " << step << " line " << i;
        }
      }
      ASSERT_EQ(ok, reference_ok) << "step " << step
                                  << ": refused only when some line really is short";
      ++(ok ? dispensed : refused);
    } else if (op < 97) {
      auto reason = static_cast<AdjustmentReason>(pick(1, 5));
      std::optional<int64_t> counted;
      if (reason == AdjustmentReason::kCountCorrection) counted = pick(0, 40);
      AdjustOutcome r = ledger.Adjust({"a" + std::to_string(step), "c", item, lot, reason,
                                       -pick(1, 30), counted, "", kStaff, clock});
      ok = r.ok();
      if (ok) ++adjusted;
    } else {
      RecallOutcome r = ledger.Recall({"x" + std::to_string(step), item, lot, "BPOM", clock});
      ok = r.affected;
      if (ok) ++recalled;
    }
    if (!ok && op < 97) {
      Snapshot after = Take(ledger);
      ASSERT_EQ(after.movements, before.movements)
          << "step " << step << ": a refusal wrote a movement";
      ASSERT_EQ(after.lots.size(), before.lots.size());
      for (const auto& [key, l] : before.lots)
        ASSERT_TRUE(Same(l, after.lots.at(key))) << "step " << step;
    }
    CheckInvariants(ledger);
    if (HasFatalFailure()) return;
  }
  // The mix really exercised both paths, not only refusals.
  EXPECT_GT(dispensed, kSteps / 10);
  EXPECT_GT(refused, kSteps / 50);
  EXPECT_GT(adjusted, 0);
  EXPECT_GT(recalled, 0);
}

INSTANTIATE_TEST_SUITE_P(Seeds, LedgerRandomTest, ::testing::Values(1u, 7u, 2026u));

}  // namespace
}  // namespace pharmacy
