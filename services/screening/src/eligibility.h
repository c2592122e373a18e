// CKG birthday-window eligibility (DOMAIN.md "CKG", KMK HK.01.07/MENKES/33/2025): ages 0–6
// and 18+, from the birthday up to ckg_window_days after it (inclusive), once a year. Pure
// functions of dates; the caller says whether an eligible screening already exists in the
// window.
//
//   auto window = screening::BirthdayWindowFor(birth, day, 30);
//   bool already = store.HasEligibleScreening(patient, window.start, window.end);
//   screening::Eligibility e = screening::DecideEligibility(birth, day, 30, already);
//
// Decisions the regulation leaves open:
// - A 29 February birthday falls on 28 February in years without that day (so the window
//   never starts in March and the person turns a year older on the 28th).
// - A window that starts late in December runs into January: a January day inside it belongs
//   to last year's birthday.
// - The age judged is the completed age on the screening day, which inside the window is the
//   age just reached (a sixth birthday is eligible, a seventh is not).
#pragma once

#include <string_view>

#include "klinik/time_util.h"

namespace screening {

enum class EligibilityReason {
  kEligible,
  kOutsideBirthdayWindow,
  kAge7To17SchoolProgram,
  kAlreadyScreenedThisYear,
};

// The contract's code (ScreeningCompleted.eligibility_reason).
[[nodiscard]] std::string_view EligibilityReasonCode(EligibilityReason reason);

struct BirthdayWindow {
  klinik::CivilDate start;  // the birthday
  klinik::CivilDate end;    // start + window days, inclusive
};

struct [[nodiscard]] Eligibility {
  bool eligible = false;
  EligibilityReason reason = EligibilityReason::kOutsideBirthdayWindow;
  int age_years = 0;
  bool has_window = false;  // false for ages 7–17: the birthday stream does not apply
  BirthdayWindow window;
};

// The birthday of `birth` in `year` (28 February for a 29 February birth in a common year).
[[nodiscard]] klinik::CivilDate BirthdayIn(const klinik::CivilDate& birth, int year);
// Completed years of age on `day`; day must not precede birth.
[[nodiscard]] int AgeOn(const klinik::CivilDate& birth, const klinik::CivilDate& day);
// The window `day` falls in (last year's birthday when its window runs into day's January),
// else the window of the birthday in day's year.
[[nodiscard]] BirthdayWindow BirthdayWindowFor(const klinik::CivilDate& birth,
                                               const klinik::CivilDate& day, int window_days);
// day must not precede birth (the caller rejects that as a data-entry error).
[[nodiscard]] Eligibility DecideEligibility(const klinik::CivilDate& birth,
                                            const klinik::CivilDate& day, int window_days,
                                            bool already_screened_in_window);

}  // namespace screening
