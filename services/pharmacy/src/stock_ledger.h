// StockLedger: the stock of one clinic, lot by lot, and the rules that move it. FefoAllocator
// decides which lots a dispensed quantity comes from.
//
// Invariants (checked after every step by tests/ledger_random_test.cc):
//   - no lot quantity is ever negative;
//   - every lot's quantity is the sum of its movements' deltas, and every movement carries the
//     lot and item balances after it;
//   - a refused request changes nothing (no lot, no movement);
//   - dispensing takes the first usable lots in FEFO order (StateOf/FefoBefore).
//
// The storage layer loads the lots a request touches into a ledger (under the clinic's row
// lock), applies one request and writes back ChangedLots() and movements():
//
//   pharmacy::StockLedger ledger(calendar);
//   for (auto& lot : store::LoadLots(tx, clinic, items)) ledger.Load(lot);
//   DispenseOutcome r = ledger.Dispense(command);
//   if (r.ok()) store::SaveLedger(tx, clinic, ledger);
#pragma once

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "domain_types.h"
#include "validation.h"

namespace pharmacy {

struct Allocation {
  std::string lot_number;
  klinik::CivilDate expiry;
  int64_t quantity = 0;
  bool operator==(const Allocation&) const = default;
};

// FEFO over `lots` (any order, any item): takes from usable lots with quantity > 0 in FefoBefore
// order. nullopt when their total cannot cover `quantity`.
class FefoAllocator {
 public:
  [[nodiscard]] static std::optional<std::vector<Allocation>> Allocate(
      std::vector<const Lot*> lots, int64_t quantity, const klinik::CivilDate& today);
  [[nodiscard]] static int64_t Usable(const std::vector<const Lot*>& lots,
                                      const klinik::CivilDate& today);
};

struct [[nodiscard]] ReceiveOutcome {
  Reasons reasons;
  int64_t usable_after = 0;
  [[nodiscard]] bool ok() const { return reasons.empty(); }
};

struct DispensedLine {
  int32_t line_no = 0;
  std::string item_code;
  int64_t quantity = 0;
  std::vector<Allocation> allocations;  // FEFO order
  int64_t usable_after = 0;             // of the item, after this line
};

struct Shortage {
  int32_t line_no = 0;
  std::string item_code;
  int64_t requested = 0;
  int64_t usable = 0;  // what was left for this line after the earlier lines of the request
};

struct [[nodiscard]] DispenseOutcome {
  Reasons reasons;
  std::vector<Shortage> shortages;
  std::vector<DispensedLine> lines;  // only when ok()
  [[nodiscard]] bool ok() const { return reasons.empty(); }
};

struct [[nodiscard]] AdjustOutcome {
  Reasons reasons;
  int64_t applied_delta = 0;
  int64_t lot_quantity = 0;
  int64_t usable_after = 0;
  [[nodiscard]] bool ok() const { return reasons.empty(); }
};

struct [[nodiscard]] RecallOutcome {
  bool affected = false;  // the clinic held the lot with stock on hand and it was not yet recalled
  int64_t quantity = 0;   // made unusable
  int64_t usable_after = 0;
};

class StockLedger {
 public:
  explicit StockLedger(LocalCalendar calendar = {}) : calendar_(calendar) {}

  // Existing state from storage; not a movement.
  void Load(Lot lot);

  ReceiveOutcome Receive(const ReceiveCommand& c);
  DispenseOutcome Dispense(const DispenseCommand& c);
  AdjustOutcome Adjust(const AdjustCommand& c);
  // The lot becomes unusable (quantity stays on hand until adjusted out). Nothing happens when
  // this clinic never held the lot or it was recalled before.
  RecallOutcome Recall(const RecallCommand& c);

  [[nodiscard]] int64_t OnHand(const std::string& item_code) const;
  [[nodiscard]] int64_t Usable(const std::string& item_code, const klinik::CivilDate& today) const;
  [[nodiscard]] int64_t Unusable(const std::string& item_code,
                                 const klinik::CivilDate& today) const;
  // Lots of the item in FEFO order, including empty and unusable ones.
  [[nodiscard]] std::vector<const Lot*> LotsOf(const std::string& item_code) const;
  [[nodiscard]] const Lot* FindLot(const std::string& item_code,
                                   const std::string& lot_number) const;
  [[nodiscard]] bool KnowsItem(const std::string& item_code) const;

  // Movements appended since construction, oldest first.
  [[nodiscard]] const std::vector<Movement>& movements() const { return movements_; }
  // Lots whose state changed since construction (to write back).
  [[nodiscard]] std::vector<const Lot*> ChangedLots() const;
  [[nodiscard]] const LocalCalendar& calendar() const { return calendar_; }

 private:
  using Key = std::pair<std::string, std::string>;  // item_code, lot_number
  Lot& Mutable(const Key& key);
  void Record(const Lot& lot, MovementKind kind, AdjustmentReason reason, int64_t delta,
              std::string reference, std::string request_id, int64_t at_ms);

  LocalCalendar calendar_;
  std::map<Key, Lot> lots_;
  std::set<Key> changed_;
  std::vector<Movement> movements_;
  int64_t max_seq_ = 0;
};

}  // namespace pharmacy
