#include "grpc_service.h"

#include <algorithm>
#include <limits>

#include "facts.h"
#include "klinik/grpc.h"
#include "stock_ledger.h"
#include "store.h"
#include "validation.h"

namespace pharmacy {
namespace {

using klinik::v1::ItemStock;

grpc::Status Invalid(const std::string& why) { return {grpc::StatusCode::INVALID_ARGUMENT, why}; }

// Runs a read; a storage failure becomes the platform's status for it.
template <typename Fn>
grpc::Status Guarded(const char* method, Fn&& fn) {
  try {
    return fn();
  } catch (const klinik::StorageError& e) {
    return klinik::StorageErrorStatus(e, method);
  }
}

void FillItemStock(const store::ItemInfo& item, const std::string& clinic_id,
                   const std::vector<Lot>& lots, int64_t default_level,
                   const klinik::CivilDate& today, ItemStock* out) {
  StockLedger ledger;
  for (const Lot& lot : lots) ledger.Load(lot);
  out->set_clinic_id(clinic_id);
  out->set_item_code(item.item_code);
  out->set_item_name(item.item_name);
  out->set_unit(item.unit);
  out->set_usable_quantity(ledger.Usable(item.item_code, today));
  out->set_unusable_quantity(ledger.Unusable(item.item_code, today));
  out->set_reorder_level(item.reorder_level.value_or(default_level));
  for (const Lot* lot : ledger.LotsOf(item.item_code)) {
    if (lot->quantity == 0) continue;
    auto* l = out->add_lots();
    l->set_lot_number(lot->lot_number);
    l->set_expiry_date(klinik::FormatCivilDate(lot->expiry));
    l->set_quantity(lot->quantity);
    l->set_state(static_cast<klinik::v1::LotState>(StateOf(*lot, today)));
    SetTimestamp(lot->received_at_ms, l->mutable_received_at());
  }
}

}  // namespace

grpc::Status GrpcService::GetStock(grpc::ServerContext*, const klinik::v1::GetStockRequest* request,
                                   klinik::v1::GetStockResponse* response) {
  if (request->clinic_id().empty()) return Invalid("clinic_id is required");
  if (!IsDispensableKfaCode(request->item_code()))
    return Invalid("item_code: expected 8 digits starting 93 or 94");
  return Guarded("GetStock", [&] {
    return db_.Read([&](klinik::Transaction& tx) -> grpc::Status {
      auto lots = store::LoadLots(tx, request->clinic_id(), {request->item_code()});
      auto item = store::LoadItem(tx, request->clinic_id(), request->item_code());
      if (lots.empty() || !item)
        return {grpc::StatusCode::NOT_FOUND, "the clinic never received this item"};
      FillItemStock(*item, request->clinic_id(), lots, settings_.default_reorder_level,
                    settings_.calendar.DateOf(settings_.now()), response->mutable_stock());
      return grpc::Status::OK;
    });
  });
}

grpc::Status GrpcService::ListStock(grpc::ServerContext*,
                                    const klinik::v1::ListStockRequest* request,
                                    klinik::v1::ListStockResponse* response) {
  if (request->clinic_id().empty()) return Invalid("clinic_id is required");
  return Guarded("ListStock", [&] {
    return db_.Read([&](klinik::Transaction& tx) -> grpc::Status {
      klinik::CivilDate today = settings_.calendar.DateOf(settings_.now());
      for (const auto& item : store::LoadItems(tx, request->clinic_id())) {
        auto lots = store::LoadLots(tx, request->clinic_id(), {item.item_code});
        if (lots.empty()) continue;  // only a reorder level was set
        FillItemStock(item, request->clinic_id(), lots, settings_.default_reorder_level, today,
                      response->add_items());
      }
      return grpc::Status::OK;
    });
  });
}

grpc::Status GrpcService::GetStockCard(grpc::ServerContext*,
                                       const klinik::v1::GetStockCardRequest* request,
                                       klinik::v1::GetStockCardResponse* response) {
  if (request->clinic_id().empty()) return Invalid("clinic_id is required");
  if (!IsDispensableKfaCode(request->item_code()))
    return Invalid("item_code: expected 8 digits starting 93 or 94");
  int64_t from = std::numeric_limits<int64_t>::min();
  int64_t to = std::numeric_limits<int64_t>::max();
  if (!request->from_date().empty()) {
    auto d = klinik::ParseCivilDate(request->from_date());
    if (!d) return Invalid("from_date: expected YYYY-MM-DD");
    from = settings_.calendar.StartOf(*d);
  }
  if (!request->to_date().empty()) {
    auto d = klinik::ParseCivilDate(request->to_date());
    if (!d) return Invalid("to_date: expected YYYY-MM-DD");
    to = settings_.calendar.StartOf(klinik::AddDays(*d, 1));
  }
  if (from >= to) return Invalid("from_date is after to_date");
  const std::string& lot = request->lot_number();
  return Guarded("GetStockCard", [&] {
    return db_.Read([&](klinik::Transaction& tx) -> grpc::Status {
      auto movements =
          store::LoadMovements(tx, request->clinic_id(), request->item_code(), lot, from, to);
      auto balance = [&](const Movement& m) {
        return lot.empty() ? m.item_balance : m.lot_balance;
      };
      // Entries are in the order they were applied, so the balance before the first is exact
      // even when a late message carries an earlier instant.
      response->set_opening_balance(
          movements.empty()
              ? store::BalanceBefore(tx, request->clinic_id(), request->item_code(), lot, from)
              : balance(movements.front()) - movements.front().delta);
      for (const Movement& m : movements) {
        auto* e = response->add_entries();
        SetTimestamp(m.at_ms, e->mutable_at());
        e->set_movement(static_cast<klinik::v1::MovementKind>(m.kind));
        e->set_reason(static_cast<klinik::v1::AdjustmentReason>(m.reason));
        e->set_reference(m.reference);
        e->set_lot_number(m.lot_number);
        e->set_delta(m.delta);
        e->set_running_balance(balance(m));
        e->set_request_id(m.request_id);
      }
      return grpc::Status::OK;
    });
  });
}

grpc::Status GrpcService::ListAlerts(grpc::ServerContext*,
                                     const klinik::v1::ListAlertsRequest* request,
                                     klinik::v1::ListAlertsResponse* response) {
  if (request->clinic_id().empty()) return Invalid("clinic_id is required");
  return Guarded("ListAlerts", [&] {
    return db_.Read([&](klinik::Transaction& tx) -> grpc::Status {
      for (const auto& a : store::ListAlerts(tx, request->clinic_id(), request->open_only())) {
        auto* p = response->add_alerts();
        p->set_alert_id(a.alert_id);
        p->set_clinic_id(a.clinic_id);
        p->set_item_code(a.item_code);
        p->set_kind(static_cast<klinik::v1::StockAlertKind>(a.kind));
        p->set_lot_number(a.lot_number);
        p->set_expiry_date(a.expiry_date);
        p->set_usable_quantity(a.usable_quantity);
        if (a.kind == store::AlertKind::kLow) p->set_reorder_level(a.reorder_level);
        SetTimestamp(a.raised_at_ms, p->mutable_raised_at());
        if (a.resolved_at_ms) SetTimestamp(*a.resolved_at_ms, p->mutable_resolved_at());
      }
      return grpc::Status::OK;
    });
  });
}

grpc::Status GrpcService::GetMonthlyReport(grpc::ServerContext*,
                                           const klinik::v1::GetMonthlyReportRequest* request,
                                           klinik::v1::GetMonthlyReportResponse* response) {
  if (request->clinic_id().empty()) return Invalid("clinic_id is required");
  auto period = MonthPeriod(request->month());
  if (!period) return Invalid("month: expected YYYY-MM");
  // The running month is reported up to today.
  klinik::CivilDate tomorrow = klinik::AddDays(settings_.calendar.DateOf(settings_.now()), 1);
  if (tomorrow < period->end_day) period->end_day = tomorrow;
  if (!(period->first_day < period->end_day)) return Invalid("month: lies in the future");
  response->set_clinic_id(request->clinic_id());
  response->set_month(request->month());
  return Guarded("GetMonthlyReport", [&] {
    return db_.Read([&](klinik::Transaction& tx) -> grpc::Status {
      int64_t start = settings_.calendar.StartOf(period->first_day);
      int64_t end = settings_.calendar.StartOf(period->end_day);
      for (const auto& item : store::LoadItems(tx, request->clinic_id())) {
        auto lots = store::LoadLots(tx, request->clinic_id(), {item.item_code});
        if (lots.empty()) continue;
        auto movements = store::LoadMovements(tx, request->clinic_id(), item.item_code, "",
                                              std::numeric_limits<int64_t>::min(), end);
        MonthlyLine line =
            ComputeMonthlyLine(lots, movements, *period, settings_.calendar, settings_.report);
        bool moved = std::any_of(movements.begin(), movements.end(),
                                 [&](const Movement& m) { return m.at_ms >= start; });
        if (line.opening == 0 && line.closing == 0 && !moved) continue;
        auto* p = response->add_lines();
        p->set_item_code(item.item_code);
        p->set_item_name(item.item_name);
        p->set_unit(item.unit);
        p->set_opening(line.opening);
        p->set_received(line.received);
        p->set_available(line.available);
        p->set_used(line.used);
        p->set_closing(line.closing);
        p->set_optimum(line.optimum);
        p->set_request(line.request);
        p->set_dispensed(line.dispensed);
      }
      return grpc::Status::OK;
    });
  });
}

}  // namespace pharmacy
