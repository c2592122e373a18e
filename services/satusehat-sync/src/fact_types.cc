#include "fact_types.h"

namespace satusehat_sync::fact_types {

std::string_view Of(const klinik::v1::PatientEvent& fact) {
  using E = klinik::v1::PatientEvent;
  switch (fact.kind_case()) {
    case E::kPatientRegistered:
      return "id.klinik.patient.registered.v1";
    case E::kRegistrationMatched:
      return "id.klinik.patient.registration_matched.v1";
    case E::kPatientUpdated:
      return "id.klinik.patient.updated.v1";
    case E::kRegistrationRejected:
      return "id.klinik.patient.registration_rejected.v1";
    case E::KIND_NOT_SET:
      break;
  }
  return {};
}

std::string_view Of(const klinik::v1::ScreeningEvent& fact) {
  using E = klinik::v1::ScreeningEvent;
  switch (fact.kind_case()) {
    case E::kScreeningCompleted:
      return kScreeningCompleted;
    case E::kScreeningRejected:
      return "id.klinik.screening.rejected.v1";
    case E::KIND_NOT_SET:
      break;
  }
  return {};
}

std::string_view Of(const klinik::v1::PharmacyEvent& fact) {
  using E = klinik::v1::PharmacyEvent;
  switch (fact.kind_case()) {
    case E::kStockReceived:
      return "id.klinik.pharmacy.stock_received.v1";
    case E::kMedicationDispensed:
      return kMedicationDispensed;
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
  return {};
}

std::string_view Of(const klinik::v1::ReferralEvent& fact) {
  using E = klinik::v1::ReferralEvent;
  switch (fact.kind_case()) {
    case E::kReferralCreated:
      return "id.klinik.referral.created.v1";
    case E::kReferralJoined:
      return "id.klinik.referral.joined.v1";
    case E::kReferralSent:
      return "id.klinik.referral.sent.v1";
    case E::kReferralAccepted:
      return "id.klinik.referral.accepted.v1";
    case E::kReferralRejected:
      return "id.klinik.referral.rejected.v1";
    case E::kReferralRetargeted:
      return "id.klinik.referral.retargeted.v1";
    case E::kReferralAttended:
      return "id.klinik.referral.attended.v1";
    case E::kReferralCompleted:
      return "id.klinik.referral.completed.v1";
    case E::kReferralCancelled:
      return "id.klinik.referral.cancelled.v1";
    case E::kReferralExpired:
      return "id.klinik.referral.expired.v1";
    case E::kReferralOverdue:
      return "id.klinik.referral.overdue.v1";
    case E::kReferralTransitionRejected:
      return "id.klinik.referral.transition_rejected.v1";
    case E::KIND_NOT_SET:
      break;
  }
  return {};
}

}  // namespace satusehat_sync::fact_types
