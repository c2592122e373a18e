#include "stock_ledger.h"

#include <algorithm>
#include <tuple>

namespace pharmacy {

LotState StateOf(const Lot& lot, const klinik::CivilDate& today) {
  if (lot.recalled_at_ms) return LotState::kRecalled;
  if (lot.expiry < today) return LotState::kExpired;
  return LotState::kUsable;
}

bool FefoBefore(const Lot& a, const Lot& b) {
  return std::tie(a.expiry, a.received_at_ms, a.seq, a.lot_number) <
         std::tie(b.expiry, b.received_at_ms, b.seq, b.lot_number);
}

std::optional<std::vector<Allocation>> FefoAllocator::Allocate(std::vector<const Lot*> lots,
                                                               int64_t quantity,
                                                               const klinik::CivilDate& today) {
  std::sort(lots.begin(), lots.end(),
            [](const Lot* a, const Lot* b) { return FefoBefore(*a, *b); });
  std::vector<Allocation> out;
  int64_t left = quantity;
  for (const Lot* lot : lots) {
    if (left == 0) break;
    if (lot->quantity <= 0 || StateOf(*lot, today) != LotState::kUsable) continue;
    int64_t take = std::min(left, lot->quantity);
    out.push_back({lot->lot_number, lot->expiry, take});
    left -= take;
  }
  if (left > 0) return std::nullopt;
  return out;
}

int64_t FefoAllocator::Usable(const std::vector<const Lot*>& lots, const klinik::CivilDate& today) {
  int64_t sum = 0;
  for (const Lot* lot : lots) {
    if (StateOf(*lot, today) == LotState::kUsable) sum += lot->quantity;
  }
  return sum;
}

void StockLedger::Load(Lot lot) {
  max_seq_ = std::max(max_seq_, lot.seq);
  Key key{lot.item_code, lot.lot_number};
  lots_[key] = std::move(lot);
}

Lot& StockLedger::Mutable(const Key& key) {
  changed_.insert(key);
  return lots_.at(key);
}

void StockLedger::Record(const Lot& lot, MovementKind kind, AdjustmentReason reason, int64_t delta,
                         std::string reference, std::string request_id, int64_t at_ms) {
  movements_.push_back(Movement{lot.item_code, lot.lot_number, kind, reason, delta, lot.quantity,
                                OnHand(lot.item_code), std::move(reference), std::move(request_id),
                                at_ms});
}

ReceiveOutcome StockLedger::Receive(const ReceiveCommand& c) {
  ReceiveOutcome r;
  ValidateReceive(c, calendar_, r.reasons);
  if (!r.ok()) return r;
  klinik::CivilDate expiry = *klinik::ParseCivilDate(c.expiry_date);
  Key key{c.item_code, c.lot_number};
  auto it = lots_.find(key);
  if (it != lots_.end()) {
    // A lot number names one batch: a second delivery of it must carry the same expiry.
    if (it->second.expiry != expiry) {
      r.reasons.push_back({"LOT_EXPIRY_MISMATCH", "expiry_date",
                           "this lot was received before with expiry " +
                               klinik::FormatCivilDate(it->second.expiry)});
    }
    if (it->second.recalled_at_ms) {
      r.reasons.push_back({"LOT_RECALLED", "lot_number", "this lot has been recalled"});
    }
    if (!r.ok()) return r;
  } else {
    lots_[key] = Lot{c.item_code, c.lot_number, expiry, 0, c.at_ms, ++max_seq_, std::nullopt};
  }
  Lot& lot = Mutable(key);
  lot.quantity += c.quantity;
  Record(lot, MovementKind::kReceived, AdjustmentReason::kUnspecified, c.quantity, c.reference,
         c.request_id, c.at_ms);
  r.usable_after = Usable(c.item_code, calendar_.DateOf(c.at_ms));
  return r;
}

DispenseOutcome StockLedger::Dispense(const DispenseCommand& c) {
  DispenseOutcome r;
  ValidateDispense(c, r.reasons);
  if (!r.ok()) return r;
  klinik::CivilDate today = calendar_.DateOf(c.at_ms);
  // Allocate every line against a scratch copy first: the request is all-or-nothing, and two
  // lines of the same item must not both count the same units.
  std::map<Key, Lot> scratch = lots_;
  for (size_t i = 0; i < c.lines.size(); ++i) {
    const auto& line = c.lines[i];
    std::vector<const Lot*> candidates;
    for (auto& [key, lot] : scratch) {
      if (key.first == line.item_code) candidates.push_back(&lot);
    }
    std::string field = "lines[" + std::to_string(i) + "]";
    if (candidates.empty()) {
      r.reasons.push_back(
          {"ITEM_UNKNOWN", field + ".item_code", "this clinic has never received the item"});
      r.shortages.push_back({line.line_no, line.item_code, line.quantity, 0});
      continue;
    }
    auto allocations = FefoAllocator::Allocate(candidates, line.quantity, today);
    int64_t usable = FefoAllocator::Usable(candidates, today);
    if (!allocations) {
      r.reasons.push_back({"INSUFFICIENT_STOCK", field + ".quantity",
                           "line " + std::to_string(line.line_no) + " asks for " +
                               std::to_string(line.quantity) + ", usable stock is " +
                               std::to_string(usable)});
      r.shortages.push_back({line.line_no, line.item_code, line.quantity, usable});
      continue;
    }
    for (const auto& a : *allocations)
      scratch.at({line.item_code, a.lot_number}).quantity -= a.quantity;
    r.lines.push_back({line.line_no, line.item_code, line.quantity, std::move(*allocations),
                       usable - line.quantity});
  }
  if (!r.ok()) {
    r.lines.clear();
    return r;
  }
  for (const auto& line : r.lines) {
    for (const auto& a : line.allocations) {
      Lot& lot = Mutable({line.item_code, a.lot_number});
      lot.quantity -= a.quantity;
      Record(lot, MovementKind::kDispensed, AdjustmentReason::kUnspecified, -a.quantity,
             c.prescription_id, c.request_id, c.at_ms);
    }
  }
  return r;
}

AdjustOutcome StockLedger::Adjust(const AdjustCommand& c) {
  AdjustOutcome r;
  ValidateAdjust(c, r.reasons);
  if (!r.ok()) return r;
  Key key{c.item_code, c.lot_number};
  auto it = lots_.find(key);
  if (it == lots_.end()) {
    r.reasons.push_back(
        {"LOT_UNKNOWN", "lot_number", "this clinic has never received this lot of the item"});
    return r;
  }
  int64_t delta = c.reason == AdjustmentReason::kCountCorrection
                      ? *c.counted_quantity - it->second.quantity
                      : c.quantity_delta;
  if (it->second.quantity + delta < 0) {
    r.reasons.push_back(
        {"QUANTITY_EXCEEDS_STOCK", "quantity_delta",
         "the lot holds " + std::to_string(it->second.quantity) + "; stock cannot go negative"});
    return r;
  }
  if (delta == 0 && c.reason != AdjustmentReason::kCountCorrection) {
    r.reasons.push_back({"QUANTITY_ZERO", "quantity_delta", "nothing to adjust"});
    return r;
  }
  Lot& lot = Mutable(key);
  lot.quantity += delta;
  // A count that matches the book is still recorded: the stock card shows the count happened.
  Record(lot, MovementKind::kAdjusted, c.reason, delta, c.note, c.request_id, c.at_ms);
  r.applied_delta = delta;
  r.lot_quantity = lot.quantity;
  r.usable_after = Usable(c.item_code, calendar_.DateOf(c.at_ms));
  return r;
}

RecallOutcome StockLedger::Recall(const RecallCommand& c) {
  RecallOutcome r;
  Key key{c.item_code, c.lot_number};
  auto it = lots_.find(key);
  if (it == lots_.end() || it->second.recalled_at_ms) return r;
  Lot& lot = Mutable(key);
  lot.recalled_at_ms = c.at_ms;
  r.quantity = lot.quantity;
  r.affected = lot.quantity > 0;
  // On-hand stock does not change (the boxes are still on the shelf until adjusted out), so the
  // stock card entry has delta 0; it records when the lot stopped being issuable.
  Record(lot, MovementKind::kRecalled, AdjustmentReason::kRecalled, 0, c.reason, c.request_id,
         c.at_ms);
  r.usable_after = Usable(c.item_code, calendar_.DateOf(c.at_ms));
  return r;
}

int64_t StockLedger::OnHand(const std::string& item_code) const {
  int64_t sum = 0;
  for (const auto& [key, lot] : lots_) {
    if (key.first == item_code) sum += lot.quantity;
  }
  return sum;
}

int64_t StockLedger::Usable(const std::string& item_code, const klinik::CivilDate& today) const {
  return FefoAllocator::Usable(LotsOf(item_code), today);
}

int64_t StockLedger::Unusable(const std::string& item_code, const klinik::CivilDate& today) const {
  return OnHand(item_code) - Usable(item_code, today);
}

std::vector<const Lot*> StockLedger::LotsOf(const std::string& item_code) const {
  std::vector<const Lot*> out;
  for (const auto& [key, lot] : lots_) {
    if (key.first == item_code) out.push_back(&lot);
  }
  std::sort(out.begin(), out.end(), [](const Lot* a, const Lot* b) { return FefoBefore(*a, *b); });
  return out;
}

const Lot* StockLedger::FindLot(const std::string& item_code, const std::string& lot_number) const {
  auto it = lots_.find({item_code, lot_number});
  return it == lots_.end() ? nullptr : &it->second;
}

bool StockLedger::KnowsItem(const std::string& item_code) const {
  auto it = lots_.lower_bound({item_code, ""});
  return it != lots_.end() && it->first.first == item_code;
}

std::vector<const Lot*> StockLedger::ChangedLots() const {
  std::vector<const Lot*> out;
  for (const auto& key : changed_) out.push_back(&lots_.at(key));
  return out;
}

}  // namespace pharmacy
