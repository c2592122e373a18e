// Pure parts around the lifecycle: request validation, configuration, the automatic referral a
// screening produces, the facts each step publishes, and the ListReferrals page token.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <limits>

#include "referral_facts.h"
#include "referral_validation.h"
#include "settings.h"

namespace referral {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace std::chrono_literals;
using Env = std::map<std::string, std::string>;

std::vector<std::string> Codes(const std::vector<Violation>& v) {
  std::vector<std::string> out;
  for (const auto& x : v) out.push_back(x.code + "@" + x.field);
  return out;
}

NewReferral GoodRequest() {
  NewReferral n;
  n.request_id = "req-1";
  n.patient_id = "11111111-2222-4333-8444-555555555555";
  n.origin_clinic_id = "clinic-1";
  n.target_facility_id = "pkm-1";
  n.urgency = Urgency::kRoutine;
  n.reason_codes = {"HYPERTENSION_GRADE_2"};
  n.icd10 = {"I10", "R73.9"};
  n.requested_by = "3201010101900001";
  return n;
}

TEST(ValidateRequest, AGoodRequestPassesAndAnEmptyTargetIsAllowed) {
  EXPECT_TRUE(ValidateRequest(GoodRequest()).empty());
  NewReferral n = GoodRequest();
  n.target_facility_id.clear();
  EXPECT_TRUE(ValidateRequest(n).empty());
}

TEST(ValidateRequest, EachProblemIsNamedWithItsField) {
  struct Case {
    std::function<void(NewReferral&)> change;
    std::string expected;
  };
  const Case cases[] = {
      {[](NewReferral& n) { n.request_id.clear(); }, "REQUEST_ID_MISSING@request_id"},
      {[](NewReferral& n) { n.request_id = std::string(65, 'x'); },
       "REQUEST_ID_TOO_LONG@request_id"},
      {[](NewReferral& n) { n.patient_id = "p1"; }, "PATIENT_ID_INVALID@patient_id"},
      {[](NewReferral& n) { n.origin_clinic_id.clear(); }, "FACILITY_ID_MISSING@origin_clinic_id"},
      {[](NewReferral& n) { n.target_facility_id = std::string(65, 'f'); },
       "FACILITY_ID_TOO_LONG@target_facility_id"},
      {[](NewReferral& n) { n.urgency = Urgency::kUnspecified; }, "URGENCY_MISSING@urgency"},
      {[](NewReferral& n) { n.reason_codes.clear(); }, "REASON_CODES_MISSING@reason_codes"},
      {[](NewReferral& n) { n.reason_codes.push_back("high bp"); },
       "REASON_CODE_FORMAT@reason_codes[1]"},
      {[](NewReferral& n) {
         n.icd10 = {"I10", "i10"};
       },
       "ICD10_FORMAT@icd10[1]"},
      {[](NewReferral& n) { n.requested_by.clear(); }, "STAFF_ID_MISSING@requested_by"},
      {[](NewReferral& n) { n.requested_by = "32010101019000"; }, "STAFF_ID_FORMAT@requested_by"},
      {[](NewReferral& n) { n.source_screening_id = "scr-1"; },
       "SCREENING_ID_INVALID@source_screening_id"},
  };
  for (const Case& c : cases) {
    NewReferral n = GoodRequest();
    c.change(n);
    EXPECT_THAT(Codes(ValidateRequest(n)), ElementsAre(c.expected));
  }
}

TEST(ValidateCommand, ReasonIsRequiredForRejectAndCancelAndATargetForRetarget) {
  Command c;
  c.request_id = "r";
  c.patient_id = "11111111-2222-4333-8444-555555555555";
  c.acted_by = "3201010101900001";
  const std::string id = "aaaaaaaa-0000-4000-8000-000000000001";
  c.action = Action::kAccept;
  EXPECT_TRUE(ValidateCommand(c, id).empty());
  EXPECT_THAT(Codes(ValidateCommand(c, "nope")), ElementsAre("REFERRAL_ID_INVALID@referral_id"));
  c.action = Action::kReject;
  EXPECT_THAT(Codes(ValidateCommand(c, id)), ElementsAre("REASON_MISSING@reason"));
  c.reason = "capacity full";
  EXPECT_THAT(Codes(ValidateCommand(c, id)), ElementsAre("REASON_CODE_FORMAT@reason"));
  c.action = Action::kCancel;
  c.reason = "PATIENT_DECLINED";
  EXPECT_TRUE(ValidateCommand(c, id).empty());
  c.action = Action::kRetarget;
  EXPECT_THAT(Codes(ValidateCommand(c, id)), ElementsAre("FACILITY_ID_MISSING@target_facility_id"));
  c.acted_by = "x";
  c.target_facility_id = "rs-1";
  EXPECT_THAT(Codes(ValidateCommand(c, id)), ElementsAre("STAFF_ID_FORMAT@acted_by"));
}

TEST(Formats, Icd10AndReasonCodes) {
  for (const char* ok : {"I10", "R73.9", "E11.65", "Z00.0"}) EXPECT_TRUE(IsIcd10(ok)) << ok;
  for (const char* bad : {"", "I1", "i10", "I10.", "I10-1", "110", "R73.99999"})
    EXPECT_FALSE(IsIcd10(bad)) << bad;
  for (const char* ok : {"HYPERTENSION_GRADE_2", "TB_SYMPTOMS", "A"})
    EXPECT_TRUE(IsReasonCode(ok)) << ok;
  for (const char* bad : {"", "_X", "lower", "HAS SPACE", "2X"})
    EXPECT_FALSE(IsReasonCode(bad)) << bad;
}

// --- configuration ---

TEST(ReferralSettings, DefaultsFollowDomainMd) {
  Settings c = Settings::FromConfig(klinik::Config(Env{{"KLINIK_DEFAULT_PUSKESMAS_ID", "pkm-x"}}));
  EXPECT_EQ(c.sla.urgent, 2h);
  EXPECT_EQ(c.sla.routine, 72h);
  EXPECT_EQ(c.sla.validity, 90 * 24h);
  EXPECT_EQ(c.check_interval, 30s);
  EXPECT_EQ(c.PuskesmasFor("any-clinic"), "pkm-x");
}

TEST(ReferralSettings, BadValuesAreConfigErrorsNamingTheVariable) {
  auto error_of = [](std::map<std::string, std::string> env) -> std::string {
    try {
      (void)Settings::FromConfig(klinik::Config(std::move(env)));
    } catch (const klinik::ConfigError& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_THAT(error_of({}), HasSubstr("KLINIK_DEFAULT_PUSKESMAS_ID"));
  EXPECT_THAT(error_of({{"KLINIK_DEFAULT_PUSKESMAS_ID", std::string(65, 'p')}}),
              HasSubstr("KLINIK_DEFAULT_PUSKESMAS_ID"));
  EXPECT_THAT(error_of({{"KLINIK_DEFAULT_PUSKESMAS_ID", "p"}, {"KLINIK_SLA_URGENT", "soon"}}),
              HasSubstr("KLINIK_SLA_URGENT"));
  EXPECT_THAT(error_of({{"KLINIK_DEFAULT_PUSKESMAS_ID", "p"}, {"KLINIK_SLA_ROUTINE", "0s"}}),
              HasSubstr("KLINIK_SLA_ROUTINE"));
  EXPECT_THAT(error_of({{"KLINIK_DEFAULT_PUSKESMAS_ID", "p"}, {"KLINIK_REFERRAL_VALIDITY", "0d"}}),
              HasSubstr("KLINIK_REFERRAL_VALIDITY"));
  EXPECT_THAT(error_of({{"KLINIK_DEFAULT_PUSKESMAS_ID", "p"}, {"KLINIK_SLA_CHECK_INTERVAL", "x"}}),
              HasSubstr("KLINIK_SLA_CHECK_INTERVAL"));
  EXPECT_THAT(error_of({{"KLINIK_DEFAULT_PUSKESMAS_ID", "p"},
                        {"KLINIK_CLINIC_PUSKESMAS_MAP", "/nonexistent/map.json"}}),
              HasSubstr("KLINIK_CLINIC_PUSKESMAS_MAP"));
}

TEST(ReferralSettings, ClinicMapFileIsReadAndValidated) {
  std::string path = ::testing::TempDir() + "/clinic_map.json";
  std::ofstream(path) << R"({"clinic-a": "pkm-a", "clinic-b": "pkm-b"})";
  Settings c = Settings::FromConfig(klinik::Config(
      Env{{"KLINIK_DEFAULT_PUSKESMAS_ID", "pkm-x"}, {"KLINIK_CLINIC_PUSKESMAS_MAP", path}}));
  EXPECT_EQ(c.PuskesmasFor("clinic-a"), "pkm-a");
  EXPECT_EQ(c.PuskesmasFor("clinic-b"), "pkm-b");
  EXPECT_EQ(c.PuskesmasFor("clinic-z"), "pkm-x");

  for (const char* bad : {"[1,2]", "{\"c\": 5}", "{\"c\": \"\"}", "not json"}) {
    try {
      (void)ParseClinicPuskesmasMap(bad);
      ADD_FAILURE() << bad << " accepted";
    } catch (const klinik::ConfigError& e) {
      EXPECT_THAT(e.what(), HasSubstr("KLINIK_CLINIC_PUSKESMAS_MAP")) << bad;
    }
  }
}

// --- the automatic referral ---

klinik::v1::ScreeningCompleted Screening() {
  klinik::v1::ScreeningCompleted s;
  s.set_screening_id("bbbbbbbb-0000-4000-8000-000000000001");
  s.set_patient_id("11111111-2222-4333-8444-555555555555");
  s.set_clinic_id("clinic-a");
  s.set_examiner_id("3201010101900001");
  s.mutable_measured_at()->set_seconds(1795000000);
  s.set_referral_recommended(true);
  s.set_referral_urgency(klinik::v1::URGENCY_URGENT);
  s.add_referral_reason_codes("HYPERTENSION_GRADE_3");
  s.add_referral_reason_codes("DIABETES_SUSPECTED");
  auto add = [&](const char* code, const char* display, const char* icd) {
    auto* f = s.add_findings();
    f->set_code(code);
    f->set_display(display);
    f->set_icd10(icd);
  };
  add("HYPERTENSION_GRADE_3", "Hipertensi derajat 3", "I10");
  add("DIABETES_SUSPECTED", "Suspek diabetes", "R73.9");
  add("OBESE", "Obesitas", "E66.9");
  return s;
}

TEST(FromScreening, TargetsTheClinicsPuskesmasWithTheRecommendedReasonsAndUrgency) {
  Settings config;
  config.default_puskesmas_id = "pkm-default";
  config.clinic_puskesmas = {{"clinic-a", "pkm-a"}};
  NewReferral n = FromScreening(Screening(), config);
  EXPECT_EQ(n.target_facility_id, "pkm-a");
  EXPECT_EQ(n.target_facility_kind, klinik::v1::FACILITY_KIND_PUSKESMAS);
  EXPECT_EQ(n.direction, klinik::v1::REFERRAL_DIRECTION_VERTICAL);
  EXPECT_EQ(n.urgency, Urgency::kUrgent);
  EXPECT_THAT(n.reason_codes, ElementsAre("HYPERTENSION_GRADE_3", "DIABETES_SUSPECTED"));
  EXPECT_THAT(n.icd10, ElementsAre("I10", "R73.9")) << "only the findings that triggered it";
  EXPECT_EQ(n.note, "CKG screening: Hipertensi derajat 3; Suspek diabetes");
  EXPECT_EQ(n.requested_by, "3201010101900001");
  EXPECT_EQ(n.source_screening_id, "bbbbbbbb-0000-4000-8000-000000000001");
  EXPECT_TRUE(n.request_id.empty());
  EXPECT_EQ(klinik::ToUnixMillis(n.requested_at), 1795000000000);
  EXPECT_TRUE(ValidateRequest([&] {
                NewReferral m = n;
                m.request_id = "x";
                return m;
              }())
                  .empty());

  auto other = Screening();
  other.set_clinic_id("clinic-q");
  other.clear_referral_reason_codes();
  other.set_referral_urgency(klinik::v1::URGENCY_UNSPECIFIED);
  NewReferral m = FromScreening(other, config);
  EXPECT_EQ(m.target_facility_id, "pkm-default");
  EXPECT_EQ(m.urgency, Urgency::kRoutine);
  EXPECT_THAT(m.reason_codes, ElementsAre("HYPERTENSION_GRADE_3", "DIABETES_SUSPECTED", "OBESE"));
}

// --- facts ---

TEST(Facts, EveryStepPublishesItsOwnEventKindWithItsCeType) {
  const std::map<StepKind, std::pair<klinik::v1::ReferralEvent::KindCase, std::string>> expected = {
      {StepKind::kCreated,
       {klinik::v1::ReferralEvent::kReferralCreated, "id.klinik.referral.created.v1"}},
      {StepKind::kJoined,
       {klinik::v1::ReferralEvent::kReferralJoined, "id.klinik.referral.joined.v1"}},
      {StepKind::kSent, {klinik::v1::ReferralEvent::kReferralSent, "id.klinik.referral.sent.v1"}},
      {StepKind::kAccepted,
       {klinik::v1::ReferralEvent::kReferralAccepted, "id.klinik.referral.accepted.v1"}},
      {StepKind::kRejected,
       {klinik::v1::ReferralEvent::kReferralRejected, "id.klinik.referral.rejected.v1"}},
      {StepKind::kRetargeted,
       {klinik::v1::ReferralEvent::kReferralRetargeted, "id.klinik.referral.retargeted.v1"}},
      {StepKind::kAttended,
       {klinik::v1::ReferralEvent::kReferralAttended, "id.klinik.referral.attended.v1"}},
      {StepKind::kCompleted,
       {klinik::v1::ReferralEvent::kReferralCompleted, "id.klinik.referral.completed.v1"}},
      {StepKind::kCancelled,
       {klinik::v1::ReferralEvent::kReferralCancelled, "id.klinik.referral.cancelled.v1"}},
      {StepKind::kExpired,
       {klinik::v1::ReferralEvent::kReferralExpired, "id.klinik.referral.expired.v1"}},
      {StepKind::kOverdue,
       {klinik::v1::ReferralEvent::kReferralOverdue, "id.klinik.referral.overdue.v1"}},
  };
  Referral r;
  r.referral_id = "aaaaaaaa-0000-4000-8000-000000000001";
  r.patient_id = "11111111-2222-4333-8444-555555555555";
  r.target_facility_id = "pkm-1";
  for (const auto& [kind, want] : expected) {
    Step s;
    s.kind = kind;
    klinik::v1::ReferralEvent e = ToFact(s, r);
    EXPECT_EQ(e.kind_case(), want.first) << StepName(kind);
    EXPECT_EQ(FactCase(kind), want.first) << StepName(kind);
    EXPECT_EQ(CeType(kind), want.second);
  }
}

TEST(Facts, CancelAndExpiryCarryThePreviousStatusAndRetargetThePreviousTarget) {
  Referral r;
  r.referral_id = "aaaaaaaa-0000-4000-8000-000000000001";
  r.target_facility_id = "rs-2";
  r.status = Status::kSent;
  Step cancel{.kind = StepKind::kCancelled,
              .from = Status::kAccepted,
              .to = Status::kCancelled,
              .reason = "PATIENT_DIED"};
  auto c = ToFact(cancel, r).referral_cancelled();
  EXPECT_EQ(c.previous_status(), klinik::v1::REFERRAL_STATUS_ACCEPTED);
  EXPECT_EQ(c.reason(), "PATIENT_DIED");
  Step expire{.kind = StepKind::kExpired, .from = Status::kSent, .cause = ExpiryCause::kNoResponse};
  auto x = ToFact(expire, r).referral_expired();
  EXPECT_EQ(x.cause(), klinik::v1::EXPIRY_CAUSE_NO_RESPONSE);
  EXPECT_EQ(x.previous_status(), klinik::v1::REFERRAL_STATUS_SENT);
  Step retarget{.kind = StepKind::kRetargeted, .previous_target = "pkm-1"};
  auto t = ToFact(retarget, r).referral_retargeted();
  EXPECT_EQ(t.previous_target_facility_id(), "pkm-1");
  EXPECT_EQ(t.target_facility_id(), "rs-2");
}

TEST(Facts, AppInstantsAreKeptToTheMillisecondAsStored) {
  klinik::v1::RequestReferral request;
  *request.mutable_requested_at() =
      klinik::ToTimestamp(klinik::FromUnixMillis(1795000000123) + std::chrono::microseconds(456));
  EXPECT_EQ(FromProto(request).requested_at, klinik::FromUnixMillis(1795000000123));
  Referral stored;
  stored.requested_at = FromProto(request).requested_at;
  klinik::v1::Referral published = ToProto(stored, {});
  EXPECT_EQ(published.requested_at().seconds(), 1795000000);
  EXPECT_EQ(published.requested_at().nanos(), 123000000);
}

// Found by fuzz/referral_intake: an acted_at or requested_at past 2262 overflowed on conversion.
TEST(Facts, TimestampsBeyondWhatAClockHoldsSaturate) {
  klinik::v1::RequestReferral request;
  request.mutable_requested_at()->set_seconds(253402300799);  // 9999-12-31T23:59:59Z
  EXPECT_EQ(FromProto(request).requested_at, klinik::ParseRfc3339("2261-12-31T23:59:59.999Z"));
  request.mutable_requested_at()->set_seconds(std::numeric_limits<int64_t>::min());
  EXPECT_EQ(FromProto(request).requested_at, klinik::ParseRfc3339("1678-01-01T00:00:00Z"));
}

}  // namespace
}  // namespace referral
