// klinikctl: flags become the right protobuf fields; intake events reach real Kafka with
// CloudEvents headers and come back decoded through `watch`; errors are clear and say which
// flag or service is at fault.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "demo.h"
#include "klinik/time_util.h"
#include "klinik/topics.h"
#include "klinik/v1/pharmacy.pb.h"
#include "klinik/v1/registration.pb.h"
#include "klinik/v1/screening.pb.h"
#include "klinikctl.h"
#include "message_builder.h"
#include "test_infra.h"

namespace klinikctl {
namespace {

using ::testing::HasSubstr;

TEST(MessageBuilder, FlagsFillNestedEnumAndRepeatedFields) {
  klinik::v1::RegisterPatient m;
  std::string error;
  ASSERT_TRUE(BuildMessage({{"nik", "3201014501900001"},
                            {"full-name", "Siti Aminah"},
                            {"sex", "female"},
                            {"address.village-code", "32.01.01.2001"},
                            {"birth_date", "1990-01-05"}},
                           &m, &error))
      << error;
  EXPECT_EQ(m.nik(), "3201014501900001");
  EXPECT_EQ(m.full_name(), "Siti Aminah");
  EXPECT_EQ(m.sex(), klinik::v1::SEX_FEMALE);
  EXPECT_EQ(m.address().village_code(), "32.01.01.2001");
  EXPECT_EQ(m.birth_date(), "1990-01-05");
}

TEST(MessageBuilder, NumbersOptionalsTimestampsAndJsonValues) {
  klinik::v1::SubmitScreening s;
  std::string error;
  ASSERT_TRUE(BuildMessage({{"measurements.systolic-mmhg", "162"},
                            {"measurements.weight-kg", "71.5"},
                            {"measurements.danger-signs", "true"},
                            {"measured-at", "2025-07-21T08:30:00+07:00"}},
                           &s, &error))
      << error;
  EXPECT_TRUE(s.measurements().has_systolic_mmhg());
  EXPECT_EQ(s.measurements().systolic_mmhg(), 162);
  EXPECT_DOUBLE_EQ(s.measurements().weight_kg(), 71.5);
  EXPECT_FALSE(s.measurements().has_diastolic_mmhg());
  EXPECT_EQ(s.measured_at().seconds(), 1753061400);

  klinik::v1::DispenseMedication d;
  ASSERT_TRUE(BuildMessage({{"lines", R"({"item_code":"93001234","quantity":10})"},
                            {"lines", R"({"item_code":"94009999","quantity":2})"}},
                           &d, &error))
      << error;
  ASSERT_EQ(d.lines_size(), 2);
  EXPECT_EQ(d.lines(1).item_code(), "94009999");
}

struct BadFlag {
  std::string flag, value, must_say;
};
class MessageBuilderRejects : public ::testing::TestWithParam<BadFlag> {};

TEST_P(MessageBuilderRejects, NamingTheFlag) {
  klinik::v1::SubmitScreening s;
  std::string error;
  EXPECT_FALSE(BuildMessage({{GetParam().flag, GetParam().value}}, &s, &error));
  EXPECT_THAT(error, HasSubstr("--" + GetParam().flag));
  EXPECT_THAT(error, HasSubstr(GetParam().must_say));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, MessageBuilderRejects,
    ::testing::Values(BadFlag{"patient", "x", "unknown field"},
                      BadFlag{"measurements.systolic-mmhg", "high", "whole number"},
                      BadFlag{"measurements.weight-kg", "7kg", "number"},
                      BadFlag{"measurements.glucose-kind", "sweet", "expected one of"},
                      BadFlag{"measured-at", "yesterday", "RFC 3339"},
                      BadFlag{"clinic-id.x", "1", "not a message field"}),
    [](const auto& info) { return "case" + std::to_string(info.index); });

TEST(MessageBuilder, DefaultsGiveARequestIdAndTheCurrentTime) {
  klinik::v1::ReceiveStock r;
  FillDefaults(&r);
  EXPECT_TRUE(klinik::IsUuid(r.request_id()));
  EXPECT_GT(r.received_at().seconds(), 1700000000);
}

int RunCli(std::vector<std::string> args, std::string* out, std::string* err) {
  std::ostringstream o, e;
  int code = Run(args, o, e);
  *out = o.str();
  *err = e.str();
  return code;
}

TEST(Klinikctl, RegisterPublishesAndWatchDecodesWithHeaders) {
  std::string topic(klinik::topics::kIntakeRegistration);
  klinik::testing::CreateTopics({topic});
  std::string bootstrap = klinik::testing::KafkaBootstrap();
  std::string request_id = klinik::NewUuid();
  std::string out, err;
  ASSERT_EQ(RunCli({"register", "--bootstrap", bootstrap, "--request-id", request_id, "--nik",
                    "3201014501900001", "--full-name", "Siti Aminah", "--birth-date", "1990-01-05",
                    "--sex", "female", "--address.village-code", "32.01.01.2001", "--clinic-id",
                    "clinic-1"},
                   &out, &err),
            0)
      << err;
  auto published = nlohmann::json::parse(out);
  EXPECT_EQ(published["topic"], topic);
  EXPECT_EQ(published["key"], "3201014501900001");
  EXPECT_EQ(published["ce_type"], "id.klinik.intake.register_patient.v1");

  ASSERT_EQ(RunCli({"watch", topic, "--bootstrap", bootstrap, "--from-beginning", "--timeout", "8"},
                   &out, &err),
            0)
      << err;
  bool found = false;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    auto j = nlohmann::json::parse(line);
    if (j["event"]["register_patient"]["request_id"] != request_id) continue;
    found = true;
    EXPECT_EQ(j["headers"]["ce_id"], published["ce_id"]);
    EXPECT_EQ(j["headers"]["ce_specversion"], "1.0");
    EXPECT_EQ(j["headers"]["content-type"], "application/protobuf");
    EXPECT_EQ(j["event"]["register_patient"]["sex"], "SEX_FEMALE");
  }
  EXPECT_TRUE(found) << out;
}

// The ce_types come from the registry (the protos' options), for plain commands and for
// respond-referral's actions alike, on the topic of the case's wrapper.
TEST(Klinikctl, EachCommandPublishesTheCeTypeOfItsCase) {
  std::string topic(klinik::topics::kIntakeReferral);
  klinik::testing::CreateTopics({topic});
  std::string bootstrap = klinik::testing::KafkaBootstrap();
  const std::string patient = klinik::NewUuid();
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"refer", "--origin-clinic-id", "clinic-1"}, "id.klinik.intake.request_referral.v1"},
      {{"respond-referral", "--action", "attend"}, "id.klinik.intake.record_attendance.v1"},
      {{"respond-referral", "--action", "cancel"}, "id.klinik.intake.cancel_referral.v1"},
  };
  for (const auto& [args, ce_type] : cases) {
    std::vector<std::string> all = args;
    all.insert(all.end(), {"--bootstrap", bootstrap, "--patient-id", patient});
    std::string out, err;
    ASSERT_EQ(RunCli(all, &out, &err), 0) << err;
    auto published = nlohmann::json::parse(out);
    EXPECT_EQ(published["topic"], topic) << ce_type;
    EXPECT_EQ(published["ce_type"], ce_type);
    EXPECT_EQ(published["key"], patient) << ce_type;
  }
}

TEST(Klinikctl, ClearErrors) {
  std::string out, err;
  EXPECT_EQ(RunCli({"register", "--nikk", "1"}, &out, &err), 2);
  EXPECT_THAT(err, HasSubstr("--nikk"));
  EXPECT_EQ(RunCli({"screen", "--clinic-id", "c1"}, &out, &err), 2);
  EXPECT_THAT(err, HasSubstr("--patient_id"));
  EXPECT_EQ(RunCli({"frobnicate"}, &out, &err), 2);
  EXPECT_THAT(err, HasSubstr("unknown command"));
  EXPECT_EQ(RunCli({"respond-referral", "--action", "approve"}, &out, &err), 2);
  EXPECT_THAT(err, HasSubstr("--action"));
  EXPECT_EQ(RunCli({"watch", "klinik.nope.v1"}, &out, &err), 2);
  EXPECT_THAT(err, HasSubstr("unknown topic"));
  EXPECT_EQ(RunCli({"patient", "--patient-id", "p1", "--addr", "127.0.0.1:1", "--timeout", "2"},
                   &out, &err),
            1);
  EXPECT_THAT(err, HasSubstr("registration at 127.0.0.1:1 answered UNAVAILABLE"));
}

}  // namespace
}  // namespace klinikctl

namespace klinikctl {
namespace {

TEST(DemoResidents, ValidNiksForTheVillageDeterministicAndMostlyInTheBirthdayWindow) {
  VillagePlan plan;
  klinik::CivilDate today{2026, 11, 23};
  auto residents = MakeResidents(plan, today);
  ASSERT_EQ(residents.size(), 300u);
  std::set<std::string> niks;
  int in_window = 0;
  for (const auto& r : residents) {
    ASSERT_EQ(r.nik.size(), 16u) << r.nik;
    EXPECT_EQ(r.nik.substr(0, 6), "320415") << "issued in the village's district";
    int day = std::stoi(r.nik.substr(6, 2));
    EXPECT_EQ(day, static_cast<int>(r.birth_date.day) + (r.female ? 40 : 0));
    EXPECT_EQ(std::stoi(r.nik.substr(8, 2)), static_cast<int>(r.birth_date.month));
    EXPECT_EQ(std::stoi(r.nik.substr(10, 2)), r.birth_date.year % 100);
    EXPECT_NE(r.nik.substr(12, 4), "0000");
    EXPECT_TRUE(klinik::ParseCivilDate(klinik::FormatCivilDate(r.birth_date))) << "a real day";
    niks.insert(r.nik);
    klinik::CivilDate birthday{today.year, r.birth_date.month, r.birth_date.day};
    int64_t since = klinik::DaysBetween(birthday, today);
    in_window += since >= 0 && since <= 30;
  }
  EXPECT_EQ(niks.size(), residents.size()) << "one NIK per resident";
  EXPECT_GT(in_window, 180);
  EXPECT_EQ(MakeResidents(plan, today)[42].nik, residents[42].nik) << "same seed, same village";
}

}  // namespace
}  // namespace klinikctl
