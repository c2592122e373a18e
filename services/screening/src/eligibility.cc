#include "eligibility.h"

#include <chrono>

namespace screening {
namespace {

bool IsLeap(int year) { return std::chrono::year(year).is_leap(); }

bool AgeInBirthdayStream(int age) { return age <= 6 || age >= 18; }

}  // namespace

std::string_view EligibilityReasonCode(EligibilityReason reason) {
  switch (reason) {
    case EligibilityReason::kEligible:
      return "ELIGIBLE";
    case EligibilityReason::kOutsideBirthdayWindow:
      return "OUTSIDE_BIRTHDAY_WINDOW";
    case EligibilityReason::kAge7To17SchoolProgram:
      return "AGE_7_TO_17_SCHOOL_PROGRAM";
    case EligibilityReason::kAlreadyScreenedThisYear:
      return "ALREADY_SCREENED_THIS_YEAR";
  }
  return "OUTSIDE_BIRTHDAY_WINDOW";
}

klinik::CivilDate BirthdayIn(const klinik::CivilDate& birth, int year) {
  if (birth.month == 2 && birth.day == 29 && !IsLeap(year)) return {year, 2, 28};
  return {year, birth.month, birth.day};
}

int AgeOn(const klinik::CivilDate& birth, const klinik::CivilDate& day) {
  int age = day.year - birth.year;
  if (day < BirthdayIn(birth, day.year)) --age;
  return age;
}

BirthdayWindow BirthdayWindowFor(const klinik::CivilDate& birth, const klinik::CivilDate& day,
                                 int window_days) {
  auto window_of = [&](int year) {
    klinik::CivilDate start = BirthdayIn(birth, year);
    return BirthdayWindow{start, klinik::AddDays(start, window_days)};
  };
  BirthdayWindow last_year = window_of(day.year - 1);
  if (day.year - 1 >= birth.year && day <= last_year.end) return last_year;
  return window_of(day.year);
}

Eligibility DecideEligibility(const klinik::CivilDate& birth, const klinik::CivilDate& day,
                              int window_days, bool already_screened_in_window) {
  Eligibility e;
  e.age_years = AgeOn(birth, day);
  if (!AgeInBirthdayStream(e.age_years)) {
    e.reason = EligibilityReason::kAge7To17SchoolProgram;
    return e;
  }
  e.has_window = true;
  e.window = BirthdayWindowFor(birth, day, window_days);
  if (day < e.window.start || day > e.window.end) {
    e.reason = EligibilityReason::kOutsideBirthdayWindow;
    return e;
  }
  if (already_screened_in_window) {
    e.reason = EligibilityReason::kAlreadyScreenedThisYear;
    return e;
  }
  e.eligible = true;
  e.reason = EligibilityReason::kEligible;
  return e;
}

}  // namespace screening
