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

ReceiveCommand ToCommand(const klinik::v1::ReceiveStock& m, int64_t now_ms) {
  return {m.request_id(),        m.clinic_id(),
          m.item_code(),         m.item_name(),
          m.lot_number(),        m.expiry_date(),
          m.quantity(),          m.unit(),
          m.delivery_note_ref(), TimestampMs(m.received_at(), now_ms)};
}

DispenseCommand ToCommand(const klinik::v1::DispenseMedication& m, int64_t now_ms) {
  DispenseCommand c{m.request_id(),
                    m.clinic_id(),
                    m.patient_id(),
                    m.prescription_id(),
                    {},
                    m.dispensed_by(),
                    TimestampMs(m.dispensed_at(), now_ms)};
  for (const auto& line : m.lines()) {
    c.lines.push_back({line.line_no(), line.item_code(), line.quantity()});
  }
  return c;
}

AdjustCommand ToCommand(const klinik::v1::AdjustStock& m, int64_t now_ms) {
  AdjustCommand c{
      m.request_id(),
      m.clinic_id(),
      m.item_code(),
      m.lot_number(),
      static_cast<AdjustmentReason>(m.reason()),
      m.quantity_delta(),
      m.has_counted_quantity() ? std::optional<int64_t>(m.counted_quantity()) : std::nullopt,
      m.note(),
      m.adjusted_by(),
      TimestampMs(m.adjusted_at(), now_ms)};
  if (m.reason() < 0 || m.reason() > klinik::v1::ADJUSTMENT_REASON_RECALLED)
    c.reason = AdjustmentReason::kUnspecified;
  return c;
}

RecallCommand ToCommand(const klinik::v1::RecallLot& m, int64_t now_ms) {
  return {m.request_id(), m.item_code(), m.lot_number(), m.reason(),
          TimestampMs(m.recalled_at(), now_ms)};
}

ReorderLevelCommand ToCommand(const klinik::v1::SetReorderLevel& m) {
  return {m.request_id(), m.clinic_id(), m.item_code(), m.reorder_level()};
}

}  // namespace pharmacy
