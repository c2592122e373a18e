#include "referral_lifecycle.h"

#include <algorithm>

namespace referral {

std::optional<Status> NextStatus(Status from, Action action) {
  switch (action) {
    case Action::kSend:
      if (from == Status::kRequested) return Status::kSent;
      break;
    case Action::kAccept:
      if (from == Status::kSent) return Status::kAccepted;
      break;
    case Action::kReject:
      if (from == Status::kSent) return Status::kRejected;
      break;
    case Action::kRetarget:
      // A retarget is how a rejected referral goes on; before an answer it redirects it.
      if (from == Status::kRequested || from == Status::kSent || from == Status::kRejected) {
        return Status::kSent;
      }
      break;
    case Action::kAttend:
      if (from == Status::kAccepted) return Status::kAttended;
      break;
    case Action::kComplete:
      if (from == Status::kAttended) return Status::kCompleted;
      break;
    case Action::kCancel:
      // Once the patient attended, the target's care is under way: complete it instead.
      if (from == Status::kRequested || from == Status::kSent || from == Status::kAccepted ||
          from == Status::kRejected) {
        return Status::kCancelled;
      }
      break;
    case Action::kExpire:
      if (IsOpen(from)) return Status::kExpired;
      break;
  }
  return std::nullopt;
}

bool IsOpen(Status status) {
  return status == Status::kRequested || status == Status::kSent || status == Status::kAccepted ||
         status == Status::kRejected || status == Status::kAttended;
}

bool AwaitsAnswer(Status status) { return status == Status::kRequested || status == Status::kSent; }

const char* StatusName(Status status) {
  switch (status) {
    case Status::kUnspecified:
      return "unspecified";
    case Status::kRequested:
      return "requested";
    case Status::kSent:
      return "sent";
    case Status::kAccepted:
      return "accepted";
    case Status::kRejected:
      return "rejected";
    case Status::kAttended:
      return "attended";
    case Status::kCompleted:
      return "completed";
    case Status::kCancelled:
      return "cancelled";
    case Status::kExpired:
      return "expired";
  }
  return "unknown";
}

const char* ActionName(Action action) {
  switch (action) {
    case Action::kSend:
      return "send";
    case Action::kAccept:
      return "accept";
    case Action::kReject:
      return "reject";
    case Action::kRetarget:
      return "retarget";
    case Action::kAttend:
      return "attend";
    case Action::kComplete:
      return "complete";
    case Action::kCancel:
      return "cancel";
    case Action::kExpire:
      return "expire";
  }
  return "unknown";
}

const char* StepName(StepKind kind) {
  switch (kind) {
    case StepKind::kCreated:
      return "created";
    case StepKind::kJoined:
      return "joined";
    case StepKind::kSent:
      return "sent";
    case StepKind::kAccepted:
      return "accepted";
    case StepKind::kRejected:
      return "rejected";
    case StepKind::kRetargeted:
      return "retargeted";
    case StepKind::kAttended:
      return "attended";
    case StepKind::kCompleted:
      return "completed";
    case StepKind::kCancelled:
      return "cancelled";
    case StepKind::kExpired:
      return "expired";
    case StepKind::kOverdue:
      return "overdue";
  }
  return "unknown";
}

std::optional<JoinPlan> PlanJoin(const std::vector<Referral>& open,
                                 const std::vector<std::string>& reasons) {
  auto holds = [](const Referral& r, const std::string& code) {
    return std::find(r.reason_codes.begin(), r.reason_codes.end(), code) != r.reason_codes.end();
  };
  std::optional<size_t> chosen;
  for (size_t i = 0; i < open.size(); ++i) {
    if (!IsOpen(open[i].status)) continue;
    bool overlaps = std::any_of(reasons.begin(), reasons.end(),
                                [&](const std::string& c) { return holds(open[i], c); });
    // The oldest open referral wins, so repeated requests always converge on the same one.
    if (overlaps && (!chosen || open[i].created_at < open[*chosen].created_at)) chosen = i;
  }
  if (!chosen) return std::nullopt;
  JoinPlan plan{*chosen, {}};
  for (const std::string& code : reasons) {
    // A code held by another open referral stays there: one open referral per patient and reason.
    bool held = std::any_of(open.begin(), open.end(),
                            [&](const Referral& r) { return IsOpen(r.status) && holds(r, code); });
    bool repeated = std::find(plan.added_reasons.begin(), plan.added_reasons.end(), code) !=
                    plan.added_reasons.end();
    if (!held && !repeated) plan.added_reasons.push_back(code);
  }
  return plan;
}

Decision ReferralLifecycle::Open(const NewReferral& request, std::string referral_id) const {
  TimePoint now = now_();
  Decision d;
  Referral& r = d.next;
  r.referral_id = std::move(referral_id);
  r.patient_id = request.patient_id;
  r.origin_clinic_id = request.origin_clinic_id;
  r.target_facility_id = request.target_facility_id;
  r.target_facility_kind = request.target_facility_kind;
  r.direction = request.direction;
  r.urgency = request.urgency == Urgency::kUnspecified ? Urgency::kRoutine : request.urgency;
  r.status = Status::kRequested;
  r.reason_codes = request.reason_codes;
  r.icd10 = request.icd10;
  r.note = request.note;
  r.requested_by = request.requested_by;
  r.request_id = request.request_id;
  r.source_screening_id = request.source_screening_id;
  r.requested_at = request.requested_at;
  r.created_at = now;
  r.updated_at = now;
  // Deadlines run on the service's clock from the moment it stored the referral, so an app's
  // skewed clock can neither shorten nor stretch the SLA.
  r.valid_until = now + policy_.validity;
  r.acceptance_deadline = now + policy_.AcceptanceWindow(r.urgency);
  d.steps.push_back(Step{.kind = StepKind::kCreated,
                         .from = Status::kUnspecified,
                         .to = Status::kRequested,
                         .request_id = request.request_id,
                         .acted_by = request.requested_by,
                         .note = request.note,
                         .at = now});
  if (!r.target_facility_id.empty()) {
    r.status = Status::kSent;
    r.sent_at = now;
    d.steps.push_back(
        Step{.kind = StepKind::kSent, .from = Status::kRequested, .to = Status::kSent, .at = now});
  }
  return d;
}

Decision ReferralLifecycle::Join(const Referral& current, const NewReferral& request,
                                 const std::vector<std::string>& added_reasons) const {
  Decision d;
  d.next = current;
  if (!IsOpen(current.status)) {
    d.refusal = Refusal::kInvalidTransition;
    return d;
  }
  if (current.patient_id != request.patient_id) {
    d.refusal = Refusal::kPatientMismatch;
    return d;
  }
  TimePoint now = now_();
  Referral& r = d.next;
  for (const std::string& code : added_reasons) r.reason_codes.push_back(code);
  for (const std::string& code : request.icd10) {
    if (std::find(r.icd10.begin(), r.icd10.end(), code) == r.icd10.end()) r.icd10.push_back(code);
  }
  if (request.urgency == Urgency::kUrgent && r.urgency != Urgency::kUrgent) {
    r.urgency = Urgency::kUrgent;
    // A more urgent need must not wait for the routine SLA; an escalation already published for
    // the old deadline stays published.
    if (AwaitsAnswer(r.status)) {
      r.acceptance_deadline = std::min(r.acceptance_deadline, now + policy_.urgent);
    }
  }
  r.updated_at = now;
  d.steps.push_back(Step{.kind = StepKind::kJoined,
                         .from = r.status,
                         .to = r.status,
                         .request_id = request.request_id,
                         .acted_by = request.requested_by,
                         .note = request.note,
                         .at = now,
                         .joined_reasons = request.reason_codes,
                         .joined_source_screening_id = request.source_screening_id});
  return d;
}

Decision ReferralLifecycle::Transition(const Referral& current, Action action, Step step) const {
  Decision d;
  d.next = current;
  std::optional<Status> to = NextStatus(current.status, action);
  if (!to) {
    d.refusal = Refusal::kInvalidTransition;
    return d;
  }
  step.from = current.status;
  step.to = *to;
  d.next.status = *to;
  d.next.updated_at = now_();
  d.steps.push_back(std::move(step));
  return d;
}

Decision ReferralLifecycle::Apply(const Referral& current, const Command& command) const {
  if (command.patient_id != current.patient_id) {
    Decision d;
    d.next = current;
    d.refusal = Refusal::kPatientMismatch;
    return d;
  }
  TimePoint now = now_();
  Step step{.request_id = command.request_id,
            .acted_by = command.acted_by,
            .note = command.note,
            .at = command.acted_at.value_or(now)};
  switch (command.action) {
    case Action::kAccept: {
      step.kind = StepKind::kAccepted;
      Decision d = Transition(current, Action::kAccept, std::move(step));
      if (!d.refused()) d.next.accepted_at = now;
      return d;
    }
    case Action::kReject:
      step.kind = StepKind::kRejected;
      step.reason = command.reason;
      return Transition(current, Action::kReject, std::move(step));
    case Action::kAttend:
      step.kind = StepKind::kAttended;
      return Transition(current, Action::kAttend, std::move(step));
    case Action::kComplete: {
      step.kind = StepKind::kCompleted;
      Decision d = Transition(current, Action::kComplete, std::move(step));
      if (!d.refused()) {
        d.next.back_referral_notes = command.back_referral_notes;
        d.next.follow_up_instructions = command.follow_up_instructions;
      }
      return d;
    }
    case Action::kCancel:
      step.kind = StepKind::kCancelled;
      step.reason = command.reason;
      return Transition(current, Action::kCancel, std::move(step));
    case Action::kRetarget: {
      Decision d;
      d.next = current;
      if (!NextStatus(current.status, Action::kRetarget)) {
        d.refusal = Refusal::kInvalidTransition;
        return d;
      }
      if (command.target_facility_id == current.target_facility_id) {
        d.refusal = Refusal::kTargetUnchanged;
        return d;
      }
      Referral& r = d.next;
      step.kind = StepKind::kRetargeted;
      step.from = current.status;
      step.to = current.status;
      step.previous_target = current.target_facility_id;
      r.target_facility_id = command.target_facility_id;
      r.target_facility_kind = command.target_facility_kind;
      if (command.direction != 0) r.direction = command.direction;
      // The new target gets its own full SLA and its own escalation.
      r.acceptance_deadline = now + policy_.AcceptanceWindow(r.urgency);
      r.overdue_notified = false;
      r.sent_at = now;
      r.status = Status::kSent;
      r.updated_at = now;
      d.steps.push_back(std::move(step));
      d.steps.push_back(
          Step{.kind = StepKind::kSent, .from = current.status, .to = Status::kSent, .at = now});
      return d;
    }
    case Action::kSend:
    case Action::kExpire:
      break;  // not commands an app can send; the service does these itself
  }
  Decision d;
  d.next = current;
  d.refusal = Refusal::kInvalidTransition;
  return d;
}

Decision ReferralLifecycle::CheckTimers(const Referral& current) const {
  TimePoint now = now_();
  if (IsOpen(current.status) && now >= current.valid_until) {
    // Still unanswered at the end of its life: the target never responded.
    ExpiryCause cause =
        AwaitsAnswer(current.status) ? ExpiryCause::kNoResponse : ExpiryCause::kValidityEnded;
    Step step{.kind = StepKind::kExpired,
              .reason = cause == ExpiryCause::kNoResponse ? "NO_RESPONSE" : "VALIDITY_ENDED",
              .at = now,
              .cause = cause};
    return Transition(current, Action::kExpire, std::move(step));
  }
  Decision d;
  d.next = current;
  // The deadline is the last instant an answer is on time; overdue strictly after it.
  if (AwaitsAnswer(current.status) && !current.overdue_notified &&
      now > current.acceptance_deadline) {
    d.next.overdue_notified = true;
    d.next.updated_at = now;
    d.steps.push_back(
        Step{.kind = StepKind::kOverdue, .from = current.status, .to = current.status, .at = now});
  }
  return d;
}

}  // namespace referral
