#include "referral_handler.h"

#include <optional>
#include <string_view>

#include "klinik/event_types.h"
#include "klinik/log.h"
#include "klinik/time_util.h"
#include "klinik/topics.h"
#include "klinik/v1/referral.pb.h"
#include "klinik/v1/screening.pb.h"
#include "referral_facts.h"
#include "referral_validation.h"
#include "store.h"

namespace referral {
namespace {

namespace v1 = klinik::v1;
using klinik::HandleResult;

const std::string kReferralsTopic(klinik::topics::kReferrals);

StepKind StepOf(Action action) {
  switch (action) {
    case Action::kAccept:
      return StepKind::kAccepted;
    case Action::kReject:
      return StepKind::kRejected;
    case Action::kRetarget:
      return StepKind::kRetargeted;
    case Action::kAttend:
      return StepKind::kAttended;
    case Action::kComplete:
      return StepKind::kCompleted;
    case Action::kCancel:
      return StepKind::kCancelled;
    case Action::kSend:
      return StepKind::kSent;
    case Action::kExpire:
      return StepKind::kExpired;
  }
  return StepKind::kCreated;
}

// What the app that sent a refused request needs to know, as one rejection fact.
struct Refused {
  std::string referral_id;
  std::string request_id;
  std::string patient_id;
  std::string request_type;
  Status current = Status::kUnspecified;
  std::vector<Violation> reasons;
};

HandleResult PublishRefusal(klinik::OutboxWriter& out, const Refused& r, ServiceMetrics* metrics) {
  v1::ReferralEvent e;
  auto* f = e.mutable_referral_transition_rejected();
  f->set_referral_id(r.referral_id);
  f->set_request_id(r.request_id);
  f->set_patient_id(r.patient_id);
  f->set_request_type(r.request_type);
  f->set_current_status(static_cast<v1::ReferralStatus>(r.current));
  for (const Violation& v : r.reasons) {
    v1::Reason* reason = f->add_reasons();
    reason->set_code(v.code);
    reason->set_field(v.field);
    reason->set_message(v.message);
  }
  *f->mutable_rejected_at() = klinik::ToTimestampMillis(klinik::Clock::now());
  // Keyed by patient like every referral fact; a request without a usable patient id falls back
  // to its request id so the app can still find the answer.
  const std::string& key = klinik::IsUuid(r.patient_id) ? r.patient_id : r.request_id;
  out.Publish(kReferralsTopic, key, r.referral_id.empty() ? r.request_id : r.referral_id, e);
  if (metrics) out.AfterCommit([metrics] { metrics->Refused(); });
  klinik::log::Info("referral request refused", {{"referral_id", r.referral_id},
                                                 {"request_type", r.request_type},
                                                 {"reason", r.reasons.front().code}});
  return HandleResult::Rejected(r.reasons.front().code);
}

Violation Explain(Refusal refusal, Action action, Status current) {
  switch (refusal) {
    case Refusal::kPatientMismatch:
      return {"PATIENT_MISMATCH", "patient_id", "the referral belongs to another patient"};
    case Refusal::kTargetUnchanged:
      return {"TARGET_UNCHANGED", "target_facility_id",
              "the referral already targets this facility"};
    case Refusal::kInvalidTransition:
    case Refusal::kNone:
      break;
  }
  return {
      "INVALID_TRANSITION", "",
      std::string("cannot ") + ActionName(action) + " a referral that is " + StatusName(current)};
}

}  // namespace

void RecordDecision(klinik::OutboxWriter& out, const Decision& d, bool is_new,
                    ServiceMetrics* metrics) {
  auto& tx = out.tx();
  if (is_new)
    store::Insert(tx, d.next);
  else
    store::Update(tx, d.next);
  store::AppendHistory(tx, d.next.referral_id, d.steps);
  for (const Step& step : d.steps) {
    out.Publish(kReferralsTopic, d.next.patient_id, d.next.referral_id, ToFact(step, d.next));
    if (metrics)
      out.AfterCommit([metrics, step, after = d.next] { metrics->StepTaken(step, after); });
  }
}

template <class Msg>
void ReferralHandler::OnCommand(int intake_case) {
  // The refusal names the attempted transition by the case's ce_type.
  std::string_view request_type = klinik::CeType<v1::ReferralIntake>(intake_case);
  On<v1::ReferralIntake, Msg>(
      intake_case,
      [this, request_type](const Msg& m, const klinik::InboundEvent&, klinik::OutboxWriter& out) {
        return ApplyCommand(ToCommand(m), m.referral_id(), request_type, out);
      });
}

ReferralHandler::ReferralHandler(Settings config, ReferralLifecycle lifecycle,
                                 ServiceMetrics& metrics)
    : config_(std::move(config)), lifecycle_(std::move(lifecycle)), metrics_(&metrics) {
  using klinik::InboundEvent;
  using klinik::OutboxWriter;
  Consume<v1::ReferralIntake>(std::string(klinik::topics::kIntakeReferral),
                              UnknownKind::kDeadLetter);
  Consume<v1::ScreeningEvent>(std::string(klinik::topics::kScreenings), UnknownKind::kIgnore);
  On<v1::ReferralIntake, v1::RequestReferral>(
      v1::ReferralIntake::kRequestReferral,
      [this](const v1::RequestReferral& r, const InboundEvent&, OutboxWriter& out) {
        return Request(r, out);
      });
  OnCommand<v1::AcceptReferral>(v1::ReferralIntake::kAcceptReferral);
  OnCommand<v1::RejectReferral>(v1::ReferralIntake::kRejectReferral);
  OnCommand<v1::RetargetReferral>(v1::ReferralIntake::kRetargetReferral);
  OnCommand<v1::RecordAttendance>(v1::ReferralIntake::kRecordAttendance);
  OnCommand<v1::CompleteReferral>(v1::ReferralIntake::kCompleteReferral);
  OnCommand<v1::CancelReferral>(v1::ReferralIntake::kCancelReferral);
  // Only a completed screening can recommend a referral; rejected screenings are ignored.
  On<v1::ScreeningEvent, v1::ScreeningCompleted>(
      v1::ScreeningEvent::kScreeningCompleted,
      [this](const v1::ScreeningCompleted& s, const InboundEvent&, OutboxWriter& out) {
        return Screened(s, out);
      });
  // A screening entered in error cancels the open referral it opened (one it only joined stays
  // open: another screening or request opened it). The cancel goes through the lifecycle like an
  // app's, so a referral past the point of cancelling gets a transition_rejected fact instead.
  On<v1::ScreeningEvent, v1::ScreeningWithdrawn>(
      v1::ScreeningEvent::kScreeningWithdrawn,
      [this](const v1::ScreeningWithdrawn& w, const InboundEvent&, OutboxWriter& out) {
        Command cancel{.action = Action::kCancel,
                       .request_id = "withdrawn-" + w.screening_id(),
                       .patient_id = w.patient_id(),
                       .acted_by = w.withdrawn_by(),
                       .acted_at = std::chrono::floor<std::chrono::milliseconds>(
                           klinik::FromTimestamp(w.withdrawn_at())),
                       .reason = "SCREENING_WITHDRAWN",
                       .note = w.reason()};
        HandleResult result = HandleResult::Ignored();
        for (const Referral& r : store::OpenForPatient(out.tx(), w.patient_id())) {
          if (r.source_screening_id != w.screening_id()) continue;
          result = ApplyCommand(
              cancel, r.referral_id,
              klinik::CeType<v1::ScreeningEvent>(v1::ScreeningEvent::kScreeningWithdrawn), out);
        }
        return result;
      });
}

HandleResult ReferralHandler::Screened(const v1::ScreeningCompleted& s, klinik::OutboxWriter& out) {
  if (!s.referral_recommended()) return HandleResult::Ignored();
  // The screening service guarantees these; a fact without them breaks the contract.
  if (!klinik::IsUuid(s.patient_id()) || !klinik::IsUuid(s.screening_id()) ||
      s.clinic_id().empty() || s.clinic_id().size() > 64) {
    return HandleResult::DeadLetter(
        "ScreeningCompleted without a valid patient_id, screening_id or clinic_id");
  }
  return OpenOrJoin(FromScreening(s, config_), "screening:" + s.screening_id(), out);
}

HandleResult ReferralHandler::Request(const v1::RequestReferral& r, klinik::OutboxWriter& out) {
  NewReferral request = FromProto(r);
  std::vector<Violation> problems = ValidateRequest(request);
  if (!problems.empty()) {
    std::string request_type(
        klinik::CeType<v1::ReferralIntake>(v1::ReferralIntake::kRequestReferral));
    return PublishRefusal(out,
                          {"", request.request_id, request.patient_id, std::move(request_type),
                           Status::kUnspecified, std::move(problems)},
                          metrics_);
  }
  // request_id is the app's own id: unique per app, not across every clinic, so the key also
  // names the origin and the patient.
  return OpenOrJoin(
      request,
      "request:" + request.origin_clinic_id + ":" + request.patient_id + ":" + request.request_id,
      out);
}

HandleResult ReferralHandler::OpenOrJoin(const NewReferral& request, const std::string& request_key,
                                         klinik::OutboxWriter& out) {
  auto& tx = out.tx();
  if (store::FindRequest(tx, request_key))
    return HandleResult::Ignored();  // re-sent: already applied

  std::vector<Referral> open = store::OpenForPatient(tx, request.patient_id);
  std::optional<JoinPlan> plan = PlanJoin(open, request.reason_codes);
  Decision decision;
  bool is_new = !plan;
  if (plan) {
    decision = lifecycle_.Join(open[plan->referral_index], request, plan->added_reasons);
  } else {
    decision = lifecycle_.Open(request, klinik::NewUuid());
  }
  if (decision.refused()) {
    // PlanJoin only offers open referrals of this patient; a refusal here is a bug.
    return HandleResult::DeadLetter("join refused by the lifecycle");
  }
  RecordDecision(out, decision, is_new, metrics_);
  store::RecordRequest(tx, request_key, decision.next.referral_id);
  klinik::log::Info(
      is_new ? "referral opened" : "referral joined",
      {{"referral_id", decision.next.referral_id}, {"status", StatusName(decision.next.status)}});
  return HandleResult::Applied();
}

HandleResult ReferralHandler::ApplyCommand(const Command& command, const std::string& referral_id,
                                           std::string_view request_type,
                                           klinik::OutboxWriter& out) {
  Refused refused{referral_id,          command.request_id,
                  command.patient_id,   std::string(request_type),
                  Status::kUnspecified, ValidateCommand(command, referral_id)};
  if (!refused.reasons.empty()) return PublishRefusal(out, refused, metrics_);

  auto& tx = out.tx();
  std::optional<Referral> current = store::Load(tx, referral_id, /*for_update=*/true);
  if (!current) {
    refused.reasons.push_back({"REFERRAL_UNKNOWN", "referral_id", "no referral has this id"});
    return PublishRefusal(out, refused, metrics_);
  }
  // An app re-sending a request it already got through (new ce_id, same request_id) changes
  // nothing and is not refused: its first answer stands.
  if (store::StepSeen(tx, referral_id, command.request_id, StepOf(command.action)))
    return HandleResult::Ignored();

  Decision decision = lifecycle_.Apply(*current, command);
  if (decision.refused()) {
    refused.current = current->status;
    refused.reasons.push_back(Explain(decision.refusal, command.action, current->status));
    return PublishRefusal(out, refused, metrics_);
  }
  RecordDecision(out, decision, /*is_new=*/false, metrics_);
  return HandleResult::Applied();
}

}  // namespace referral
