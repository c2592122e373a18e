// Consumes klinik.intake.pharmacy.v1: decode -> StockLedger -> facts. One transaction per event
// (the EventProcessor's); every clinic-scoped request first takes the clinic's row lock.
//
// Outcome mapping (the only place):
//   not a PharmacyIntake / no kind set        -> dead letter
//   ce_type not the one of the request's kind -> dead letter
//   refused by validation or by the ledger    -> DispenseRejected or PharmacyRequestRejected,
//   Rejected applied                                   -> the fact(s) and any alerts, Applied
//   StorageError                              -> propagates: the processor retries (transient)
#pragma once

#include "klinik/processor.h"
#include "klinik/v1/pharmacy.pb.h"
#include "pharmacy_metrics.h"
#include "settings.h"
#include "stock_alerts.h"

namespace pharmacy {

class IntakeHandler final : public klinik::EventHandler {
 public:
  IntakeHandler(const Settings& settings, PharmacyMetrics& metrics)
      : settings_(settings), metrics_(metrics), alerts_(settings, metrics) {}

  klinik::HandleResult Handle(const klinik::InboundEvent& event,
                              klinik::OutboxWriter& out) override;

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

  // PharmacyRequestRejected keyed by `key`.
  klinik::HandleResult Reject(klinik::OutboxWriter& out, const std::string& key,
                              const std::string& request_type, const std::string& request_id,
                              const std::string& clinic_id, const Reasons& reasons, int64_t now);
  // Loads the item's lots into a ledger (the caller holds the clinic lock).
  StockLedger LoadLedger(klinik::Transaction& tx, const std::string& clinic_id,
                         const std::set<std::string>& items);
  void RecordMovements(const StockLedger& ledger, klinik::OutboxWriter& out);

  const Settings& settings_;
  PharmacyMetrics& metrics_;
  StockAlerts alerts_;
};

}  // namespace pharmacy
