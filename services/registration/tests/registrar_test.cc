// Matching a registration against the register and applying contact changes: the decisions the
// intake handler writes down, without a database.
#include "registrar.h"

#include <gtest/gtest.h>

#include "reason_codes.h"

namespace registration {
namespace {

RegistrationRequest Request() {
  RegistrationRequest r;
  r.request_id = "req-2";
  r.nik = "6472041506900001";
  r.full_name = "Budi Santoso";
  r.birth_date = "1990-06-15";
  r.sex = Sex::kMale;
  r.address = Address{"64.72.04.1004", "003", "011", "Jl. Merdeka 1"};
  r.phone = "081234567890";
  r.clinic_id = "clinic-b";
  return r;
}

PatientRecord Stored() {
  PatientRecord p =
      NewPatient(Request(), "0b6f2a8e-5a43-4f3e-9d2b-6a1c3e5f7a90", klinik::FromUnixMillis(1000));
  p.clinic_id = "clinic-a";
  p.request_id = "req-1";
  return p;
}

std::vector<std::string> CodesOf(const Findings& findings) {
  std::vector<std::string> out;
  for (const Finding& f : findings) out.push_back(f.code);
  return out;
}

TEST(DecideRegistration, NobodyRegisteredMeansANewPatient) {
  RegistrationDecision d = DecideRegistration(Request(), std::nullopt);
  EXPECT_EQ(d.outcome, RegistrationOutcome::kNew);
  EXPECT_TRUE(d.findings.empty());
}

TEST(DecideRegistration, SameResidentFromAnotherClinicIsMatchedWithoutWarnings) {
  RegistrationDecision d = DecideRegistration(Request(), Stored());
  EXPECT_EQ(d.outcome, RegistrationOutcome::kMatched);
  EXPECT_TRUE(d.findings.empty());
}

TEST(DecideRegistration, NameCaseAndSpacesDoNotCountAsADifference) {
  RegistrationRequest r = Request();
  r.full_name = "  BUDI SANTOSO ";
  EXPECT_TRUE(DecideRegistration(r, Stored()).findings.empty());
}

TEST(DecideRegistration, OtherDifferencesAreMatchedWithWarnings) {
  RegistrationRequest r = Request();
  r.full_name = "Budi S.";
  r.address->village_code = "64.72.05.1001";
  r.phone = "081200000000";
  r.bpjs_number = "0001234567890";
  RegistrationDecision d = DecideRegistration(r, Stored());
  EXPECT_EQ(d.outcome, RegistrationOutcome::kMatched);
  EXPECT_EQ(CodesOf(d.findings), (std::vector<std::string>{"NAME_DIFFERS", "ADDRESS_DIFFERS",
                                                           "PHONE_DIFFERS", "BPJS_DIFFERS"}));
}

TEST(DecideRegistration, DifferentBirthDateIsANikConflict) {
  RegistrationRequest r = Request();
  r.birth_date = "1990-06-16";
  RegistrationDecision d = DecideRegistration(r, Stored());
  EXPECT_EQ(d.outcome, RegistrationOutcome::kConflict);
  ASSERT_EQ(d.findings.size(), 1u);
  EXPECT_EQ(d.findings[0].code, codes::kNikConflict);
  EXPECT_EQ(d.findings[0].field, "birth_date");
}

TEST(DecideRegistration, DifferentSexIsANikConflict) {
  RegistrationRequest r = Request();
  r.sex = Sex::kFemale;
  RegistrationDecision d = DecideRegistration(r, Stored());
  EXPECT_EQ(d.outcome, RegistrationOutcome::kConflict);
  EXPECT_EQ(CodesOf(d.findings), std::vector<std::string>{"NIK_CONFLICT"});
  EXPECT_EQ(d.findings[0].field, "sex");
}

TEST(DecideRegistration, NewbornWithAnotherSexUnderTheSameKeyIsANewbornConflict) {
  RegistrationRequest r = Request();
  r.nik.clear();
  r.mother_nik = "3201015203950007";
  r.birth_order = 1;
  PatientRecord stored =
      NewPatient(r, "0b6f2a8e-5a43-4f3e-9d2b-6a1c3e5f7a90", klinik::FromUnixMillis(0));
  r.sex = Sex::kFemale;
  RegistrationDecision d = DecideRegistration(r, stored);
  EXPECT_EQ(d.outcome, RegistrationOutcome::kConflict);
  EXPECT_EQ(CodesOf(d.findings), std::vector<std::string>{"NEWBORN_CONFLICT"});
}

TEST(NewPatient, CopiesTheRequestAndStampsBothTimes) {
  klinik::TimePoint now = klinik::FromUnixMillis(1'700'000'000'000);
  PatientRecord p = NewPatient(Request(), "id-1", now);
  EXPECT_EQ(p.patient_id, "id-1");
  EXPECT_EQ(p.nik, "6472041506900001");
  EXPECT_EQ(p.address.village_code, "64.72.04.1004");
  EXPECT_EQ(p.clinic_id, "clinic-b");
  EXPECT_EQ(p.request_id, "req-2");
  EXPECT_EQ(p.created_at, now);
  EXPECT_EQ(p.updated_at, now);
}

TEST(ApplyContactUpdate, ReplacesOnlyWhatIsSetAndNamesIt) {
  ContactUpdateRequest u;
  u.phone = "";
  klinik::TimePoint now = klinik::FromUnixMillis(5000);
  ContactChange c = ApplyContactUpdate(Stored(), u, now);
  EXPECT_EQ(c.changed_fields, std::vector<std::string>{"phone"});
  EXPECT_EQ(c.updated.phone, "");
  EXPECT_EQ(c.updated.address, Stored().address);
  EXPECT_EQ(c.updated.updated_at, now);

  u.phone.reset();
  u.address = Address{"64.72.05.2001", "", "", "Dusun Baru"};
  c = ApplyContactUpdate(Stored(), u, now);
  EXPECT_EQ(c.changed_fields, std::vector<std::string>{"address"});
  EXPECT_EQ(c.updated.address.village_code, "64.72.05.2001");
  EXPECT_EQ(c.updated.phone, "081234567890");
}

TEST(ApplyContactUpdate, SameValuesChangeNothing) {
  ContactUpdateRequest u;
  u.phone = "081234567890";
  u.address = Stored().address;
  ContactChange c = ApplyContactUpdate(Stored(), u, klinik::FromUnixMillis(5000));
  EXPECT_TRUE(c.changed_fields.empty());
  EXPECT_EQ(c.updated.updated_at, Stored().updated_at);
}

TEST(NameKey, LowersAsciiAndTrims) {
  EXPECT_EQ(NameKey("  SITI Aminah \t"), "siti aminah");
  EXPECT_EQ(NameKey("   "), "");
  EXPECT_EQ(NameKey("ÉLISE"), "Élise") << "non-ASCII letters keep their case";
}

}  // namespace
}  // namespace registration
