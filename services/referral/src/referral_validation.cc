#include "referral_validation.h"

#include <cctype>

#include "klinik/time_util.h"

namespace referral {
namespace {

constexpr size_t kMaxOpaqueId = 64;  // request_id, clinic and facility ids (common.proto)

void CheckRequestId(std::string_view id, std::vector<Violation>& out) {
  if (id.empty())
    out.push_back({"REQUEST_ID_MISSING", "request_id", "request_id is required"});
  else if (id.size() > kMaxOpaqueId)
    out.push_back({"REQUEST_ID_TOO_LONG", "request_id", "at most 64 characters"});
}

void CheckPatientId(std::string_view id, std::vector<Violation>& out) {
  if (!klinik::IsUuid(id))
    out.push_back({"PATIENT_ID_INVALID", "patient_id", "patient_id must be a UUID"});
}

void CheckStaff(std::string_view id, const char* field, std::vector<Violation>& out) {
  if (id.empty())
    out.push_back({"STAFF_ID_MISSING", field, "the health worker's NIK is required"});
  else if (!IsStaffNik(id))
    out.push_back({"STAFF_ID_FORMAT", field, "must be 16 digits"});
}

void CheckFacility(std::string_view id, const char* field, bool required,
                   std::vector<Violation>& out) {
  if (id.empty()) {
    if (required) out.push_back({"FACILITY_ID_MISSING", field, "a facility id is required"});
  } else if (id.size() > kMaxOpaqueId) {
    out.push_back({"FACILITY_ID_TOO_LONG", field, "at most 64 characters"});
  }
}

}  // namespace

bool IsReasonCode(std::string_view code) {
  if (code.empty() || code.size() > 64 || !std::isupper(static_cast<unsigned char>(code.front())))
    return false;
  for (char c : code) {
    if (!std::isupper(static_cast<unsigned char>(c)) &&
        !std::isdigit(static_cast<unsigned char>(c)) && c != '_') {
      return false;
    }
  }
  return true;
}

bool IsIcd10(std::string_view code) {
  auto upper = [](char c) { return c >= 'A' && c <= 'Z'; };
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (code.size() < 3 || !upper(code[0]) || !digit(code[1]) || !digit(code[2])) return false;
  if (code.size() == 3) return true;
  if (code[3] != '.' || code.size() < 5 || code.size() > 8) return false;
  for (size_t i = 4; i < code.size(); ++i) {
    if (!upper(code[i]) && !digit(code[i])) return false;
  }
  return true;
}

bool IsStaffNik(std::string_view id) {
  if (id.size() != 16) return false;
  for (char c : id) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

std::vector<Violation> ValidateRequest(const NewReferral& r) {
  std::vector<Violation> out;
  CheckRequestId(r.request_id, out);
  CheckPatientId(r.patient_id, out);
  CheckFacility(r.origin_clinic_id, "origin_clinic_id", true, out);
  // An empty target is allowed: the referral waits in REQUESTED until a retarget names one.
  CheckFacility(r.target_facility_id, "target_facility_id", false, out);
  if (r.urgency == Urgency::kUnspecified)
    out.push_back({"URGENCY_MISSING", "urgency", "urgency is required"});
  if (r.reason_codes.empty()) {
    out.push_back({"REASON_CODES_MISSING", "reason_codes", "at least one reason code is required"});
  }
  for (size_t i = 0; i < r.reason_codes.size(); ++i) {
    if (!IsReasonCode(r.reason_codes[i])) {
      out.push_back(
          {"REASON_CODE_FORMAT", "reason_codes[" + std::to_string(i) + "]", "must be UPPER_SNAKE"});
    }
  }
  for (size_t i = 0; i < r.icd10.size(); ++i) {
    if (!IsIcd10(r.icd10[i])) {
      out.push_back({"ICD10_FORMAT", "icd10[" + std::to_string(i) + "]",
                     "must be an ICD-10 code such as I10 or R73.9"});
    }
  }
  CheckStaff(r.requested_by, "requested_by", out);
  if (!r.source_screening_id.empty() && !klinik::IsUuid(r.source_screening_id)) {
    out.push_back({"SCREENING_ID_INVALID", "source_screening_id", "must be a UUID"});
  }
  return out;
}

std::vector<Violation> ValidateCommand(const Command& c, std::string_view referral_id) {
  std::vector<Violation> out;
  CheckRequestId(c.request_id, out);
  if (!klinik::IsUuid(referral_id))
    out.push_back({"REFERRAL_ID_INVALID", "referral_id", "referral_id must be a UUID"});
  CheckPatientId(c.patient_id, out);
  CheckStaff(c.acted_by, "acted_by", out);
  switch (c.action) {
    case Action::kReject:
    case Action::kCancel:
      if (c.reason.empty())
        out.push_back({"REASON_MISSING", "reason", "a reason code is required"});
      else if (!IsReasonCode(c.reason))
        out.push_back({"REASON_CODE_FORMAT", "reason", "must be UPPER_SNAKE"});
      break;
    case Action::kRetarget:
      CheckFacility(c.target_facility_id, "target_facility_id", true, out);
      break;
    default:
      break;
  }
  return out;
}

}  // namespace referral
