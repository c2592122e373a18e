#include "expiry_check.h"

#include <map>
#include <set>

#include "klinik/outbox.h"
#include "store.h"

namespace pharmacy {

bool ExpiryCheck::RunOnce() {
  int64_t now = settings_.now();
  klinik::CivilDate horizon =
      klinik::AddDays(settings_.calendar.DateOf(now), settings_.expiry_warning_days);
  auto candidates =
      db_.Read([&](klinik::Transaction& tx) { return store::ItemsExpiringBy(tx, horizon); });
  std::map<std::string, std::set<std::string>> by_clinic;
  for (auto& [clinic, item] : candidates) by_clinic[clinic].insert(item);
  int written = 0;
  for (const auto& [clinic, items] : by_clinic) {
    written += klinik::InOutboxTransaction(db_, source_, [&](klinik::OutboxWriter& out) {
      klinik::Transaction& tx = out.tx();
      store::LockClinic(tx, clinic);
      for (const std::string& item : items) {
        StockLedger ledger(settings_.calendar);
        for (Lot& lot : store::LoadLots(tx, clinic, {item})) ledger.Load(std::move(lot));
        alerts_.EvaluateWithExpiry(out, clinic, item, ledger, now);
      }
      return out.count();
    });
  }
  metrics_.ExpiryCheckCompleted();
  return written > 0;
}

}  // namespace pharmacy
