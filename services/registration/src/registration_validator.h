// The validation rules of DOMAIN.md for what apps submit on the registration intake topic.
// Every broken rule is reported (an app shows them all at once); disagreements DOMAIN.md says to
// accept come back as warnings. "Today" is injected so tests are deterministic.
//
//   RegistrationValidator validator([] { return klinik::CivilDate{2026, 11, 23}; });
//   ValidationResult r = validator.Validate(request);
//   if (!r.ok()) { /* reject with r.reasons */ }
#pragma once

#include <functional>

#include "patient.h"

namespace registration {

struct [[nodiscard]] ValidationResult {
  Findings reasons;   // rejection reasons; empty = acceptable
  Findings warnings;  // accepted but flagged
  [[nodiscard]] bool ok() const { return reasons.empty(); }
};

class RegistrationValidator {
 public:
  using Today = std::function<klinik::CivilDate()>;
  explicit RegistrationValidator(Today today);

  [[nodiscard]] ValidationResult Validate(const RegistrationRequest& request) const;
  [[nodiscard]] ValidationResult Validate(const ContactUpdateRequest& request) const;

 private:
  Today today_;
};

// Today's date in the easternmost Indonesian zone (WIT, UTC+9). Birth dates are written on the
// clinic's local calendar; judging "in the future" by the latest local date there is never
// refuses a baby born today anywhere in Indonesia.
[[nodiscard]] klinik::CivilDate TodayInIndonesia();

// "64.72.04.1004": 2.2.2.4 digits with dots, a known province, village part starting 1
// (kelurahan) or 2 (desa).
[[nodiscard]] bool IsVillageCode(std::string_view code);
// E.164 ("+" and 8-15 digits) or local ("0" and 9-13 digits in all).
[[nodiscard]] bool IsPhoneNumber(std::string_view phone);

}  // namespace registration
