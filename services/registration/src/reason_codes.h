// Every machine-readable code the registration service puts in a Reason. Apps switch on these
// strings, so a code is never renamed; README.md lists them with their meaning.
#pragma once

#include <string_view>

namespace registration::codes {

// Rejections (RegistrationRejected.reasons).
inline constexpr std::string_view kRequestIdMissing = "REQUEST_ID_MISSING";
inline constexpr std::string_view kRequestIdFormat = "REQUEST_ID_FORMAT";
inline constexpr std::string_view kClinicMissing = "CLINIC_MISSING";
inline constexpr std::string_view kClinicFormat = "CLINIC_FORMAT";
inline constexpr std::string_view kNikMissing = "NIK_MISSING";
inline constexpr std::string_view kNikFormat = "NIK_FORMAT";
inline constexpr std::string_view kNikProvince = "NIK_PROVINCE";
inline constexpr std::string_view kNikDay = "NIK_DAY";
inline constexpr std::string_view kNikMonth = "NIK_MONTH";
inline constexpr std::string_view kNikSerial = "NIK_SERIAL";
inline constexpr std::string_view kMotherNikFormat = "MOTHER_NIK_FORMAT";
inline constexpr std::string_view kBirthOrderInvalid = "BIRTH_ORDER_INVALID";
inline constexpr std::string_view kNameMissing = "NAME_MISSING";
inline constexpr std::string_view kNameFormat = "NAME_FORMAT";
inline constexpr std::string_view kBirthDateFormat = "BIRTH_DATE_FORMAT";
inline constexpr std::string_view kBirthDateInFuture = "BIRTH_DATE_IN_FUTURE";
inline constexpr std::string_view kSexMissing = "SEX_MISSING";
inline constexpr std::string_view kVillageCodeFormat = "VILLAGE_CODE_FORMAT";
inline constexpr std::string_view kRtRwFormat = "RT_RW_FORMAT";
inline constexpr std::string_view kStreetFormat = "STREET_FORMAT";
inline constexpr std::string_view kPhoneFormat = "PHONE_FORMAT";
inline constexpr std::string_view kBpjsFormat = "BPJS_FORMAT";
inline constexpr std::string_view kPatientIdFormat = "PATIENT_ID_FORMAT";
inline constexpr std::string_view kNothingToUpdate = "NOTHING_TO_UPDATE";
inline constexpr std::string_view kNikConflict = "NIK_CONFLICT";
inline constexpr std::string_view kNewbornConflict = "NEWBORN_CONFLICT";
inline constexpr std::string_view kPatientUnknown = "PATIENT_UNKNOWN";

// Warnings (PatientRegistered.warnings, RegistrationMatched.warnings).
inline constexpr std::string_view kNikBirthDateMismatch = "NIK_BIRTH_DATE_MISMATCH";
inline constexpr std::string_view kNikSexMismatch = "NIK_SEX_MISMATCH";
inline constexpr std::string_view kNikYearAmbiguous = "NIK_YEAR_AMBIGUOUS";
inline constexpr std::string_view kNameDiffers = "NAME_DIFFERS";
inline constexpr std::string_view kAddressDiffers = "ADDRESS_DIFFERS";
inline constexpr std::string_view kPhoneDiffers = "PHONE_DIFFERS";
inline constexpr std::string_view kBpjsDiffers = "BPJS_DIFFERS";

}  // namespace registration::codes
