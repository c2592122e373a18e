#include "facts.h"

namespace pharmacy {

std::string FactType(const klinik::v1::PharmacyEvent& e) {
  using E = klinik::v1::PharmacyEvent;
  switch (e.kind_case()) {
    case E::kStockReceived:
      return "id.klinik.pharmacy.stock_received.v1";
    case E::kMedicationDispensed:
      return "id.klinik.pharmacy.medication_dispensed.v1";
    case E::kDispenseRejected:
      return "id.klinik.pharmacy.dispense_rejected.v1";
    case E::kStockAdjusted:
      return "id.klinik.pharmacy.stock_adjusted.v1";
    case E::kLotRecalled:
      return "id.klinik.pharmacy.lot_recalled.v1";
    case E::kStockLow:
      return "id.klinik.pharmacy.stock_low.v1";
    case E::kStockOut:
      return "id.klinik.pharmacy.stock_out.v1";
    case E::kStockExpiringSoon:
      return "id.klinik.pharmacy.stock_expiring_soon.v1";
    case E::kPharmacyRequestRejected:
      return "id.klinik.pharmacy.request_rejected.v1";
    case E::kReorderLevelSet:
      return "id.klinik.pharmacy.reorder_level_set.v1";
    case E::KIND_NOT_SET:
      break;
  }
  throw std::logic_error("PharmacyEvent without a kind");
}

void PublishFact(klinik::OutboxWriter& out, const std::string& topic, const std::string& key,
                 const klinik::v1::PharmacyEvent& event) {
  out.Publish(topic, key, FactType(event), key, event);
}

void ToProto(const Reasons& reasons, google::protobuf::RepeatedPtrField<klinik::v1::Reason>* out) {
  for (const auto& r : reasons) {
    auto* p = out->Add();
    p->set_code(r.code);
    p->set_field(r.field);
    p->set_message(r.message);
  }
}

void SetTimestamp(int64_t unix_ms, google::protobuf::Timestamp* out) {
  int64_t seconds = unix_ms >= 0 ? unix_ms / 1000 : (unix_ms - 999) / 1000;
  out->set_seconds(seconds);
  out->set_nanos(static_cast<int32_t>((unix_ms - seconds * 1000) * 1'000'000));
}

int64_t TimestampMs(const google::protobuf::Timestamp& t, int64_t fallback_ms) {
  if (t.seconds() == 0 && t.nanos() == 0) return fallback_ms;
  return klinik::ToUnixMillis(klinik::FromUnixTime(t.seconds(), t.nanos()));
}

}  // namespace pharmacy
