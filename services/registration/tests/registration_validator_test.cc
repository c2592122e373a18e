// The validator against DOMAIN.md, one table row per rule: every rejection reason, every
// warning, valid male and female NIKs, newborns by the mother's NIK. "Today" is fixed.
#include "registration_validator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>

#include "reason_codes.h"

namespace registration {
namespace {

using Codes = std::vector<std::string>;

constexpr klinik::CivilDate kToday{2026, 11, 23};

// Born 1990-06-15, male: DD 15, MM 06, YY 90, Kalimantan Timur (64).
RegistrationRequest ValidMale() {
  RegistrationRequest r;
  r.request_id = "req-1";
  r.nik = "6472041506900001";
  r.full_name = "Budi Santoso";
  r.birth_date = "1990-06-15";
  r.sex = Sex::kMale;
  r.address = Address{"64.72.04.1004", "003", "011", "Jl. Merdeka 1"};
  r.phone = "+6281234567890";
  r.bpjs_number = "0001234567890";
  r.clinic_id = "clinic-samarinda-1";
  return r;
}

struct Case {
  std::string name;
  std::function<void(RegistrationRequest&)> change;
  Codes reasons;
  Codes warnings;
};

Codes CodesOf(const Findings& findings) {
  Codes out;
  for (const Finding& f : findings) out.push_back(f.code);
  std::sort(out.begin(), out.end());
  return out;
}

class RegistrationValidatorTable : public ::testing::TestWithParam<Case> {};

TEST_P(RegistrationValidatorTable, ReportsExactlyTheBrokenRulesAndWarnings) {
  const Case& c = GetParam();
  RegistrationRequest request = ValidMale();
  c.change(request);
  RegistrationValidator validator([] { return kToday; });
  ValidationResult result = validator.Validate(request);
  Codes reasons = c.reasons, warnings = c.warnings;
  std::sort(reasons.begin(), reasons.end());
  std::sort(warnings.begin(), warnings.end());
  EXPECT_EQ(CodesOf(result.reasons), reasons);
  EXPECT_EQ(CodesOf(result.warnings), warnings);
  EXPECT_EQ(result.ok(), reasons.empty());
  for (const Finding& f : result.reasons) {
    EXPECT_FALSE(f.message.empty()) << f.code;
    if (!request.nik.empty()) {
      EXPECT_EQ(f.message.find(request.nik), std::string::npos)
          << "a message must not contain the NIK";
    }
  }
}

auto Nik(std::string nik) {
  return [nik](RegistrationRequest& r) { r.nik = nik; };
}
auto Born(std::string date) {
  return [date](RegistrationRequest& r) { r.birth_date = date; };
}
auto Phone(std::string phone) {
  return [phone](RegistrationRequest& r) { r.phone = phone; };
}
auto Village(std::string code) {
  return [code](RegistrationRequest& r) { r.address->village_code = code; };
}
// A newborn without a NIK, registered with the mother's NIK (born 1995-03-12, female).
void Newborn(RegistrationRequest& r) {
  r.nik.clear();
  r.mother_nik = "3201015203950007";
  r.birth_order = 1;
  r.birth_date = "2026-11-20";
  r.sex = Sex::kFemale;
}

INSTANTIATE_TEST_SUITE_P(
    Rules, RegistrationValidatorTable,
    ::testing::Values(
        Case{"ValidMale", [](RegistrationRequest&) {}, {}, {}},
        Case{"ValidFemaleDayPlus40",
             [](RegistrationRequest& r) {
               r.nik = "3201015506900002";
               r.sex = Sex::kFemale;
             },
             {},
             {}},
        Case{"ValidPapuaProvinceOf2022", Nik("9471011506900003"), {}, {}},
        Case{"NikFifteenDigits", Nik("647204150690001"), {"NIK_FORMAT"}, {}},
        Case{"NikSeventeenDigits", Nik("64720415069000011"), {"NIK_FORMAT"}, {}},
        Case{"NikWithLetter", Nik("64720415069O0001"), {"NIK_FORMAT"}, {}},
        Case{"NikWithSeparators", Nik("64.72.04.150690.0001"), {"NIK_FORMAT"}, {}},
        Case{"NikProvince10", Nik("1072041506900001"), {"NIK_PROVINCE"}, {}},
        Case{"NikProvince20", Nik("2072041506900001"), {"NIK_PROVINCE"}, {}},
        Case{"NikProvince97", Nik("9772041506900001"), {"NIK_PROVINCE"}, {}},
        Case{"NikDay00", Nik("6472040006900001"), {"NIK_DAY"}, {}},
        Case{"NikDay32", Nik("6472043206900001"), {"NIK_DAY"}, {}},
        Case{"NikDay40", Nik("6472044006900001"), {"NIK_DAY"}, {}},
        Case{"NikDay72", Nik("6472047206900001"), {"NIK_DAY"}, {}},
        Case{"NikMonth00", Nik("6472041500900001"), {"NIK_MONTH"}, {}},
        Case{"NikMonth13", Nik("6472041513900001"), {"NIK_MONTH"}, {}},
        Case{"NikSerial0000", Nik("6472041506900000"), {"NIK_SERIAL"}, {}},
        Case{"NikBreaksSeveralRules", Nik("9972041513900000"), {"NIK_PROVINCE", "NIK_MONTH", "NIK_SERIAL"}, {}},
        Case{"BirthDateTomorrow", Born("2026-11-24"), {"BIRTH_DATE_IN_FUTURE"}, {"NIK_BIRTH_DATE_MISMATCH"}},
        Case{"BirthDateTodayIsAccepted", Born("2026-11-23"), {}, {"NIK_BIRTH_DATE_MISMATCH"}},
        Case{"BirthDateNotARealDay", Born("1990-02-30"), {"BIRTH_DATE_FORMAT"}, {}},
        Case{"BirthDateDayFirst", Born("15-06-1990"), {"BIRTH_DATE_FORMAT"}, {}},
        Case{"BirthDateEmpty", Born(""), {"BIRTH_DATE_FORMAT"}, {}},
        Case{"NameEmpty", [](RegistrationRequest& r) { r.full_name.clear(); }, {"NAME_MISSING"}, {}},
        Case{"NameBlank", [](RegistrationRequest& r) { r.full_name = "  \t "; }, {"NAME_MISSING"}, {}},
        Case{"NameWithControlCharacter", [](RegistrationRequest& r) { r.full_name = "Budi\nSantoso"; },
             {"NAME_FORMAT"}, {}},
        Case{"SexUnspecified", [](RegistrationRequest& r) { r.sex = Sex::kUnspecified; }, {"SEX_MISSING"}, {}},
        Case{"VillageCodeWithoutDots", Village("6472041004"), {"VILLAGE_CODE_FORMAT"}, {}},
        Case{"VillageCodeBpsStyleVillagePart", Village("64.72.04.3004"), {"VILLAGE_CODE_FORMAT"}, {}},
        Case{"VillageCodeUnknownProvince", Village("99.72.04.1004"), {"VILLAGE_CODE_FORMAT"}, {}},
        Case{"VillageDesaIsAccepted", Village("64.72.04.2001"), {}, {}},
        Case{"AddressMissing", [](RegistrationRequest& r) { r.address.reset(); }, {"VILLAGE_CODE_FORMAT"}, {}},
        Case{"RtTooLong", [](RegistrationRequest& r) { r.address->rt = "0003"; }, {"RT_RW_FORMAT"}, {}},
        Case{"RwNotDigits", [](RegistrationRequest& r) { r.address->rw = "1a"; }, {"RT_RW_FORMAT"}, {}},
        Case{"StreetWithNul", [](RegistrationRequest& r) { r.address->street = std::string("Jl.\0X", 5); },
             {"STREET_FORMAT"}, {}},
        Case{"PhoneLocalIsAccepted", Phone("081234567890"), {}, {}},
        Case{"PhoneEmptyIsAccepted", Phone(""), {}, {}},
        Case{"PhoneTooShort", Phone("12345"), {"PHONE_FORMAT"}, {}},
        Case{"PhonePlusZero", Phone("+081234567890"), {"PHONE_FORMAT"}, {}},
        Case{"PhoneWithSpaces", Phone("0812 3456 7890"), {"PHONE_FORMAT"}, {}},
        Case{"BpjsTwelveDigits", [](RegistrationRequest& r) { r.bpjs_number = "000123456789"; }, {"BPJS_FORMAT"},
             {}},
        Case{"ClinicMissing", [](RegistrationRequest& r) { r.clinic_id.clear(); }, {"CLINIC_MISSING"}, {}},
        Case{"ClinicTooLong", [](RegistrationRequest& r) { r.clinic_id = std::string(65, 'c'); }, {"CLINIC_FORMAT"},
             {}},
        Case{"RequestIdMissing", [](RegistrationRequest& r) { r.request_id.clear(); }, {"REQUEST_ID_MISSING"}, {}},
        Case{"RequestIdTooLong", [](RegistrationRequest& r) { r.request_id = std::string(65, 'r'); },
             {"REQUEST_ID_FORMAT"}, {}},
        Case{"WarnNikDayDiffersFromBirthDate", Born("1990-06-16"), {}, {"NIK_BIRTH_DATE_MISMATCH"}},
        Case{"WarnNikYearDiffersFromBirthDate", Born("1991-06-15"), {}, {"NIK_BIRTH_DATE_MISMATCH"}},
        Case{"WarnNikSaysFemaleButMale",
             [](RegistrationRequest& r) { r.nik = "3201015506900002"; }, {}, {"NIK_SEX_MISMATCH"}},
        Case{"WarnNikSaysMaleButFemale", [](RegistrationRequest& r) { r.sex = Sex::kFemale; }, {},
             {"NIK_SEX_MISMATCH"}},
        Case{"WarnDateAndSexBothDiffer",
             [](RegistrationRequest& r) {
               r.sex = Sex::kFemale;
               r.birth_date = "1990-07-15";
             },
             {},
             {"NIK_BIRTH_DATE_MISMATCH", "NIK_SEX_MISMATCH"}},
        Case{"WarnYearAmbiguousCentenarian",
             [](RegistrationRequest& r) {
               r.nik = "6472041506200001";
               r.birth_date = "1920-06-15";
             },
             {},
             {"NIK_YEAR_AMBIGUOUS"}},
        Case{"YearOf2020ChildIsNotAmbiguous",
             [](RegistrationRequest& r) {
               r.nik = "6472041506200001";
               r.birth_date = "2020-06-15";
             },
             {},
             {}},
        Case{"YearThatCannotBe20xxIsNotAmbiguous",
             [](RegistrationRequest& r) {
               r.nik = "6472041506300001";
               r.birth_date = "1930-06-15";
             },
             {},
             {}},
        Case{"InvalidNikGivesNoWarnings",
             [](RegistrationRequest& r) {
               r.nik = "6472041513900001";
               r.sex = Sex::kFemale;
             },
             {"NIK_MONTH"},
             {}},
        Case{"NewbornByMothersNik", Newborn, {}, {}},
        Case{"NewbornTwinSecond",
             [](RegistrationRequest& r) {
               Newborn(r);
               r.birth_order = 2;
             },
             {},
             {}},
        Case{"NewbornMothersNikMalformed",
             [](RegistrationRequest& r) {
               Newborn(r);
               r.mother_nik = "3201015203950";
             },
             {"MOTHER_NIK_FORMAT"},
             {}},
        Case{"NewbornMothersNikUnknownProvince",
             [](RegistrationRequest& r) {
               Newborn(r);
               r.mother_nik = "4001015203950007";
             },
             {"MOTHER_NIK_FORMAT"},
             {}},
        Case{"NewbornWithoutBirthOrder",
             [](RegistrationRequest& r) {
               Newborn(r);
               r.birth_order = 0;
             },
             {"BIRTH_ORDER_INVALID"},
             {}},
        Case{"NeitherNikNorMothersNik",
             [](RegistrationRequest& r) {
               r.nik.clear();
               r.mother_nik.clear();
             },
             {"NIK_MISSING"},
             {}},
        Case{"EverythingMissingReportsEveryRule", [](RegistrationRequest& r) { r = RegistrationRequest{}; },
             {"REQUEST_ID_MISSING", "CLINIC_MISSING", "NIK_MISSING", "NAME_MISSING", "BIRTH_DATE_FORMAT",
              "SEX_MISSING", "VILLAGE_CODE_FORMAT"},
             {}}),
    [](const ::testing::TestParamInfo<Case>& info) { return info.param.name; });

// UpdateContactDetails: what can be wrong with a change of address or phone.
struct UpdateCase {
  std::string name;
  std::function<void(ContactUpdateRequest&)> change;
  Codes reasons;
};

class ContactUpdateValidatorTable : public ::testing::TestWithParam<UpdateCase> {};

TEST_P(ContactUpdateValidatorTable, ReportsExactlyTheBrokenRules) {
  ContactUpdateRequest request;
  request.request_id = "req-2";
  request.patient_id = "0b6f2a8e-5a43-4f3e-9d2b-6a1c3e5f7a90";
  request.clinic_id = "clinic-1";
  request.phone = "081234567890";
  GetParam().change(request);
  RegistrationValidator validator([] { return kToday; });
  Codes expected = GetParam().reasons;
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(CodesOf(validator.Validate(request).reasons), expected);
}

INSTANTIATE_TEST_SUITE_P(
    Rules, ContactUpdateValidatorTable,
    ::testing::Values(UpdateCase{"PhoneOnly", [](ContactUpdateRequest&) {}, {}},
                      UpdateCase{"RemovePhone", [](ContactUpdateRequest& r) { r.phone = ""; }, {}},
                      UpdateCase{"AddressOnly",
                                 [](ContactUpdateRequest& r) {
                                   r.phone.reset();
                                   r.address = Address{"64.72.04.1004", "", "", "Jl. Baru"};
                                 },
                                 {}},
                      UpdateCase{"NothingToUpdate",
                                 [](ContactUpdateRequest& r) { r.phone.reset(); },
                                 {"NOTHING_TO_UPDATE"}},
                      UpdateCase{"PatientIdNotUuid",
                                 [](ContactUpdateRequest& r) { r.patient_id = "6472041506900001"; },
                                 {"PATIENT_ID_FORMAT"}},
                      UpdateCase{"BadPhone",
                                 [](ContactUpdateRequest& r) { r.phone = "phone"; },
                                 {"PHONE_FORMAT"}},
                      UpdateCase{"BadVillage",
                                 [](ContactUpdateRequest& r) {
                                   r.address = Address{"64.72.04", "", "", ""};
                                 },
                                 {"VILLAGE_CODE_FORMAT"}},
                      UpdateCase{"MissingIds",
                                 [](ContactUpdateRequest& r) {
                                   r.request_id.clear();
                                   r.clinic_id.clear();
                                 },
                                 {"REQUEST_ID_MISSING", "CLINIC_MISSING"}}),
    [](const ::testing::TestParamInfo<UpdateCase>& info) { return info.param.name; });

TEST(TodayInIndonesia, IsTheUtcDateOrTheDayAfter) {
  klinik::CivilDate utc = klinik::ToCivilDate(klinik::Clock::now());
  klinik::CivilDate wit = TodayInIndonesia();
  int64_t ahead = klinik::DaysBetween(utc, wit);
  EXPECT_TRUE(ahead == 0 || ahead == 1) << ahead;
}

}  // namespace
}  // namespace registration
