// Translation between the domain (referral_lifecycle.h) and the klinik.v1 contracts: intake
// requests into domain requests, lifecycle steps into facts on klinik.referrals.v1, and stored
// referrals into the ReferralService's Referral message.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "klinik/time_util.h"
#include "klinik/v1/referral.pb.h"
#include "klinik/v1/screening.pb.h"
#include "referral_lifecycle.h"
#include "settings.h"

namespace referral {

// The case of klinik.v1.ReferralEvent a step publishes (ToFact fills it).
[[nodiscard]] klinik::v1::ReferralEvent::KindCase FactCase(StepKind kind);
// ce_type of the fact a step publishes, from the registry (klinik/event_types.h); stored as a
// history step's event_type.
[[nodiscard]] std::string_view CeType(StepKind kind);

[[nodiscard]] NewReferral FromProto(const klinik::v1::RequestReferral& request);
// The automatic referral a ScreeningCompleted recommends, to the clinic's puskesmas.
[[nodiscard]] NewReferral FromScreening(const klinik::v1::ScreeningCompleted& screening,
                                        const Settings& config);
// An intake command about an existing referral (its target is the message's referral_id).
[[nodiscard]] Command ToCommand(const klinik::v1::AcceptReferral& m);
[[nodiscard]] Command ToCommand(const klinik::v1::RejectReferral& m);
[[nodiscard]] Command ToCommand(const klinik::v1::RetargetReferral& m);
[[nodiscard]] Command ToCommand(const klinik::v1::RecordAttendance& m);
[[nodiscard]] Command ToCommand(const klinik::v1::CompleteReferral& m);
[[nodiscard]] Command ToCommand(const klinik::v1::CancelReferral& m);
// The command an intake holds, whichever case it is; `referral_id` receives its target.
[[nodiscard]] Command CommandFromProto(const klinik::v1::ReferralIntake& intake,
                                       std::string* referral_id);

// The fact one step publishes, describing `after` (the referral once every step applied).
[[nodiscard]] klinik::v1::ReferralEvent ToFact(const Step& step, const Referral& after);

[[nodiscard]] klinik::v1::Referral ToProto(const Referral& referral,
                                           const std::vector<Step>& history);

}  // namespace referral
