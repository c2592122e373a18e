// pharmacy's intake step without Kafka or a database: bytes → PharmacyIntake → command →
// Validate*, then an accepted command applied to a StockLedger holding a few lots made here.
// The mapping is IntakeHandler's own (ToCommand, facts.h).
// Property: the ledger's invariant, no lot ever below zero.
#include <cstddef>
#include <cstdint>

#include <google/protobuf/stubs/logging.h>

#include "facts.h"
#include "fuzz_check.h"
#include "klinik/v1/pharmacy.pb.h"
#include "stock_ledger.h"
#include "validation.h"

namespace {

using namespace pharmacy;

constexpr char kItem[] = "93001001";
const int64_t kNowMs = klinik::ToUnixMillis(klinik::StartOfDay({2026, 1, 15})) + 3 * 3'600'000;

StockLedger StockedLedger(const LocalCalendar& calendar) {
  StockLedger ledger(calendar);
  ledger.Load(Lot{kItem, "AML-1", {2026, 6, 30}, 100, kNowMs - 86'400'000, 1, std::nullopt});
  ledger.Load(Lot{kItem, "AML-2", {2027, 1, 31}, 50, kNowMs - 3'600'000, 2, std::nullopt});
  ledger.Load(Lot{kItem, "AML-0", {2025, 12, 31}, 10, kNowMs - 90 * 86'400'000LL, 0, std::nullopt});
  ledger.Load(Lot{"93002002", "PCT-7", {2026, 3, 1}, 20, kNowMs, 3, kNowMs});
  return ledger;
}

void CheckNoNegativeLot(const StockLedger& ledger) {
  for (const char* item : {kItem, "93002002"}) {
    for (const Lot* lot : ledger.LotsOf(item)) FUZZ_CHECK(lot->quantity >= 0);
  }
  for (const Lot* lot : ledger.ChangedLots()) FUZZ_CHECK(lot->quantity >= 0);
}

void Apply(const klinik::v1::PharmacyIntake& intake, const LocalCalendar& calendar) {
  StockLedger ledger = StockedLedger(calendar);
  Reasons reasons;
  using K = klinik::v1::PharmacyIntake;
  switch (intake.kind_case()) {
    case K::kReceiveStock: {
      ReceiveCommand c = ToCommand(intake.receive_stock(), kNowMs);
      ValidateReceive(c, calendar, reasons);
      if (reasons.empty()) (void)ledger.Receive(c);
      break;
    }
    case K::kDispenseMedication: {
      DispenseCommand c = ToCommand(intake.dispense_medication(), kNowMs);
      ValidateDispense(c, reasons);
      if (reasons.empty()) (void)ledger.Dispense(c);
      break;
    }
    case K::kAdjustStock: {
      AdjustCommand c = ToCommand(intake.adjust_stock(), kNowMs);
      ValidateAdjust(c, reasons);
      if (reasons.empty()) (void)ledger.Adjust(c);
      break;
    }
    case K::kRecallLot: {
      RecallCommand c = ToCommand(intake.recall_lot(), kNowMs);
      ValidateRecall(c, reasons);
      if (reasons.empty()) (void)ledger.Recall(c);
      break;
    }
    case K::kSetReorderLevel: {
      ReorderLevelCommand c = ToCommand(intake.set_reorder_level());
      ValidateReorderLevel(c, reasons);
      google::protobuf::Timestamp set_at;
      SetTimestamp(TimestampMs(intake.set_reorder_level().set_at(), kNowMs), &set_at);
      break;
    }
    case K::KIND_NOT_SET:
      break;
  }
  CheckNoNegativeLot(ledger);
  for (const Reason& r : reasons) FUZZ_CHECK(!r.code.empty());
}

}  // namespace

// libprotobuf logs every string field with invalid UTF-8 it refuses; ParseFromArray's result
// already says so, and the log would drown the fuzzer's own output.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  klinik::v1::PharmacyIntake intake;
  if (!intake.ParseFromArray(data, static_cast<int>(size))) return 0;
  Apply(intake, LocalCalendar{});
  return 0;
}
