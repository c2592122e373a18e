#include "intake_handler.h"

#include <set>

#include "facts.h"
#include "klinik/event_types.h"
#include "store.h"

namespace pharmacy {
namespace {

using klinik::HandleResult;
using K = klinik::v1::PharmacyIntake;

}  // namespace

IntakeHandler::IntakeHandler(const Settings& settings, ServiceMetrics& metrics)
    : settings_(settings), metrics_(metrics), alerts_(settings, metrics) {
  using klinik::InboundEvent;
  using klinik::OutboxWriter;
  Consume<K>(settings.intake_topic, UnknownKind::kDeadLetter);
  On<K, klinik::v1::ReceiveStock>(
      K::kReceiveStock, [this](const klinik::v1::ReceiveStock& m, const InboundEvent&,
                               OutboxWriter& out) { return Receive(m, out, settings_.now()); });
  On<K, klinik::v1::DispenseMedication>(
      K::kDispenseMedication,
      [this](const klinik::v1::DispenseMedication& m, const InboundEvent&, OutboxWriter& out) {
        return Dispense(m, out, settings_.now());
      });
  On<K, klinik::v1::AdjustStock>(
      K::kAdjustStock, [this](const klinik::v1::AdjustStock& m, const InboundEvent&,
                              OutboxWriter& out) { return Adjust(m, out, settings_.now()); });
  On<K, klinik::v1::RecallLot>(
      K::kRecallLot, [this](const klinik::v1::RecallLot& m, const InboundEvent&,
                            OutboxWriter& out) { return Recall(m, out, settings_.now()); });
  On<K, klinik::v1::SetReorderLevel>(
      K::kSetReorderLevel, [this](const klinik::v1::SetReorderLevel& m, const InboundEvent&,
                                  OutboxWriter& out) { return SetLevel(m, out, settings_.now()); });
}

StockLedger IntakeHandler::LoadLedger(klinik::Transaction& tx, const std::string& clinic_id,
                                      const std::set<std::string>& items) {
  StockLedger ledger(settings_.calendar);
  for (Lot& lot : store::LoadLots(tx, clinic_id, items)) ledger.Load(std::move(lot));
  return ledger;
}

void IntakeHandler::RecordMovements(const StockLedger& ledger, klinik::OutboxWriter& out) {
  std::vector<MovementKind> kinds;
  for (const Movement& m : ledger.movements()) kinds.push_back(m.kind);
  out.AfterCommit([&metrics = metrics_, kinds = std::move(kinds)] {
    for (MovementKind k : kinds) metrics.MovementRecorded(k);
  });
}

HandleResult IntakeHandler::Reject(klinik::OutboxWriter& out, const std::string& key,
                                   K::KindCase request, const std::string& request_id,
                                   const std::string& clinic_id, const Reasons& reasons,
                                   int64_t now) {
  klinik::v1::PharmacyEvent e;
  auto* f = e.mutable_pharmacy_request_rejected();
  f->set_request_id(request_id);
  f->set_clinic_id(clinic_id);
  f->set_request_type(std::string(klinik::CeType<K>(request)));
  ToProto(reasons, f->mutable_reasons());
  SetTimestamp(now, f->mutable_rejected_at());
  out.Publish(settings_.output_topic, key, key, e);
  return HandleResult::Rejected(reasons.front().code);
}

HandleResult IntakeHandler::Receive(const klinik::v1::ReceiveStock& m, klinik::OutboxWriter& out,
                                    int64_t now) {
  ReceiveCommand c = ToCommand(m, now);
  Reasons reasons;
  ValidateReceive(c, settings_.calendar, reasons);
  if (!reasons.empty())
    return Reject(out, c.clinic_id, K::kReceiveStock, c.request_id, c.clinic_id, reasons, now);
  auto& tx = out.tx();
  bool recalled = store::LockLotNumber(tx, c.item_code, c.lot_number).has_value();
  store::LockClinic(tx, c.clinic_id);
  auto item = store::LoadItem(tx, c.clinic_id, c.item_code);
  if (item && !item->unit.empty() && item->unit != c.unit) {
    reasons.push_back(
        {"UNIT_MISMATCH", "unit", "this item is counted in " + item->unit + " at this clinic"});
  }
  if (recalled) reasons.push_back({"LOT_RECALLED", "lot_number", "this lot has been recalled"});
  if (!reasons.empty())
    return Reject(out, c.clinic_id, K::kReceiveStock, c.request_id, c.clinic_id, reasons, now);
  StockLedger ledger = LoadLedger(tx, c.clinic_id, {c.item_code});
  ReceiveOutcome r = ledger.Receive(c);
  if (!r.ok())
    return Reject(out, c.clinic_id, K::kReceiveStock, c.request_id, c.clinic_id, r.reasons, now);
  store::EnsureItem(tx, c.clinic_id, c.item_code, c.item_name, c.unit);
  store::SaveLedger(tx, c.clinic_id, ledger);
  RecordMovements(ledger, out);

  klinik::v1::PharmacyEvent e;
  auto* f = e.mutable_stock_received();
  f->set_request_id(c.request_id);
  f->set_clinic_id(c.clinic_id);
  f->set_item_code(c.item_code);
  f->set_item_name(c.item_name);
  f->set_lot_number(c.lot_number);
  f->set_expiry_date(c.expiry_date);
  f->set_quantity(c.quantity);
  f->set_unit(c.unit);
  f->set_supplier(m.supplier());
  f->set_delivery_note_ref(c.reference);
  SetTimestamp(c.at_ms, f->mutable_received_at());
  f->set_usable_quantity(r.usable_after);
  out.Publish(settings_.output_topic, c.clinic_id, c.clinic_id, e);
  alerts_.Evaluate(out, c.clinic_id, c.item_code, ledger, now);
  return HandleResult::Applied();
}

HandleResult IntakeHandler::Dispense(const klinik::v1::DispenseMedication& m,
                                     klinik::OutboxWriter& out, int64_t now) {
  DispenseCommand c = ToCommand(m, now);
  std::set<std::string> items;
  for (const DispenseLineCommand& line : c.lines) items.insert(line.item_code);
  auto& tx = out.tx();
  DispenseOutcome r;
  ValidateDispense(c, r.reasons);
  std::optional<StockLedger> ledger;
  if (r.ok()) {
    store::LockClinic(tx, c.clinic_id);
    ledger.emplace(LoadLedger(tx, c.clinic_id, items));
    r = ledger->Dispense(c);
  }
  if (!r.ok()) {
    klinik::v1::PharmacyEvent e;
    auto* f = e.mutable_dispense_rejected();
    f->set_request_id(c.request_id);
    f->set_clinic_id(c.clinic_id);
    f->set_patient_id(c.patient_id);
    f->set_prescription_id(c.prescription_id);
    ToProto(r.reasons, f->mutable_reasons());
    for (const auto& s : r.shortages) {
      auto* p = f->add_shortages();
      p->set_line_no(s.line_no);
      p->set_item_code(s.item_code);
      p->set_requested_quantity(s.requested);
      p->set_usable_quantity(s.usable);
    }
    SetTimestamp(now, f->mutable_rejected_at());
    out.Publish(settings_.output_topic, c.clinic_id, c.clinic_id, e);
    std::set<std::string> codes;
    for (const auto& reason : r.reasons) codes.insert(reason.code);
    out.AfterCommit([&metrics = metrics_, codes] {
      for (const auto& code : codes) metrics.DispenseRejected(code);
    });
    return HandleResult::Rejected(r.reasons.front().code);
  }
  store::SaveLedger(tx, c.clinic_id, *ledger);
  RecordMovements(*ledger, out);

  klinik::v1::PharmacyEvent e;
  auto* f = e.mutable_medication_dispensed();
  f->set_request_id(c.request_id);
  f->set_clinic_id(c.clinic_id);
  f->set_patient_id(c.patient_id);
  f->set_prescription_id(c.prescription_id);
  f->set_dispensed_by(c.dispensed_by);
  SetTimestamp(c.at_ms, f->mutable_dispensed_at());
  for (size_t i = 0; i < r.lines.size(); ++i) {
    const auto& line = r.lines[i];
    auto* p = f->add_lines();
    p->set_line_no(line.line_no);
    p->set_item_code(line.item_code);
    p->set_quantity(line.quantity);
    p->set_dosage_text(m.lines(static_cast<int>(i)).dosage_text());
    p->set_usable_quantity(line.usable_after);
    for (const auto& a : line.allocations) {
      auto* pa = p->add_allocations();
      pa->set_lot_number(a.lot_number);
      pa->set_expiry_date(klinik::FormatCivilDate(a.expiry));
      pa->set_quantity(a.quantity);
    }
  }
  out.Publish(settings_.output_topic, c.clinic_id, c.clinic_id, e);
  for (const auto& item : items) alerts_.Evaluate(out, c.clinic_id, item, *ledger, now);
  return HandleResult::Applied();
}

HandleResult IntakeHandler::Adjust(const klinik::v1::AdjustStock& m, klinik::OutboxWriter& out,
                                   int64_t now) {
  AdjustCommand c = ToCommand(m, now);
  Reasons reasons;
  ValidateAdjust(c, reasons);
  if (!reasons.empty())
    return Reject(out, c.clinic_id, K::kAdjustStock, c.request_id, c.clinic_id, reasons, now);
  auto& tx = out.tx();
  store::LockClinic(tx, c.clinic_id);
  StockLedger ledger = LoadLedger(tx, c.clinic_id, {c.item_code});
  AdjustOutcome r = ledger.Adjust(c);
  if (!r.ok())
    return Reject(out, c.clinic_id, K::kAdjustStock, c.request_id, c.clinic_id, r.reasons, now);
  store::SaveLedger(tx, c.clinic_id, ledger);
  RecordMovements(ledger, out);

  klinik::v1::PharmacyEvent e;
  auto* f = e.mutable_stock_adjusted();
  f->set_request_id(c.request_id);
  f->set_clinic_id(c.clinic_id);
  f->set_item_code(c.item_code);
  f->set_lot_number(c.lot_number);
  f->set_reason(m.reason());
  f->set_quantity_delta(r.applied_delta);
  if (c.counted_quantity) f->set_counted_quantity(*c.counted_quantity);
  f->set_note(c.note);
  f->set_adjusted_by(c.adjusted_by);
  SetTimestamp(c.at_ms, f->mutable_adjusted_at());
  f->set_lot_quantity(r.lot_quantity);
  f->set_usable_quantity(r.usable_after);
  out.Publish(settings_.output_topic, c.clinic_id, c.clinic_id, e);
  alerts_.Evaluate(out, c.clinic_id, c.item_code, ledger, now);
  return HandleResult::Applied();
}

HandleResult IntakeHandler::Recall(const klinik::v1::RecallLot& m, klinik::OutboxWriter& out,
                                   int64_t now) {
  RecallCommand c = ToCommand(m, now);
  Reasons reasons;
  ValidateRecall(c, reasons);
  if (!reasons.empty())
    return Reject(out, c.item_code, K::kRecallLot, c.request_id, "", reasons, now);
  auto& tx = out.tx();
  // Remembered first, under the lot number's lock, so a delivery of this lot either committed
  // before (and its clinic is listed below) or waits and is refused.
  store::LockLotNumber(tx, c.item_code, c.lot_number);
  store::MarkRecalled(tx, c.item_code, c.lot_number, c.at_ms);
  for (const std::string& clinic_id : store::ClinicsWithLot(tx, c.item_code, c.lot_number)) {
    store::LockClinic(tx, clinic_id);
    StockLedger ledger = LoadLedger(tx, clinic_id, {c.item_code});
    RecallOutcome r = ledger.Recall(c);
    store::SaveLedger(tx, clinic_id, ledger);
    RecordMovements(ledger, out);
    if (r.affected) {
      klinik::v1::PharmacyEvent e;
      auto* f = e.mutable_lot_recalled();
      f->set_request_id(c.request_id);
      f->set_clinic_id(clinic_id);
      f->set_item_code(c.item_code);
      f->set_lot_number(c.lot_number);
      f->set_reason(c.reason);
      f->set_quantity(r.quantity);
      SetTimestamp(c.at_ms, f->mutable_recalled_at());
      f->set_usable_quantity(r.usable_after);
      out.Publish(settings_.output_topic, clinic_id, clinic_id, e);
    }
    alerts_.Evaluate(out, clinic_id, c.item_code, ledger, now);
  }
  return HandleResult::Applied();
}

HandleResult IntakeHandler::SetLevel(const klinik::v1::SetReorderLevel& m,
                                     klinik::OutboxWriter& out, int64_t now) {
  ReorderLevelCommand c = ToCommand(m);
  Reasons reasons;
  ValidateReorderLevel(c, reasons);
  if (!reasons.empty())
    return Reject(out, c.clinic_id, K::kSetReorderLevel, c.request_id, c.clinic_id, reasons, now);
  auto& tx = out.tx();
  store::LockClinic(tx, c.clinic_id);
  int64_t previous = alerts_.ReorderLevel(tx, c.clinic_id, c.item_code);
  store::SetReorderLevel(tx, c.clinic_id, c.item_code, c.reorder_level);

  klinik::v1::PharmacyEvent e;
  auto* f = e.mutable_reorder_level_set();
  f->set_request_id(c.request_id);
  f->set_clinic_id(c.clinic_id);
  f->set_item_code(c.item_code);
  f->set_reorder_level(c.reorder_level);
  f->set_previous_reorder_level(previous);
  SetTimestamp(TimestampMs(m.set_at(), now), f->mutable_set_at());
  out.Publish(settings_.output_topic, c.clinic_id, c.clinic_id, e);
  // A new level can start or end a low-stock condition; an item never received has no stock to
  // judge.
  StockLedger ledger = LoadLedger(tx, c.clinic_id, {c.item_code});
  if (ledger.KnowsItem(c.item_code)) alerts_.Evaluate(out, c.clinic_id, c.item_code, ledger, now);
  return HandleResult::Applied();
}

}  // namespace pharmacy
