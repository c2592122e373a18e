// The consumer side of the referral service: one handler over klinik.intake.referral.v1 (apps'
// requests and answers) and klinik.screenings.v1 (automatic referrals from ScreeningCompleted).
// Decode → validate → lifecycle → persist + facts, all in the processor's transaction. This file
// is the one place that maps domain outcomes to rejection facts and dead letters.
#pragma once

#include <memory>
#include <string>

#include "klinik/outbox.h"
#include "klinik/processor.h"
#include "referral_config.h"
#include "referral_lifecycle.h"
#include "referral_metrics.h"

namespace klinik::v1 {
class ReferralIntake;
class ScreeningCompleted;
}  // namespace klinik::v1

namespace referral {

// Writes a decision inside the outbox's transaction: the referral row (inserted when
// `is_new`), one history row and one fact on klinik.referrals.v1 per step.
void RecordDecision(klinik::OutboxWriter& out, const Decision& decision, bool is_new,
                    ReferralMetrics* metrics);

class ReferralHandler final : public klinik::EventHandler {
 public:
  // `metrics` must outlive the handler.
  ReferralHandler(ReferralConfig config, ReferralLifecycle lifecycle, ReferralMetrics& metrics)
      : config_(std::move(config)), lifecycle_(std::move(lifecycle)), metrics_(&metrics) {}

  klinik::HandleResult Handle(const klinik::InboundEvent& event,
                              klinik::OutboxWriter& out) override;

 private:
  klinik::HandleResult HandleIntake(const klinik::InboundEvent& event, klinik::OutboxWriter& out);
  klinik::HandleResult HandleScreening(const klinik::InboundEvent& event,
                                       klinik::OutboxWriter& out);
  // Opens a referral or joins the patient's open one; `request_key` makes a re-sent request a
  // no-op.
  klinik::HandleResult OpenOrJoin(const NewReferral& request, const std::string& request_key,
                                  klinik::OutboxWriter& out);
  klinik::HandleResult ApplyCommand(const klinik::v1::ReferralIntake& intake,
                                    klinik::OutboxWriter& out);

  ReferralConfig config_;
  ReferralLifecycle lifecycle_;
  ReferralMetrics* metrics_;  // never null
};

}  // namespace referral
