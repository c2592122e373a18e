// CKG birthday-window eligibility: the birthday, day 30, day 31, ages 6/7 and 17/18, leap-day
// birthdays, windows across New Year, and the clinic's local day of a UTC instant.
#include "eligibility.h"

#include <gtest/gtest.h>

#include "local_date.h"

namespace screening {
namespace {

klinik::CivilDate D(const char* text) { return klinik::ParseCivilDate(text).value(); }

struct EligibilityCase {
  const char* name;
  const char* birth;
  const char* day;
  bool already;
  EligibilityReason reason;
  int age;
  const char* window_start;  // "" = no window (ages 7–17)
  const char* window_end;
};

class EligibilityEdges : public ::testing::TestWithParam<EligibilityCase> {};

TEST_P(EligibilityEdges, Decide) {
  const EligibilityCase& c = GetParam();
  Eligibility e = DecideEligibility(D(c.birth), D(c.day), 30, c.already);
  EXPECT_EQ(EligibilityReasonCode(e.reason), EligibilityReasonCode(c.reason));
  EXPECT_EQ(e.eligible, c.reason == EligibilityReason::kEligible);
  EXPECT_EQ(e.age_years, c.age);
  EXPECT_EQ(e.has_window, std::string(c.window_start) != "");
  if (e.has_window) {
    EXPECT_EQ(klinik::FormatCivilDate(e.window.start), c.window_start);
    EXPECT_EQ(klinik::FormatCivilDate(e.window.end), c.window_end);
  }
}

using R = EligibilityReason;

INSTANTIATE_TEST_SUITE_P(
    Ckg, EligibilityEdges,
    ::testing::Values(
        EligibilityCase{"day_before_birthday", "1990-05-10", "2026-05-09", false,
                        R::kOutsideBirthdayWindow, 35, "2026-05-10", "2026-06-09"},
        EligibilityCase{"birthday", "1990-05-10", "2026-05-10", false, R::kEligible, 36,
                        "2026-05-10", "2026-06-09"},
        EligibilityCase{"day_30", "1990-05-10", "2026-06-09", false, R::kEligible, 36, "2026-05-10",
                        "2026-06-09"},
        EligibilityCase{"day_31", "1990-05-10", "2026-06-10", false, R::kOutsideBirthdayWindow, 36,
                        "2026-05-10", "2026-06-09"},
        EligibilityCase{"already_screened", "1990-05-10", "2026-05-20", true,
                        R::kAlreadyScreenedThisYear, 36, "2026-05-10", "2026-06-09"},
        EligibilityCase{"age_6_birthday", "2020-03-01", "2026-03-01", false, R::kEligible, 6,
                        "2026-03-01", "2026-03-31"},
        EligibilityCase{"age_7_birthday", "2020-03-01", "2027-03-01", false,
                        R::kAge7To17SchoolProgram, 7, "", ""},
        EligibilityCase{"age_17_birthday", "2008-07-15", "2025-07-15", false,
                        R::kAge7To17SchoolProgram, 17, "", ""},
        EligibilityCase{"day_before_18th_birthday", "2008-07-15", "2026-07-14", false,
                        R::kAge7To17SchoolProgram, 17, "", ""},
        EligibilityCase{"age_18_birthday", "2008-07-15", "2026-07-15", false, R::kEligible, 18,
                        "2026-07-15", "2026-08-14"},
        EligibilityCase{"newborn_birth_day", "2026-11-01", "2026-11-01", false, R::kEligible, 0,
                        "2026-11-01", "2026-12-01"},
        EligibilityCase{"newborn_day_31", "2026-11-01", "2026-12-02", false,
                        R::kOutsideBirthdayWindow, 0, "2026-11-01", "2026-12-01"},
        // 29 February birthdays fall on 28 February in common years.
        EligibilityCase{"leap_birthday_common_year", "2000-02-29", "2026-02-28", false,
                        R::kEligible, 26, "2026-02-28", "2026-03-30"},
        EligibilityCase{"leap_birthday_common_year_day_before", "2000-02-29", "2026-02-27", false,
                        R::kOutsideBirthdayWindow, 25, "2026-02-28", "2026-03-30"},
        EligibilityCase{"leap_birthday_common_year_day_31", "2000-02-29", "2026-03-31", false,
                        R::kOutsideBirthdayWindow, 26, "2026-02-28", "2026-03-30"},
        EligibilityCase{"leap_birthday_leap_year", "2000-02-29", "2028-02-29", false, R::kEligible,
                        28, "2028-02-29", "2028-03-30"},
        EligibilityCase{"leap_birthday_leap_year_28th", "2000-02-29", "2028-02-28", false,
                        R::kOutsideBirthdayWindow, 27, "2028-02-29", "2028-03-30"},
        // A late-December window runs into January.
        EligibilityCase{"december_birthday_in_january", "1980-12-20", "2027-01-19", false,
                        R::kEligible, 46, "2026-12-20", "2027-01-19"},
        EligibilityCase{"december_birthday_day_31", "1980-12-20", "2027-01-20", false,
                        R::kOutsideBirthdayWindow, 46, "2027-12-20", "2028-01-19"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(Eligibility, AgeOnLeapDayBirthdays) {
  EXPECT_EQ(AgeOn(D("2024-02-29"), D("2025-02-27")), 0);
  EXPECT_EQ(AgeOn(D("2024-02-29"), D("2025-02-28")), 1);
  EXPECT_EQ(AgeOn(D("2024-02-29"), D("2028-02-28")), 3);
  EXPECT_EQ(AgeOn(D("2024-02-29"), D("2028-02-29")), 4);
}

TEST(Eligibility, WindowLengthIsConfigurable) {
  Eligibility e = DecideEligibility(D("1990-05-10"), D("2026-05-24"), 14, false);
  EXPECT_EQ(klinik::FormatCivilDate(e.window.end), "2026-05-24");
  EXPECT_TRUE(e.eligible);
  EXPECT_FALSE(DecideEligibility(D("1990-05-10"), D("2026-05-25"), 14, false).eligible);
}

TEST(LocalDate, WibMovesAnEveningUtcInstantToTheNextDay) {
  auto wib = klinik::ParseUtcOffset("+07:00").value();
  EXPECT_EQ(klinik::FormatCivilDate(LocalDate(*klinik::ParseRfc3339("2026-05-09T16:59:59Z"), wib)),
            "2026-05-09");
  EXPECT_EQ(klinik::FormatCivilDate(LocalDate(*klinik::ParseRfc3339("2026-05-09T17:00:00Z"), wib)),
            "2026-05-10");
  auto wit = klinik::ParseUtcOffset("WIT").value();
  EXPECT_EQ(klinik::FormatCivilDate(LocalDate(*klinik::ParseRfc3339("2026-05-09T15:00:00Z"), wit)),
            "2026-05-10");
}

}  // namespace
}  // namespace screening
