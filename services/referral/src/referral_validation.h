// Content checks of intake requests before they reach the lifecycle. Each problem is a
// machine-readable code with the offending field (common.proto's Reason); the handler turns them
// into a ReferralTransitionRejected fact. Messages never contain personal data.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "referral_lifecycle.h"

namespace referral {

struct Violation {
  std::string code;     // UPPER_SNAKE, e.g. REASON_CODES_MISSING
  std::string field;    // proto field path, e.g. "reason_codes[1]"
  std::string message;  // English, no personal data
};

// A manual RequestReferral.
[[nodiscard]] std::vector<Violation> ValidateRequest(const NewReferral& request);
// Accept, reject, retarget, attend, complete or cancel; `referral_id` as submitted.
[[nodiscard]] std::vector<Violation> ValidateCommand(const Command& command,
                                                     std::string_view referral_id);

// Formats shared with the screening path.
[[nodiscard]] bool IsReasonCode(std::string_view code);  // UPPER_SNAKE, 1–64 chars
[[nodiscard]] bool IsIcd10(std::string_view code);       // "I10", "R73.9", "E11.65"
[[nodiscard]] bool IsStaffNik(std::string_view id);      // 16 digits

}  // namespace referral
