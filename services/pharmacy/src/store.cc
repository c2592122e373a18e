#include "store.h"

namespace pharmacy::store {
namespace {

using klinik::Params;
using klinik::Row;
using klinik::Transaction;

Lot LotFromRow(const Row& r) {
  // item_code, lot_number, expiry_date, quantity, received_at, seq, recalled_at
  Lot lot;
  lot.item_code = r.Text(0);
  lot.lot_number = r.Text(1);
  lot.expiry = klinik::ParseCivilDate(r.Text(2)).value_or(klinik::CivilDate{});
  lot.quantity = r.Int(3);
  lot.received_at_ms = r.Int(4);
  lot.seq = r.Int(5);
  lot.recalled_at_ms = r.OptInt(6);
  return lot;
}

constexpr const char* kLotColumns =
    "SELECT item_code, lot_number, expiry_date, quantity, received_at, seq, recalled_at FROM "
    "pharmacy_lots ";

AlertRow AlertFromRow(const Row& r) {
  AlertRow a;
  a.alert_id = r.Text(0);
  a.clinic_id = r.Text(1);
  a.item_code = r.Text(2);
  a.kind = static_cast<AlertKind>(r.Int(3));
  a.lot_number = r.Text(4);
  a.expiry_date = r.Text(5);
  a.usable_quantity = r.Int(6);
  a.reorder_level = r.Int(7);
  a.raised_at_ms = r.Int(8);
  a.resolved_at_ms = r.OptInt(9);
  return a;
}

}  // namespace

const std::vector<klinik::Migration>& Migrations() {
  static const std::vector<klinik::Migration> kMigrations = {
      {1, "stock ledger",
       // One row per clinic: the lock that serialises the clinic's movements across replicas.
       "CREATE TABLE pharmacy_clinics ("
       "  clinic_id TEXT PRIMARY KEY,"
       "  created_at BIGINT NOT NULL);"
       "CREATE TABLE pharmacy_items ("
       "  clinic_id TEXT NOT NULL,"
       "  item_code TEXT NOT NULL,"
       "  item_name TEXT NOT NULL,"
       "  unit TEXT NOT NULL,"
       "  reorder_level BIGINT,"  // NULL = KLINIK_DEFAULT_REORDER_LEVEL
       "  PRIMARY KEY (clinic_id, item_code));"
       "CREATE TABLE pharmacy_lots ("
       "  clinic_id TEXT NOT NULL,"
       "  item_code TEXT NOT NULL,"
       "  lot_number TEXT NOT NULL,"
       "  expiry_date TEXT NOT NULL,"  // YYYY-MM-DD
       "  quantity BIGINT NOT NULL CHECK (quantity >= 0),"
       "  received_at BIGINT NOT NULL,"  // unix ms of first receipt
       "  seq BIGINT NOT NULL,"
       "  recalled_at BIGINT,"
       "  PRIMARY KEY (clinic_id, item_code, lot_number));"
       "CREATE INDEX pharmacy_lots_by_lot ON pharmacy_lots (item_code, lot_number);"
       "CREATE INDEX pharmacy_lots_by_expiry ON pharmacy_lots (expiry_date) WHERE quantity > 0;"
       "CREATE TABLE pharmacy_movements ("
       "  id {{AUTOINCREMENT}},"
       "  clinic_id TEXT NOT NULL,"
       "  item_code TEXT NOT NULL,"
       "  lot_number TEXT NOT NULL,"
       "  kind INTEGER NOT NULL,"    // klinik.v1.MovementKind
       "  reason INTEGER NOT NULL,"  // klinik.v1.AdjustmentReason
       "  delta BIGINT NOT NULL,"
       "  lot_balance BIGINT NOT NULL,"
       "  item_balance BIGINT NOT NULL,"
       "  reference TEXT NOT NULL,"
       "  request_id TEXT NOT NULL,"
       "  at BIGINT NOT NULL);"  // unix ms
       "CREATE INDEX pharmacy_movements_card ON pharmacy_movements (clinic_id, item_code, at);"
       "CREATE TABLE pharmacy_lot_numbers ("
       "  item_code TEXT NOT NULL,"
       "  lot_number TEXT NOT NULL,"
       "  recalled_at BIGINT,"  // set by the first recall; later deliveries are refused
       "  PRIMARY KEY (item_code, lot_number));"
       "CREATE TABLE pharmacy_alerts ("
       "  alert_id TEXT PRIMARY KEY,"
       "  clinic_id TEXT NOT NULL,"
       "  item_code TEXT NOT NULL,"
       "  kind INTEGER NOT NULL,"  // klinik.v1.StockAlertKind
       "  lot_number TEXT NOT NULL,"
       "  expiry_date TEXT NOT NULL,"
       "  usable_quantity BIGINT NOT NULL,"
       "  reorder_level BIGINT NOT NULL,"
       "  raised_at BIGINT NOT NULL,"
       "  resolved_at BIGINT);"
       "CREATE INDEX pharmacy_alerts_item ON pharmacy_alerts (clinic_id, item_code, kind, "
       "lot_number);"},
  };
  return kMigrations;
}

void LockClinic(Transaction& tx, const std::string& clinic_id) {
  tx.Execute(
      "INSERT INTO pharmacy_clinics (clinic_id, created_at) VALUES ($1, $2) ON CONFLICT "
      "(clinic_id) DO NOTHING",
      {clinic_id, klinik::ToUnixMillis(klinik::Clock::now())});
  tx.Query(
      "SELECT clinic_id FROM pharmacy_clinics WHERE clinic_id = $1" + std::string(tx.ForUpdate()),
      {clinic_id});
}

std::vector<Lot> LoadLots(Transaction& tx, const std::string& clinic_id,
                          const std::set<std::string>& items) {
  std::vector<Lot> out;
  if (items.empty()) {
    for (const Row& r : tx.Query(std::string(kLotColumns) + "WHERE clinic_id = $1", {clinic_id})) {
      out.push_back(LotFromRow(r));
    }
    return out;
  }
  for (const std::string& item : items) {
    for (const Row& r :
         tx.Query(std::string(kLotColumns) + "WHERE clinic_id = $1 AND item_code = $2",
                  {clinic_id, item})) {
      out.push_back(LotFromRow(r));
    }
  }
  return out;
}

void SaveLedger(Transaction& tx, const std::string& clinic_id, const StockLedger& ledger) {
  for (const Lot* lot : ledger.ChangedLots()) {
    tx.Execute(
        "INSERT INTO pharmacy_lots (clinic_id, item_code, lot_number, expiry_date, quantity, "
        "received_at, seq, "
        "recalled_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (clinic_id, item_code, "
        "lot_number) DO "
        "UPDATE SET quantity = excluded.quantity, recalled_at = excluded.recalled_at",
        {clinic_id, lot->item_code, lot->lot_number, klinik::FormatCivilDate(lot->expiry),
         lot->quantity, lot->received_at_ms, lot->seq, klinik::Nullable(lot->recalled_at_ms)});
  }
  for (const Movement& m : ledger.movements()) {
    tx.Execute(
        "INSERT INTO pharmacy_movements (clinic_id, item_code, lot_number, kind, reason, delta, "
        "lot_balance, "
        "item_balance, reference, request_id, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, "
        "$11)",
        {clinic_id, m.item_code, m.lot_number, int64_t{static_cast<int>(m.kind)},
         int64_t{static_cast<int>(m.reason)}, m.delta, m.lot_balance, m.item_balance, m.reference,
         m.request_id, m.at_ms});
  }
}

std::optional<ItemInfo> LoadItem(Transaction& tx, const std::string& clinic_id,
                                 const std::string& item_code) {
  auto rows = tx.Query(
      "SELECT item_code, item_name, unit, reorder_level FROM pharmacy_items WHERE clinic_id = $1 "
      "AND item_code = $2",
      {clinic_id, item_code});
  if (rows.empty()) return std::nullopt;
  return ItemInfo{rows[0].Text(0), rows[0].Text(1), rows[0].Text(2), rows[0].OptInt(3)};
}

std::vector<ItemInfo> LoadItems(Transaction& tx, const std::string& clinic_id) {
  std::vector<ItemInfo> out;
  for (const Row& r :
       tx.Query("SELECT item_code, item_name, unit, reorder_level FROM pharmacy_items WHERE "
                "clinic_id = $1 ORDER BY item_code",
                {clinic_id})) {
    out.push_back({r.Text(0), r.Text(1), r.Text(2), r.OptInt(3)});
  }
  return out;
}

void EnsureItem(Transaction& tx, const std::string& clinic_id, const std::string& item_code,
                const std::string& name, const std::string& unit) {
  tx.Execute(
      "INSERT INTO pharmacy_items (clinic_id, item_code, item_name, unit) VALUES ($1, $2, $3, $4) "
      "ON CONFLICT (clinic_id, item_code) DO NOTHING",
      {clinic_id, item_code, name, unit});
  // An item first named by SetReorderLevel has no name or unit yet: the first delivery fills them.
  tx.Execute(
      "UPDATE pharmacy_items SET item_name = $3, unit = $4 WHERE clinic_id = $1 AND item_code = $2 "
      "AND unit = ''",
      {clinic_id, item_code, name, unit});
}

void SetReorderLevel(Transaction& tx, const std::string& clinic_id, const std::string& item_code,
                     int64_t level) {
  tx.Execute(
      "INSERT INTO pharmacy_items (clinic_id, item_code, item_name, unit, reorder_level) VALUES "
      "($1, $2, '', '', $3) "
      "ON CONFLICT (clinic_id, item_code) DO UPDATE SET reorder_level = excluded.reorder_level",
      {clinic_id, item_code, level});
}

std::optional<int64_t> LockLotNumber(Transaction& tx, const std::string& item_code,
                                     const std::string& lot_number) {
  tx.Execute(
      "INSERT INTO pharmacy_lot_numbers (item_code, lot_number) VALUES ($1, $2) "
      "ON CONFLICT (item_code, lot_number) DO NOTHING",
      {item_code, lot_number});
  auto rows = tx.Query(
      "SELECT recalled_at FROM pharmacy_lot_numbers WHERE item_code = $1 AND lot_number = $2" +
          std::string(tx.ForUpdate()),
      {item_code, lot_number});
  return rows.empty() ? std::nullopt : rows[0].OptInt(0);
}

void MarkRecalled(Transaction& tx, const std::string& item_code, const std::string& lot_number,
                  int64_t at_ms) {
  tx.Execute(
      "UPDATE pharmacy_lot_numbers SET recalled_at = $3 WHERE item_code = $1 AND lot_number = $2 "
      "AND "
      "recalled_at IS NULL",
      {item_code, lot_number, at_ms});
}

std::vector<std::string> ClinicsWithLot(Transaction& tx, const std::string& item_code,
                                        const std::string& lot_number) {
  std::vector<std::string> out;
  for (const Row& r :
       tx.Query("SELECT clinic_id FROM pharmacy_lots WHERE item_code = $1 AND lot_number = $2 "
                "ORDER BY clinic_id",
                {item_code, lot_number})) {
    out.push_back(r.Text(0));
  }
  return out;
}

OpenStockAlerts OpenAlerts(Transaction& tx, const std::string& clinic_id,
                           const std::string& item_code) {
  OpenStockAlerts open;
  for (const Row& r :
       tx.Query("SELECT kind FROM pharmacy_alerts WHERE clinic_id = $1 AND item_code = $2 AND "
                "resolved_at IS NULL AND kind IN (1, 2)",
                {clinic_id, item_code})) {
    if (r.Int(0) == static_cast<int>(AlertKind::kLow)) open.low = true;
    if (r.Int(0) == static_cast<int>(AlertKind::kOut)) open.out = true;
  }
  return open;
}

void InsertAlert(Transaction& tx, const AlertRow& a) {
  tx.Execute(
      "INSERT INTO pharmacy_alerts (alert_id, clinic_id, item_code, kind, lot_number, expiry_date, "
      "usable_quantity, "
      "reorder_level, raised_at, resolved_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL)",
      {a.alert_id, a.clinic_id, a.item_code, int64_t{static_cast<int>(a.kind)}, a.lot_number,
       a.expiry_date, a.usable_quantity, a.reorder_level, a.raised_at_ms});
}

void ResolveAlerts(Transaction& tx, const std::string& clinic_id, const std::string& item_code,
                   AlertKind kind, const std::string& lot_number, int64_t at_ms) {
  tx.Execute(
      "UPDATE pharmacy_alerts SET resolved_at = $5 WHERE clinic_id = $1 AND item_code = $2 AND "
      "kind = $3 AND "
      "lot_number = $4 AND resolved_at IS NULL",
      {clinic_id, item_code, int64_t{static_cast<int>(kind)}, lot_number, at_ms});
}

std::vector<std::string> OpenExpiryAlertLots(Transaction& tx, const std::string& clinic_id,
                                             const std::string& item_code) {
  std::vector<std::string> out;
  for (const Row& r : tx.Query(
           "SELECT lot_number FROM pharmacy_alerts WHERE clinic_id = $1 AND item_code = $2 AND "
           "kind = 3 AND resolved_at IS NULL",
           {clinic_id, item_code})) {
    out.push_back(r.Text(0));
  }
  return out;
}

bool ExpiryWarned(Transaction& tx, const std::string& clinic_id, const std::string& item_code,
                  const std::string& lot_number) {
  return !tx.Query(
                "SELECT 1 FROM pharmacy_alerts WHERE clinic_id = $1 AND item_code = $2 AND kind = "
                "3 AND "
                "lot_number = $3",
                {clinic_id, item_code, lot_number})
              .empty();
}

std::vector<AlertRow> ListAlerts(Transaction& tx, const std::string& clinic_id, bool open_only) {
  std::string sql =
      "SELECT alert_id, clinic_id, item_code, kind, lot_number, expiry_date, usable_quantity, "
      "reorder_level, "
      "raised_at, resolved_at FROM pharmacy_alerts WHERE clinic_id = $1";
  if (open_only) sql += " AND resolved_at IS NULL";
  sql += " ORDER BY raised_at DESC, alert_id";
  std::vector<AlertRow> out;
  for (const Row& r : tx.Query(sql, {clinic_id})) out.push_back(AlertFromRow(r));
  return out;
}

std::vector<std::pair<std::string, std::string>> ItemsExpiringBy(Transaction& tx,
                                                                 const klinik::CivilDate& horizon) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const Row& r :
       tx.Query("SELECT DISTINCT clinic_id, item_code FROM pharmacy_lots WHERE quantity > 0 AND "
                "recalled_at IS NULL AND expiry_date <= $1 ORDER BY clinic_id, item_code",
                {klinik::FormatCivilDate(horizon)})) {
    out.emplace_back(r.Text(0), r.Text(1));
  }
  return out;
}

std::vector<Movement> LoadMovements(Transaction& tx, const std::string& clinic_id,
                                    const std::string& item_code, const std::string& lot_number,
                                    int64_t from_ms, int64_t to_ms) {
  std::string sql =
      "SELECT item_code, lot_number, kind, reason, delta, lot_balance, item_balance, reference, "
      "request_id, at "
      "FROM pharmacy_movements WHERE clinic_id = $1 AND item_code = $2 AND at >= $3 AND at < $4";
  Params params{clinic_id, item_code, from_ms, to_ms};
  if (!lot_number.empty()) {
    sql += " AND lot_number = $5";
    params.emplace_back(lot_number);
  }
  sql += " ORDER BY id";
  std::vector<Movement> out;
  for (const Row& r : tx.Query(sql, params)) {
    out.push_back(Movement{r.Text(0), r.Text(1), static_cast<MovementKind>(r.Int(2)),
                           static_cast<AdjustmentReason>(r.Int(3)), r.Int(4), r.Int(5), r.Int(6),
                           r.Text(7), r.Text(8), r.Int(9)});
  }
  return out;
}

int64_t BalanceBefore(Transaction& tx, const std::string& clinic_id, const std::string& item_code,
                      const std::string& lot_number, int64_t before_ms) {
  std::string sql =
      "SELECT COALESCE(SUM(delta), 0) FROM pharmacy_movements WHERE clinic_id = $1 AND item_code = "
      "$2 AND at < $3";
  Params params{clinic_id, item_code, before_ms};
  if (!lot_number.empty()) {
    sql += " AND lot_number = $4";
    params.emplace_back(lot_number);
  }
  auto rows = tx.Query(sql, params);
  return rows.empty() ? 0 : rows[0].Int(0);
}

}  // namespace pharmacy::store
