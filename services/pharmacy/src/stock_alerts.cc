#include "stock_alerts.h"

#include <algorithm>

#include "alert_policy.h"
#include "facts.h"
#include "store.h"

namespace pharmacy {

int64_t StockAlerts::ReorderLevel(klinik::Transaction& tx, const std::string& clinic_id,
                                  const std::string& item_code) const {
  auto item = store::LoadItem(tx, clinic_id, item_code);
  return item && item->reorder_level ? *item->reorder_level : settings_.default_reorder_level;
}

void StockAlerts::Evaluate(klinik::OutboxWriter& out, const std::string& clinic_id,
                           const std::string& item_code, const StockLedger& ledger,
                           int64_t now_ms) {
  auto& tx = out.tx();
  klinik::CivilDate today = settings_.calendar.DateOf(now_ms);
  int64_t usable = ledger.Usable(item_code, today);
  int64_t level = ReorderLevel(tx, clinic_id, item_code);
  StockAlertDecision d =
      DecideStockAlerts(usable, level, store::OpenAlerts(tx, clinic_id, item_code));
  if (d.resolve_low)
    store::ResolveAlerts(tx, clinic_id, item_code, store::AlertKind::kLow, "", now_ms);
  if (d.resolve_out)
    store::ResolveAlerts(tx, clinic_id, item_code, store::AlertKind::kOut, "", now_ms);
  if (d.raise_low) {
    store::AlertRow row{klinik::NewUuid(),
                        clinic_id,
                        item_code,
                        store::AlertKind::kLow,
                        "",
                        "",
                        usable,
                        level,
                        now_ms,
                        std::nullopt};
    store::InsertAlert(tx, row);
    klinik::v1::PharmacyEvent e;
    auto* f = e.mutable_stock_low();
    f->set_alert_id(row.alert_id);
    f->set_clinic_id(clinic_id);
    f->set_item_code(item_code);
    f->set_usable_quantity(usable);
    f->set_reorder_level(level);
    SetTimestamp(now_ms, f->mutable_raised_at());
    out.Publish(settings_.output_topic, clinic_id, clinic_id, e);
    out.AfterCommit([&metrics = metrics_] { metrics.AlertRaised(store::AlertKind::kLow); });
  }
  if (d.raise_out) {
    store::AlertRow row{
        klinik::NewUuid(), clinic_id, item_code, store::AlertKind::kOut, "", "", 0, level, now_ms,
        std::nullopt};
    store::InsertAlert(tx, row);
    klinik::v1::PharmacyEvent e;
    auto* f = e.mutable_stock_out();
    f->set_alert_id(row.alert_id);
    f->set_clinic_id(clinic_id);
    f->set_item_code(item_code);
    f->set_unusable_quantity(ledger.Unusable(item_code, today));
    SetTimestamp(now_ms, f->mutable_raised_at());
    out.Publish(settings_.output_topic, clinic_id, clinic_id, e);
    out.AfterCommit([&metrics = metrics_] { metrics.AlertRaised(store::AlertKind::kOut); });
  }
  // An expiry warning holds while its lot still has usable stock.
  for (const std::string& lot_number : store::OpenExpiryAlertLots(tx, clinic_id, item_code)) {
    const Lot* lot = ledger.FindLot(item_code, lot_number);
    if (lot == nullptr || lot->quantity == 0 || StateOf(*lot, today) != LotState::kUsable) {
      store::ResolveAlerts(tx, clinic_id, item_code, store::AlertKind::kExpiringSoon, lot_number,
                           now_ms);
    }
  }
}

void StockAlerts::EvaluateWithExpiry(klinik::OutboxWriter& out, const std::string& clinic_id,
                                     const std::string& item_code, const StockLedger& ledger,
                                     int64_t now_ms) {
  auto& tx = out.tx();
  klinik::CivilDate today = settings_.calendar.DateOf(now_ms);
  for (const Lot* lot : ledger.LotsOf(item_code)) {
    bool warned = store::ExpiryWarned(tx, clinic_id, item_code, lot->lot_number);
    auto days_left = ExpiryWarningDays(*lot, today, settings_.expiry_warning_days, warned);
    if (!days_left) continue;
    store::AlertRow row{klinik::NewUuid(),
                        clinic_id,
                        item_code,
                        store::AlertKind::kExpiringSoon,
                        lot->lot_number,
                        klinik::FormatCivilDate(lot->expiry),
                        ledger.Usable(item_code, today),
                        0,
                        now_ms,
                        std::nullopt};
    store::InsertAlert(tx, row);
    klinik::v1::PharmacyEvent e;
    auto* f = e.mutable_stock_expiring_soon();
    f->set_alert_id(row.alert_id);
    f->set_clinic_id(clinic_id);
    f->set_item_code(item_code);
    f->set_lot_number(lot->lot_number);
    f->set_expiry_date(row.expiry_date);
    f->set_days_left(*days_left);
    f->set_quantity(lot->quantity);
    SetTimestamp(now_ms, f->mutable_raised_at());
    out.Publish(settings_.output_topic, clinic_id, clinic_id, e);
    out.AfterCommit(
        [&metrics = metrics_] { metrics.AlertRaised(store::AlertKind::kExpiringSoon); });
  }
  Evaluate(out, clinic_id, item_code, ledger, now_ms);
}

}  // namespace pharmacy
