// The consumer side of the referral service: one TypedHandler over klinik.intake.referral.v1
// (apps' requests and answers, one function per ReferralIntake case) and klinik.screenings.v1
// (automatic referrals from ScreeningCompleted; every other screening fact is ignored).
// TypedHandler decodes and checks the ce_type; here: validate → lifecycle → persist + facts, all
// in the processor's transaction. This file is the one place that maps domain outcomes to
// rejection facts and dead letters.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "klinik/outbox.h"
#include "klinik/typed_handler.h"
#include "referral_lifecycle.h"
#include "service_metrics.h"
#include "settings.h"

namespace klinik::v1 {
class RequestReferral;
class ScreeningCompleted;
}  // namespace klinik::v1

namespace referral {

// Writes a decision inside the outbox's transaction: the referral row (inserted when
// `is_new`), one history row and one fact on klinik.referrals.v1 per step.
void RecordDecision(klinik::OutboxWriter& out, const Decision& decision, bool is_new,
                    ServiceMetrics* metrics);

class ReferralHandler final : public klinik::TypedHandler {
 public:
  // `metrics` must outlive the handler.
  ReferralHandler(Settings config, ReferralLifecycle lifecycle, ServiceMetrics& metrics);

 private:
  // Msg is a ReferralIntake case about an existing referral (accept … cancel).
  template <class Msg>
  void OnCommand(int intake_case);

  klinik::HandleResult Request(const klinik::v1::RequestReferral& request,
                               klinik::OutboxWriter& out);
  klinik::HandleResult Screened(const klinik::v1::ScreeningCompleted& screening,
                                klinik::OutboxWriter& out);
  // Opens a referral or joins the patient's open one; `request_key` makes a re-sent request a
  // no-op.
  klinik::HandleResult OpenOrJoin(const NewReferral& request, const std::string& request_key,
                                  klinik::OutboxWriter& out);
  // `request_type` is the ce_type of the intake case the command came as.
  klinik::HandleResult ApplyCommand(const Command& command, const std::string& referral_id,
                                    std::string_view request_type, klinik::OutboxWriter& out);

  Settings config_;
  ReferralLifecycle lifecycle_;
  ServiceMetrics* metrics_;  // never null
};

}  // namespace referral
