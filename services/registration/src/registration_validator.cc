#include "registration_validator.h"

#include <chrono>

#include "klinik/time_util.h"
#include "nik.h"
#include "reason_codes.h"

namespace registration {
namespace {

// Limits of the intake contract (common.proto: opaque ids of at most 64 characters).
constexpr size_t kMaxIdLength = 64;
constexpr size_t kMaxNameBytes = 200;
constexpr size_t kMaxStreetBytes = 500;
constexpr int kMaxBirthOrder = 20;

void Add(Findings& out, std::string_view code, std::string field, std::string message) {
  out.push_back(Finding{std::string(code), std::move(field), std::move(message)});
}

// Control characters would end up in the database (PostgreSQL refuses NUL outright) and in
// logs; no legitimate name, id or street contains one.
bool HasControlCharacter(std::string_view text) {
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return true;
  }
  return false;
}

bool IsBlank(std::string_view text) {
  return text.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

const char* RuleText(NikRule rule) {
  switch (rule) {
    case NikRule::kFormat:
      return "must be exactly 16 digits";
    case NikRule::kProvince:
      return "province code is not one of the 38 provinces";
    case NikRule::kDay:
      return "day of birth must be 01-31 (men) or 41-71 (women)";
    case NikRule::kMonth:
      return "month of birth must be 01-12";
    case NikRule::kSerial:
      return "serial number 0000 is never issued";
  }
  return "invalid";
}

std::string_view RuleCode(NikRule rule) {
  switch (rule) {
    case NikRule::kFormat:
      return codes::kNikFormat;
    case NikRule::kProvince:
      return codes::kNikProvince;
    case NikRule::kDay:
      return codes::kNikDay;
    case NikRule::kMonth:
      return codes::kNikMonth;
    case NikRule::kSerial:
      return codes::kNikSerial;
  }
  return codes::kNikFormat;
}

void CheckId(Findings& out, std::string_view value, std::string field, std::string_view missing,
             std::string_view format) {
  if (value.empty()) {
    Add(out, missing, std::move(field), "is required");
  } else if (value.size() > kMaxIdLength || HasControlCharacter(value)) {
    Add(out, format, std::move(field), "must be at most 64 printable characters");
  }
}

void CheckAddress(Findings& out, const std::optional<Address>& address, bool required) {
  if (!address) {
    if (required) Add(out, codes::kVillageCodeFormat, "address.village_code", "is required");
    return;
  }
  if (!IsVillageCode(address->village_code)) {
    Add(out, codes::kVillageCodeFormat, "address.village_code",
        "must be a Kemendagri village code PP.KK.CC.VVVV of a known province, village part "
        "starting with 1 or 2");
  }
  for (auto [value, field] :
       {std::pair{&address->rt, "address.rt"}, {&address->rw, "address.rw"}}) {
    if (!value->empty() && (value->size() > 3 || !IsAllDigits(*value))) {
      Add(out, codes::kRtRwFormat, field, "must be 1-3 digits or empty");
    }
  }
  if (address->street.size() > kMaxStreetBytes || HasControlCharacter(address->street)) {
    Add(out, codes::kStreetFormat, "address.street",
        "must be at most 500 bytes without control characters");
  }
}

void CheckPhone(Findings& out, std::string_view phone) {
  if (!phone.empty() && !IsPhoneNumber(phone)) {
    Add(out, codes::kPhoneFormat, "phone",
        "must be E.164 (+62...) or a local number starting with 0");
  }
}

// Warnings when the NIK's embedded date or sex disagrees with what was submitted.
void CompareNikWithPerson(Findings& warnings, const NikParts& nik, const klinik::CivilDate& born,
                          Sex sex, const klinik::CivilDate& today) {
  bool date_agrees = nik.birth_day() == static_cast<int>(born.day) &&
                     nik.month == static_cast<int>(born.month) && nik.year2 == born.year % 100;
  if (!date_agrees) {
    Add(warnings, codes::kNikBirthDateMismatch, "birth_date",
        "the date encoded in the NIK differs from the birth date; a NIK is never reissued, so "
        "the registration is accepted");
  }
  if (sex != Sex::kUnspecified && nik.female() != (sex == Sex::kFemale)) {
    Add(warnings, codes::kNikSexMismatch, "sex",
        "the sex encoded in the NIK (day + 40 for women) differs from the submitted sex");
  }
  // YY fits both 19YY and 20YY, and the birth date picks the older reading (a person aged about
  // 100 or more): more often a slip of the century than a centenarian, so someone should look.
  if (date_agrees && born.year < 2000 && 2000 + nik.year2 <= today.year) {
    Add(warnings, codes::kNikYearAmbiguous, "birth_date",
        "the NIK's two-digit year also fits a birth in the 2000s; check the birth year");
  }
}

}  // namespace

RegistrationValidator::RegistrationValidator(Today today) : today_(std::move(today)) {}

klinik::CivilDate TodayInIndonesia() {
  return klinik::ToCivilDate(klinik::Clock::now() + std::chrono::hours(9));
}

bool IsVillageCode(std::string_view code) {
  if (code.size() != 13 || code[2] != '.' || code[5] != '.' || code[8] != '.') return false;
  for (size_t i : {0u, 1u, 3u, 4u, 6u, 7u, 9u, 10u, 11u, 12u}) {
    if (code[i] < '0' || code[i] > '9') return false;
  }
  int province = (code[0] - '0') * 10 + (code[1] - '0');
  return IsKnownProvince(province) && (code[9] == '1' || code[9] == '2');
}

bool IsPhoneNumber(std::string_view phone) {
  if (phone.starts_with('+')) {
    std::string_view digits = phone.substr(1);
    return digits.size() >= 8 && digits.size() <= 15 && digits[0] != '0' && IsAllDigits(digits);
  }
  return phone.starts_with('0') && phone.size() >= 9 && phone.size() <= 13 && IsAllDigits(phone);
}

ValidationResult RegistrationValidator::Validate(const RegistrationRequest& r) const {
  ValidationResult result;
  Findings& reasons = result.reasons;
  CheckId(reasons, r.request_id, "request_id", codes::kRequestIdMissing, codes::kRequestIdFormat);
  CheckId(reasons, r.clinic_id, "clinic_id", codes::kClinicMissing, codes::kClinicFormat);

  std::optional<NikParts> nik;
  if (!r.nik.empty()) {
    NikCheck check = CheckNik(r.nik);
    for (NikRule rule : check.broken) Add(reasons, RuleCode(rule), "nik", RuleText(rule));
    if (check.valid()) nik = check.parts;
  }
  if (!r.mother_nik.empty()) {
    NikCheck check = CheckNik(r.mother_nik);
    for (NikRule rule : check.broken) {
      Add(reasons, codes::kMotherNikFormat, "mother_nik", RuleText(rule));
    }
  }
  if (r.nik.empty() && r.mother_nik.empty()) {
    Add(reasons, codes::kNikMissing, "nik",
        "a NIK, or for a newborn the mother's NIK, is required");
  }
  bool order_ok = r.birth_order >= 0 && r.birth_order <= kMaxBirthOrder;
  if (r.is_newborn() && !r.mother_nik.empty() && r.birth_order == 0) order_ok = false;
  if (!order_ok) {
    Add(reasons, codes::kBirthOrderInvalid, "birth_order",
        "a newborn without a NIK needs its birth order 1-20 (twins 1 and 2)");
  }

  if (IsBlank(r.full_name)) {
    Add(reasons, codes::kNameMissing, "full_name", "is required");
  } else if (r.full_name.size() > kMaxNameBytes || HasControlCharacter(r.full_name)) {
    Add(reasons, codes::kNameFormat, "full_name",
        "must be at most 200 bytes without control characters");
  }

  std::optional<klinik::CivilDate> born = klinik::ParseCivilDate(r.birth_date);
  klinik::CivilDate today = today_();
  if (!born) {
    Add(reasons, codes::kBirthDateFormat, "birth_date", "must be a real day written YYYY-MM-DD");
  } else if (*born > today) {
    Add(reasons, codes::kBirthDateInFuture, "birth_date", "is after today");
  }
  if (r.sex != Sex::kMale && r.sex != Sex::kFemale) {
    Add(reasons, codes::kSexMissing, "sex", "must be SEX_MALE or SEX_FEMALE");
  }
  CheckAddress(reasons, r.address, /*required=*/true);
  CheckPhone(reasons, r.phone);
  if (!r.bpjs_number.empty() && (r.bpjs_number.size() != 13 || !IsAllDigits(r.bpjs_number))) {
    Add(reasons, codes::kBpjsFormat, "bpjs_number", "must be 13 digits");
  }

  if (nik && born) CompareNikWithPerson(result.warnings, *nik, *born, r.sex, today);
  return result;
}

ValidationResult RegistrationValidator::Validate(const ContactUpdateRequest& r) const {
  ValidationResult result;
  Findings& reasons = result.reasons;
  CheckId(reasons, r.request_id, "request_id", codes::kRequestIdMissing, codes::kRequestIdFormat);
  CheckId(reasons, r.clinic_id, "clinic_id", codes::kClinicMissing, codes::kClinicFormat);
  if (!klinik::IsUuid(r.patient_id)) {
    Add(reasons, codes::kPatientIdFormat, "patient_id", "must be a UUID");
  }
  if (!r.address && !r.phone) {
    Add(reasons, codes::kNothingToUpdate, "", "neither address nor phone is set");
  }
  CheckAddress(reasons, r.address, /*required=*/false);
  if (r.phone) CheckPhone(reasons, *r.phone);
  return result;
}

}  // namespace registration
