// Translation between the domain (referral_lifecycle.h) and the klinik.v1 contracts: intake
// requests into domain requests, lifecycle steps into facts on klinik.referrals.v1, and stored
// referrals into the ReferralService's Referral message.
#pragma once

#include <string>
#include <vector>

#include "klinik/time_util.h"
#include "klinik/v1/referral.pb.h"
#include "klinik/v1/screening.pb.h"
#include "referral_config.h"
#include "referral_lifecycle.h"

namespace referral {

// ce_type of the fact a step publishes, e.g. "id.klinik.referral.accepted.v1".
[[nodiscard]] const char* CeType(StepKind kind);
inline constexpr const char* kTransitionRejectedType = "id.klinik.referral.transition_rejected.v1";

// ce_type of an intake request (the attempted transition), e.g.
// "id.klinik.intake.accept_referral.v1"; "" when no kind is set.
[[nodiscard]] const char* IntakeType(klinik::v1::ReferralIntake::KindCase kind);
// ce_type of a klinik.screenings.v1 fact (as written in screening.proto), e.g.
// "id.klinik.screening.completed.v1"; "" when no kind is set.
[[nodiscard]] const char* ScreeningType(klinik::v1::ScreeningEvent::KindCase kind);

[[nodiscard]] NewReferral FromProto(const klinik::v1::RequestReferral& request);
// The automatic referral a ScreeningCompleted recommends, to the clinic's puskesmas.
[[nodiscard]] NewReferral FromScreening(const klinik::v1::ScreeningCompleted& screening,
                                        const ReferralConfig& config);
// An intake command about an existing referral; `referral_id` receives its target.
[[nodiscard]] Command CommandFromProto(const klinik::v1::ReferralIntake& intake,
                                       std::string* referral_id);

// The fact one step publishes, describing `after` (the referral once every step applied).
[[nodiscard]] klinik::v1::ReferralEvent ToFact(const Step& step, const Referral& after);

[[nodiscard]] klinik::v1::Referral ToProto(const Referral& referral,
                                           const std::vector<Step>& history);

// Kept only for referral_handler.cc, whose rewrite is under way elsewhere; other code calls
// klinik::ToTimestampMillis directly (referrals are stored to the millisecond).
[[nodiscard]] inline google::protobuf::Timestamp ToTimestamp(TimePoint t) {
  return klinik::ToTimestampMillis(t);
}

}  // namespace referral
