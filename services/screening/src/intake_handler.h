// IntakeHandler: consumes klinik.intake.screening.v1 (ScreeningIntake.submit_screening) and
// writes klinik.screenings.v1 facts through the outbox, inside the processor's transaction.
//
// A TypedHandler: a value that is not a ScreeningIntake, holds no submit_screening, or whose
// ce_type is not submit_screening's (screening.proto) is a dead letter before Decide runs; facts
// carry the ce_type of the case they hold.
//
// Decide() is the whole decision as a value (SubmissionOutcome); ApplyOutcome() is the ONE place
// that turns an outcome into stored state, a fact, a metric and the processor's HandleResult:
//   Completed             -> screening stored, ScreeningCompleted           -> Applied
//   Rejected              -> ScreeningRejected with reasons                 -> Rejected
//   AlreadyRecorded       -> nothing (the first ScreeningCompleted stands)  -> Ignored
//   WaitForRegistration   -> nothing; the partition pauses and retries     -> Retry
//   UnusablePatientRecord -> the message is parked in the dead-letter topic -> DeadLetter
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "classifier.h"
#include "klinik/time_util.h"
#include "klinik/typed_handler.h"
#include "klinik/v1/screening.pb.h"
#include "patient_lookup.h"
#include "service_metrics.h"

namespace screening {

struct Completed {
  klinik::v1::Screening record;         // what is stored and served by ScreeningService
  klinik::v1::ScreeningCompleted fact;  // the same values, as published
  klinik::CivilDate local_date;
};
struct Rejected {
  std::string patient_id;  // as submitted or resolved; empty when unknown
  std::vector<RejectionReason> reasons;
};
struct AlreadyRecorded {
  std::string screening_id;
};
struct WaitForRegistration {
  std::string detail;
};
struct UnusablePatientRecord {
  std::string detail;
};
using SubmissionOutcome =
    std::variant<Completed, Rejected, AlreadyRecorded, WaitForRegistration, UnusablePatientRecord>;

class IntakeHandler final : public klinik::TypedHandler {
 public:
  // Takes ScreeningIntake on the topic it is subscribed to (KLINIK_SCREENING_INTAKE_TOPIC).
  // `lookup` and `metrics` must outlive the handler. `clock` gives "now" (tests).
  IntakeHandler(
      ScreeningClassifier classifier, PatientLookup& lookup, std::chrono::minutes utc_offset,
      ServiceMetrics& metrics,
      std::function<klinik::TimePoint()> clock = [] { return klinik::Clock::now(); });

  // Looks up every patient the events name at once (LookupMany) before the transaction;
  // Decide uses those answers, and asks itself for anyone not found in them.
  void Prepare(const std::vector<klinik::InboundEvent>& events) override;

  // The decision for one submission; reads (never writes) through `tx`.
  [[nodiscard]] SubmissionOutcome Decide(const klinik::v1::SubmitScreening& submission,
                                         klinik::Transaction& tx) const;

 private:
  // Decide, then ApplyOutcome.
  klinik::HandleResult Submit(const klinik::v1::SubmitScreening& submission,
                              klinik::OutboxWriter& out) const;
  klinik::HandleResult ApplyOutcome(SubmissionOutcome outcome,
                                    const klinik::v1::SubmitScreening& submission,
                                    klinik::OutboxWriter& out) const;
  [[nodiscard]] SubmissionOutcome Complete(const klinik::v1::SubmitScreening& submission,
                                           const PatientInfo& patient,
                                           klinik::Transaction& tx) const;

  // Request checks and plausibility: every reason to refuse the submission.
  [[nodiscard]] std::vector<RejectionReason> Problems(const klinik::v1::SubmitScreening& s) const;
  // The prepared answer for this submission's patient, or a lookup now.
  [[nodiscard]] LookupResult Lookup(const klinik::v1::SubmitScreening& s) const;

  ScreeningClassifier classifier_;
  PatientLookup& lookup_;
  // Answers fetched by the last Prepare (never "unavailable": that one is asked again).
  std::map<PatientKey, LookupResult> prepared_;
  std::chrono::minutes utc_offset_;
  ServiceMetrics* metrics_;  // never null
  std::function<klinik::TimePoint()> clock_;
};

// klinik.v1.Reason of a domain rejection reason.
[[nodiscard]] klinik::v1::Reason ToReason(const RejectionReason& reason);

}  // namespace screening
