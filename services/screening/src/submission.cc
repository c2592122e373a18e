#include "submission.h"

#include <algorithm>
#include <cctype>

namespace screening {
namespace {

constexpr size_t kMaxOpaqueIdLength = 64;           // common.proto: request_id and clinic_id
constexpr size_t kMaxWithdrawalReasonLength = 200;  // screening.proto: WithdrawScreening.reason

bool IsNik(const std::string& s) {
  return s.size() == 16 && std::all_of(s.begin(), s.end(), [](char c) {
           return std::isdigit(static_cast<unsigned char>(c));
         });
}

}  // namespace

std::vector<RejectionReason> ValidateWithdrawal(const klinik::v1::WithdrawScreening& w) {
  std::vector<RejectionReason> out;
  if (w.request_id().empty() || w.request_id().size() > kMaxOpaqueIdLength) {
    out.push_back(
        {"REQUEST_ID_FORMAT", "request_id", "request_id is required, at most 64 characters"});
  }
  if (!klinik::IsUuid(w.screening_id())) {
    out.push_back({"SCREENING_ID_FORMAT", "screening_id", "screening_id must be a UUID"});
  }
  if (!klinik::IsUuid(w.patient_id())) {
    out.push_back({"PATIENT_ID_FORMAT", "patient_id", "patient_id must be a UUID"});
  }
  if (w.clinic_id().empty() || w.clinic_id().size() > kMaxOpaqueIdLength) {
    out.push_back(
        {"CLINIC_ID_FORMAT", "clinic_id", "clinic_id is required, at most 64 characters"});
  }
  if (!IsNik(w.withdrawn_by())) {
    out.push_back({"WITHDRAWN_BY_FORMAT", "withdrawn_by", "withdrawn_by must be a NIK, 16 digits"});
  }
  if (w.reason().empty() || w.reason().size() > kMaxWithdrawalReasonLength) {
    out.push_back({"REASON_FORMAT", "reason", "reason is required, at most 200 characters"});
  }
  return out;
}

std::vector<RejectionReason> ValidateSubmission(const klinik::v1::SubmitScreening& s,
                                                klinik::TimePoint now) {
  std::vector<RejectionReason> out;
  if (s.request_id().empty()) {
    out.push_back({"REQUEST_ID_MISSING", "request_id", "request_id is required"});
  } else if (s.request_id().size() > kMaxOpaqueIdLength) {
    out.push_back({"REQUEST_ID_TOO_LONG", "request_id", "request_id has at most 64 characters"});
  }
  if (!s.screening_id().empty() && !klinik::IsUuid(s.screening_id())) {
    out.push_back({"SCREENING_ID_FORMAT", "screening_id", "screening_id must be a UUID or empty"});
  }
  if (!s.patient_id().empty()) {
    if (!klinik::IsUuid(s.patient_id())) {
      out.push_back({"PATIENT_ID_FORMAT", "patient_id", "patient_id must be a UUID"});
    }
  } else if (s.nik().empty()) {
    out.push_back({"PATIENT_ID_MISSING", "patient_id", "give patient_id or nik"});
  } else if (!IsNik(s.nik())) {
    out.push_back({"NIK_FORMAT", "nik", "nik must be 16 digits"});
  }
  if (s.clinic_id().empty()) {
    out.push_back({"CLINIC_ID_MISSING", "clinic_id", "clinic_id is required"});
  } else if (s.clinic_id().size() > kMaxOpaqueIdLength) {
    out.push_back({"CLINIC_ID_TOO_LONG", "clinic_id", "clinic_id has at most 64 characters"});
  }
  if (!IsNik(s.examiner_id())) {
    out.push_back({"EXAMINER_ID_FORMAT", "examiner_id",
                   "examiner_id must be the health worker's NIK, 16 digits"});
  }
  std::optional<klinik::TimePoint> measured_at = klinik::FromTimestampIfSet(s.measured_at());
  if (!measured_at) {
    out.push_back({"MEASURED_AT_MISSING", "measured_at", "measured_at is required"});
  } else if (*measured_at > now + kFutureTolerance) {
    out.push_back({"MEASURED_AT_IN_FUTURE", "measured_at",
                   "measured_at is in the future; check the device clock"});
  }
  return out;
}

MeasurementValues FromProto(const klinik::v1::Measurements& m) {
  MeasurementValues v;
  if (m.has_systolic_mmhg()) v.systolic_mmhg = m.systolic_mmhg();
  if (m.has_diastolic_mmhg()) v.diastolic_mmhg = m.diastolic_mmhg();
  if (m.has_heart_rate_bpm()) v.heart_rate_bpm = m.heart_rate_bpm();
  if (m.has_glucose_mg_dl()) v.glucose_mg_dl = m.glucose_mg_dl();
  v.glucose_kind = m.glucose_kind();
  if (m.has_hba1c_percent()) v.hba1c_percent = m.hba1c_percent();
  if (m.has_weight_kg()) v.weight_kg = m.weight_kg();
  if (m.has_height_cm()) v.height_cm = m.height_cm();
  if (m.has_bmi_kg_m2()) v.bmi_kg_m2 = m.bmi_kg_m2();
  if (m.has_waist_cm()) v.waist_cm = m.waist_cm();
  if (m.has_total_cholesterol_mg_dl()) v.total_cholesterol_mg_dl = m.total_cholesterol_mg_dl();
  if (m.has_uric_acid_mg_dl()) v.uric_acid_mg_dl = m.uric_acid_mg_dl();
  v.smoking_status = m.smoking_status();
  if (m.has_tb_symptoms()) v.tb_symptoms = m.tb_symptoms();
  if (m.has_mental_health_positive()) v.mental_health_positive = m.mental_health_positive();
  if (m.has_danger_signs()) v.danger_signs = m.danger_signs();
  if (m.has_cancer_flag()) v.cancer_flag = m.cancer_flag();
  return v;
}

}  // namespace screening
