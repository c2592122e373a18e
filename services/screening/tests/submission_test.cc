// Request-level checks of SubmitScreening, the proto -> domain conversion, and the service's
// configuration (every bad value names its variable).
#include "submission.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "settings.h"

namespace screening {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const klinik::TimePoint kNow = *klinik::ParseRfc3339("2026-11-23T08:00:00Z");

klinik::v1::SubmitScreening Valid() {
  klinik::v1::SubmitScreening s;
  s.set_request_id("req-1");
  s.set_patient_id("3f1c2a4e-8b7d-4c1a-9e2f-0a1b2c3d4e5f");
  s.set_clinic_id("clinic-64.72.04.1004");
  s.set_examiner_id("6472044101900001");
  *s.mutable_measured_at() = klinik::ToTimestamp(kNow - std::chrono::minutes(5));
  s.mutable_measurements()->set_systolic_mmhg(120);
  return s;
}

std::vector<std::string> Codes(const std::vector<RejectionReason>& reasons) {
  std::vector<std::string> out;
  for (const auto& r : reasons) out.push_back(r.code + ":" + r.field);
  return out;
}

TEST(Submission, AValidRequestHasNoProblems) {
  EXPECT_THAT(ValidateSubmission(Valid(), kNow), IsEmpty());
}

TEST(Submission, EveryRequestLevelProblemIsNamed) {
  klinik::v1::SubmitScreening s = Valid();
  s.set_request_id(std::string(65, 'r'));
  s.set_screening_id("not-a-uuid");
  s.set_patient_id("123");
  s.set_clinic_id("");
  s.set_examiner_id("12345");
  *s.mutable_measured_at() = klinik::ToTimestamp(kNow + std::chrono::hours(2));
  EXPECT_THAT(Codes(ValidateSubmission(s, kNow)),
              ElementsAre("REQUEST_ID_TOO_LONG:request_id", "SCREENING_ID_FORMAT:screening_id",
                          "PATIENT_ID_FORMAT:patient_id", "CLINIC_ID_MISSING:clinic_id",
                          "EXAMINER_ID_FORMAT:examiner_id", "MEASURED_AT_IN_FUTURE:measured_at"));
}

TEST(Submission, PatientIsNamedByIdOrNik) {
  klinik::v1::SubmitScreening s = Valid();
  s.clear_patient_id();
  EXPECT_THAT(Codes(ValidateSubmission(s, kNow)), ElementsAre("PATIENT_ID_MISSING:patient_id"));
  s.set_nik("640204");
  EXPECT_THAT(Codes(ValidateSubmission(s, kNow)), ElementsAre("NIK_FORMAT:nik"));
  s.set_nik("6472044101900001");
  EXPECT_THAT(ValidateSubmission(s, kNow), IsEmpty());
}

TEST(Submission, MeasuredAtIsRequiredAndMayBeSlightlyAhead) {
  klinik::v1::SubmitScreening s = Valid();
  s.clear_measured_at();
  s.clear_request_id();
  EXPECT_THAT(Codes(ValidateSubmission(s, kNow)),
              ElementsAre("REQUEST_ID_MISSING:request_id", "MEASURED_AT_MISSING:measured_at"));
  s = Valid();
  *s.mutable_measured_at() = klinik::ToTimestamp(kNow + std::chrono::minutes(59));
  EXPECT_THAT(ValidateSubmission(s, kNow), IsEmpty());
}

// Found by fuzz/screening_intake: a measured_at past 2262 overflowed and came back in the past,
// so a device clock set to 9999 passed as a valid measurement.
TEST(Submission, AMeasuredAtNoClockCanHoldIsInTheFuture) {
  klinik::v1::SubmitScreening s = Valid();
  s.mutable_measured_at()->set_seconds(253402300799);  // 9999-12-31T23:59:59Z
  EXPECT_THAT(Codes(ValidateSubmission(s, kNow)), ElementsAre("MEASURED_AT_IN_FUTURE:measured_at"));
  // 0001-01-01 saturates too (the handler then refuses it as measured before birth).
  s.mutable_measured_at()->set_seconds(-62135596800);
  EXPECT_EQ(klinik::FromTimestamp(s.measured_at()), *klinik::ParseRfc3339("1678-01-01T00:00:00Z"));
}

TEST(Submission, PresenceIsKeptWhenConverting) {
  klinik::v1::Measurements m;
  m.set_systolic_mmhg(0);  // present, even though 0
  m.set_tb_symptoms(false);
  m.set_glucose_kind(klinik::v1::GLUCOSE_KIND_FASTING);
  MeasurementValues v = FromProto(m);
  EXPECT_EQ(v.systolic_mmhg, 0);
  EXPECT_FALSE(v.diastolic_mmhg.has_value());
  EXPECT_EQ(v.tb_symptoms, false);
  EXPECT_FALSE(v.danger_signs.has_value());
  EXPECT_EQ(v.glucose_kind, klinik::v1::GLUCOSE_KIND_FASTING);
}

klinik::Config Env(std::map<std::string, std::string> values) {
  return klinik::Config(std::move(values));
}

TEST(Config, DefaultsAreDomainValues) {
  Settings s = Settings::FromConfig(Env({{"KLINIK_REGISTRATION_ADDRESS", "registration:50051"}}));
  EXPECT_EQ(s.utc_offset, std::chrono::minutes(420));
  EXPECT_EQ(s.registration_timeout, std::chrono::seconds(2));
  EXPECT_EQ(s.rules.referral.systolic_from, 140);
  EXPECT_EQ(s.rules.referral.urgent_glucose_from, 300);
  EXPECT_EQ(s.rules.ckg_window_days, 30);
}

TEST(Config, OverridesAreRead) {
  Settings s = Settings::FromConfig(Env({{"KLINIK_REGISTRATION_ADDRESS", "r:1"},
                                         {"KLINIK_LOCAL_UTC_OFFSET", "+09:00"},
                                         {"KLINIK_REFERRAL_URGENT_SYSTOLIC_MMHG", "170"},
                                         {"KLINIK_CHOLESTEROL_HIGH_MG_DL", "230"}}));
  EXPECT_EQ(s.utc_offset, std::chrono::minutes(540));
  EXPECT_EQ(s.rules.referral.urgent_systolic_from, 170);
  EXPECT_EQ(s.rules.lipids.cholesterol_high_from, 230);
}

TEST(Config, LocalOffsetTakesIndonesianZoneNamesToo) {
  for (const auto& [value, minutes] : std::vector<std::pair<std::string, int>>{
           {"WIB", 420}, {"WITA", 480}, {"WIT", 540}, {"+08:00", 480}, {"-03:30", -210}}) {
    Settings s = Settings::FromConfig(
        Env({{"KLINIK_REGISTRATION_ADDRESS", "r:1"}, {"KLINIK_LOCAL_UTC_OFFSET", value}}));
    EXPECT_EQ(s.utc_offset, std::chrono::minutes(minutes)) << value;
  }
}

TEST(Config, BadValuesNameTheirVariable) {
  struct Bad {
    std::map<std::string, std::string> env;
    const char* variable;
  };
  for (const Bad& b : std::vector<Bad>{
           {{}, "KLINIK_REGISTRATION_ADDRESS"},
           {{{"KLINIK_REGISTRATION_ADDRESS", "no-port"}}, "KLINIK_REGISTRATION_ADDRESS"},
           {{{"KLINIK_REGISTRATION_ADDRESS", "r:1"}, {"KLINIK_LOCAL_UTC_OFFSET", "+15:00"}},
            "KLINIK_LOCAL_UTC_OFFSET"},
           {{{"KLINIK_REGISTRATION_ADDRESS", "r:1"}, {"KLINIK_REGISTRATION_TIMEOUT", "soon"}},
            "KLINIK_REGISTRATION_TIMEOUT"},
           {{{"KLINIK_REGISTRATION_ADDRESS", "r:1"}, {"KLINIK_REGISTRATION_TIMEOUT", "0ms"}},
            "KLINIK_REGISTRATION_TIMEOUT"},
           {{{"KLINIK_REGISTRATION_ADDRESS", "r:1"}, {"KLINIK_REFERRAL_SYSTOLIC_MMHG", "20"}},
            "KLINIK_REFERRAL_SYSTOLIC_MMHG"},
           {{{"KLINIK_REGISTRATION_ADDRESS", "r:1"}, {"KLINIK_CHOLESTEROL_HIGH_MG_DL", "150"}},
            "KLINIK_CHOLESTEROL_HIGH_MG_DL"},
       }) {
    try {
      (void)Settings::FromConfig(Env(b.env));
      ADD_FAILURE() << "accepted a bad " << b.variable;
    } catch (const klinik::ConfigError& e) {
      EXPECT_THAT(e.what(), HasSubstr(b.variable));
    }
  }
}

}  // namespace
}  // namespace screening
