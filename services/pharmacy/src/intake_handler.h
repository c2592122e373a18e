// Consumes klinik.intake.pharmacy.v1: one function per PharmacyIntake case -> StockLedger ->
// facts. One transaction per event (the EventProcessor's); every clinic-scoped request first
// takes the clinic's row lock.
//
// Outcome mapping (the only place; the first two are TypedHandler's, before any state changes):
//   not a PharmacyIntake / no kind set        -> dead letter
//   ce_type not the one of the request's kind -> dead letter (pharmacy.proto's ce_type options)
//   refused by validation or by the ledger    -> DispenseRejected or PharmacyRequestRejected,
//   Rejected applied                                   -> the fact(s) and any alerts, Applied
//   StorageError                              -> propagates: the processor retries (transient)
#pragma once

#include "klinik/typed_handler.h"
#include "klinik/v1/pharmacy.pb.h"
#include "service_metrics.h"
#include "settings.h"
#include "stock_alerts.h"

namespace pharmacy {

class IntakeHandler final : public klinik::TypedHandler {
 public:
  // Takes PharmacyIntake on settings.intake_topic; publishes on settings.output_topic.
  IntakeHandler(const Settings& settings, ServiceMetrics& metrics);

 private:
  klinik::HandleResult Receive(const klinik::v1::ReceiveStock& m, klinik::OutboxWriter& out,
                               int64_t now);
  klinik::HandleResult Dispense(const klinik::v1::DispenseMedication& m, klinik::OutboxWriter& out,
                                int64_t now);
  klinik::HandleResult Adjust(const klinik::v1::AdjustStock& m, klinik::OutboxWriter& out,
                              int64_t now);
  klinik::HandleResult Recall(const klinik::v1::RecallLot& m, klinik::OutboxWriter& out,
                              int64_t now);
  klinik::HandleResult SetLevel(const klinik::v1::SetReorderLevel& m, klinik::OutboxWriter& out,
                                int64_t now);

  // PharmacyRequestRejected keyed by `key`; its request_type is the ce_type of `request`.
  klinik::HandleResult Reject(klinik::OutboxWriter& out, const std::string& key,
                              klinik::v1::PharmacyIntake::KindCase request,
                              const std::string& request_id, const std::string& clinic_id,
                              const Reasons& reasons, int64_t now);
  // Loads the item's lots into a ledger (the caller holds the clinic lock).
  StockLedger LoadLedger(klinik::Transaction& tx, const std::string& clinic_id,
                         const std::set<std::string>& items);
  void RecordMovements(const StockLedger& ledger, klinik::OutboxWriter& out);

  const Settings& settings_;
  ServiceMetrics& metrics_;
  StockAlerts alerts_;
};

}  // namespace pharmacy
