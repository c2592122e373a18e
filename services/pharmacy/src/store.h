// The pharmacy service's tables and every SQL statement it runs (SQLite and PostgreSQL).
//
// Concurrency: every request that moves a clinic's stock first calls LockClinic, which holds the
// clinic's row lock (SELECT … FOR UPDATE on PostgreSQL; SQLite serialises writers already) until
// the transaction ends, and only then reads the lots. Two replicas therefore never allocate the
// same units, whatever partition a message arrived on. A recall locks its clinics in id order,
// so two recalls cannot deadlock each other.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "alert_policy.h"
#include "domain_types.h"
#include "klinik/storage.h"
#include "stock_ledger.h"

namespace pharmacy::store {

const std::vector<klinik::Migration>& Migrations();

void LockClinic(klinik::Transaction& tx, const std::string& clinic_id);

// Every lot of these items at the clinic (all items when `items` is empty).
std::vector<Lot> LoadLots(klinik::Transaction& tx, const std::string& clinic_id,
                          const std::set<std::string>& items);
// Writes back the ledger's changed lots and appends its movements.
void SaveLedger(klinik::Transaction& tx, const std::string& clinic_id, const StockLedger& ledger);

struct ItemInfo {
  std::string item_code;
  std::string item_name;
  std::string unit;
  std::optional<int64_t> reorder_level;  // unset = the configured default
};
std::optional<ItemInfo> LoadItem(klinik::Transaction& tx, const std::string& clinic_id,
                                 const std::string& item_code);
std::vector<ItemInfo> LoadItems(klinik::Transaction& tx, const std::string& clinic_id);
// Creates the item on first receipt; keeps the first name and unit.
void EnsureItem(klinik::Transaction& tx, const std::string& clinic_id, const std::string& item_code,
                const std::string& name, const std::string& unit);
void SetReorderLevel(klinik::Transaction& tx, const std::string& clinic_id,
                     const std::string& item_code, int64_t level);

// One row per (item, lot number) across clinics, locked by both a receipt and a recall of that
// lot (before any clinic lock, so the order is always lot, then clinics): a delivery racing a
// recall is either seen by the recall or refused as recalled. Returns the recall instant, if any.
std::optional<int64_t> LockLotNumber(klinik::Transaction& tx, const std::string& item_code,
                                     const std::string& lot_number);
void MarkRecalled(klinik::Transaction& tx, const std::string& item_code,
                  const std::string& lot_number, int64_t at_ms);
// Clinics that ever received the lot, in id order.
std::vector<std::string> ClinicsWithLot(klinik::Transaction& tx, const std::string& item_code,
                                        const std::string& lot_number);

enum class AlertKind { kLow = 1, kOut = 2, kExpiringSoon = 3 };  // = klinik.v1.StockAlertKind
struct AlertRow {
  std::string alert_id;
  std::string clinic_id;
  std::string item_code;
  AlertKind kind = AlertKind::kLow;
  std::string lot_number;   // expiring only
  std::string expiry_date;  // expiring only
  int64_t usable_quantity = 0;
  int64_t reorder_level = 0;
  int64_t raised_at_ms = 0;
  std::optional<int64_t> resolved_at_ms;
};
OpenStockAlerts OpenAlerts(klinik::Transaction& tx, const std::string& clinic_id,
                           const std::string& item_code);
void InsertAlert(klinik::Transaction& tx, const AlertRow& alert);
void ResolveAlerts(klinik::Transaction& tx, const std::string& clinic_id,
                   const std::string& item_code, AlertKind kind, const std::string& lot_number,
                   int64_t at_ms);
// Open EXPIRING_SOON alerts of the item: lot numbers.
std::vector<std::string> OpenExpiryAlertLots(klinik::Transaction& tx, const std::string& clinic_id,
                                             const std::string& item_code);
bool ExpiryWarned(klinik::Transaction& tx, const std::string& clinic_id,
                  const std::string& item_code, const std::string& lot_number);
std::vector<AlertRow> ListAlerts(klinik::Transaction& tx, const std::string& clinic_id,
                                 bool open_only);

// (clinic, item) pairs with unrecalled stock on hand expiring on or before `horizon`.
std::vector<std::pair<std::string, std::string>> ItemsExpiringBy(klinik::Transaction& tx,
                                                                 const klinik::CivilDate& horizon);

// Movements of an item (one lot when `lot_number` is set) with from_ms <= at < to_ms, in the
// order they were applied.
std::vector<Movement> LoadMovements(klinik::Transaction& tx, const std::string& clinic_id,
                                    const std::string& item_code, const std::string& lot_number,
                                    int64_t from_ms, int64_t to_ms);
// Sum of deltas before `before_ms` (stock card opening balance when the range holds no entry).
int64_t BalanceBefore(klinik::Transaction& tx, const std::string& clinic_id,
                      const std::string& item_code, const std::string& lot_number,
                      int64_t before_ms);

}  // namespace pharmacy::store
