#include "facts.h"

namespace pharmacy {

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
