#include "referral_facts.h"

#include <algorithm>

#include "referral_validation.h"

namespace referral {
namespace {

namespace v1 = klinik::v1;

// The domain's enums are numbered as the contract's, so storage and facts agree.
static_assert(static_cast<int>(Status::kExpired) == v1::REFERRAL_STATUS_EXPIRED);
static_assert(static_cast<int>(Status::kRequested) == v1::REFERRAL_STATUS_REQUESTED);
static_assert(static_cast<int>(Urgency::kUrgent) == klinik::v1::URGENCY_URGENT);
static_assert(static_cast<int>(ExpiryCause::kValidityEnded) == v1::EXPIRY_CAUSE_VALIDITY_ENDED);

v1::ReferralStatus ToProto(Status s) { return static_cast<v1::ReferralStatus>(s); }
v1::Urgency ToProto(Urgency u) { return static_cast<v1::Urgency>(u); }

std::vector<std::string> ToVector(const google::protobuf::RepeatedPtrField<std::string>& field) {
  return {field.begin(), field.end()};
}

// An app's instant to the millisecond, as referrals are stored; nullopt when unset.
std::optional<TimePoint> StoredInstant(const google::protobuf::Timestamp& t) {
  std::optional<TimePoint> at = klinik::FromTimestampIfSet(t);
  if (at) at = std::chrono::floor<std::chrono::milliseconds>(*at);
  return at;
}

}  // namespace

const char* CeType(StepKind kind) {
  switch (kind) {
    case StepKind::kCreated:
      return "id.klinik.referral.created.v1";
    case StepKind::kJoined:
      return "id.klinik.referral.joined.v1";
    case StepKind::kSent:
      return "id.klinik.referral.sent.v1";
    case StepKind::kAccepted:
      return "id.klinik.referral.accepted.v1";
    case StepKind::kRejected:
      return "id.klinik.referral.rejected.v1";
    case StepKind::kRetargeted:
      return "id.klinik.referral.retargeted.v1";
    case StepKind::kAttended:
      return "id.klinik.referral.attended.v1";
    case StepKind::kCompleted:
      return "id.klinik.referral.completed.v1";
    case StepKind::kCancelled:
      return "id.klinik.referral.cancelled.v1";
    case StepKind::kExpired:
      return "id.klinik.referral.expired.v1";
    case StepKind::kOverdue:
      return "id.klinik.referral.overdue.v1";
  }
  return "";
}

const char* IntakeType(v1::ReferralIntake::KindCase kind) {
  switch (kind) {
    case v1::ReferralIntake::kRequestReferral:
      return "id.klinik.intake.request_referral.v1";
    case v1::ReferralIntake::kAcceptReferral:
      return "id.klinik.intake.accept_referral.v1";
    case v1::ReferralIntake::kRejectReferral:
      return "id.klinik.intake.reject_referral.v1";
    case v1::ReferralIntake::kRetargetReferral:
      return "id.klinik.intake.retarget_referral.v1";
    case v1::ReferralIntake::kRecordAttendance:
      return "id.klinik.intake.record_attendance.v1";
    case v1::ReferralIntake::kCompleteReferral:
      return "id.klinik.intake.complete_referral.v1";
    case v1::ReferralIntake::kCancelReferral:
      return "id.klinik.intake.cancel_referral.v1";
    case v1::ReferralIntake::KIND_NOT_SET:
      break;
  }
  return "";
}

const char* ScreeningType(v1::ScreeningEvent::KindCase kind) {
  switch (kind) {
    case v1::ScreeningEvent::kScreeningCompleted:
      return "id.klinik.screening.completed.v1";
    case v1::ScreeningEvent::kScreeningRejected:
      return "id.klinik.screening.rejected.v1";
    case v1::ScreeningEvent::KIND_NOT_SET:
      break;
  }
  return "";
}

NewReferral FromProto(const v1::RequestReferral& r) {
  NewReferral n;
  n.request_id = r.request_id();
  n.patient_id = r.patient_id();
  n.origin_clinic_id = r.origin_clinic_id();
  n.target_facility_id = r.target_facility_id();
  n.target_facility_kind = r.target_facility_kind();
  n.direction = r.direction();
  n.urgency = static_cast<Urgency>(r.urgency());
  n.reason_codes = ToVector(r.reason_codes());
  n.icd10 = ToVector(r.icd10());
  n.note = r.note();
  n.requested_by = r.requested_by();
  n.requested_at = StoredInstant(r.requested_at()).value_or(klinik::Clock::now());
  n.source_screening_id = r.source_screening_id();
  return n;
}

NewReferral FromScreening(const v1::ScreeningCompleted& s, const ReferralConfig& config) {
  NewReferral n;
  n.patient_id = s.patient_id();
  n.origin_clinic_id = s.clinic_id();
  n.target_facility_id = config.PuskesmasFor(s.clinic_id());
  n.target_facility_kind = v1::FACILITY_KIND_PUSKESMAS;
  n.direction = v1::REFERRAL_DIRECTION_VERTICAL;
  n.urgency =
      s.referral_urgency() == klinik::v1::URGENCY_URGENT ? Urgency::kUrgent : Urgency::kRoutine;
  for (const std::string& code : s.referral_reason_codes()) {
    if (IsReasonCode(code)) n.reason_codes.push_back(code);
  }
  if (n.reason_codes.empty()) {
    // The rule recommended a referral without naming why: refer for every finding instead.
    for (const v1::Finding& f : s.findings()) {
      if (IsReasonCode(f.code())) n.reason_codes.push_back(f.code());
    }
  }
  if (n.reason_codes.empty()) n.reason_codes.push_back("CKG_REFERRAL_RECOMMENDED");
  std::string note;
  for (const v1::Finding& f : s.findings()) {
    bool reason =
        std::find(n.reason_codes.begin(), n.reason_codes.end(), f.code()) != n.reason_codes.end();
    if (!reason) continue;
    if (IsIcd10(f.icd10()) &&
        std::find(n.icd10.begin(), n.icd10.end(), f.icd10()) == n.icd10.end()) {
      n.icd10.push_back(f.icd10());
    }
    note += (note.empty() ? "" : "; ") + f.display();
  }
  n.note = note.empty() ? "CKG screening" : "CKG screening: " + note;
  n.requested_by = s.examiner_id();
  n.requested_at = StoredInstant(s.measured_at())
                       .value_or(StoredInstant(s.completed_at()).value_or(klinik::Clock::now()));
  n.source_screening_id = s.screening_id();
  return n;
}

Command CommandFromProto(const v1::ReferralIntake& intake, std::string* referral_id) {
  Command c;
  auto common = [&](const auto& m, Action action) {
    c.action = action;
    c.request_id = m.request_id();
    c.patient_id = m.patient_id();
    c.acted_by = m.acted_by();
    c.acted_at = StoredInstant(m.acted_at());
    *referral_id = m.referral_id();
  };
  switch (intake.kind_case()) {
    case v1::ReferralIntake::kAcceptReferral:
      common(intake.accept_referral(), Action::kAccept);
      break;
    case v1::ReferralIntake::kRejectReferral:
      common(intake.reject_referral(), Action::kReject);
      c.reason = intake.reject_referral().reason();
      c.note = intake.reject_referral().note();
      break;
    case v1::ReferralIntake::kRetargetReferral: {
      const auto& m = intake.retarget_referral();
      common(m, Action::kRetarget);
      c.target_facility_id = m.target_facility_id();
      c.target_facility_kind = m.target_facility_kind();
      c.direction = m.direction();
      c.note = m.note();
      break;
    }
    case v1::ReferralIntake::kRecordAttendance:
      common(intake.record_attendance(), Action::kAttend);
      break;
    case v1::ReferralIntake::kCompleteReferral:
      common(intake.complete_referral(), Action::kComplete);
      c.back_referral_notes = intake.complete_referral().back_referral_notes();
      c.follow_up_instructions = intake.complete_referral().follow_up_instructions();
      break;
    case v1::ReferralIntake::kCancelReferral:
      common(intake.cancel_referral(), Action::kCancel);
      c.reason = intake.cancel_referral().reason();
      c.note = intake.cancel_referral().note();
      break;
    case v1::ReferralIntake::kRequestReferral:
    case v1::ReferralIntake::KIND_NOT_SET:
      break;
  }
  return c;
}

v1::ReferralEvent ToFact(const Step& s, const Referral& r) {
  v1::ReferralEvent e;
  switch (s.kind) {
    case StepKind::kCreated: {
      auto* f = e.mutable_referral_created();
      f->set_referral_id(r.referral_id);
      f->set_request_id(r.request_id);
      f->set_patient_id(r.patient_id);
      f->set_origin_clinic_id(r.origin_clinic_id);
      f->set_target_facility_id(r.target_facility_id);
      f->set_target_facility_kind(static_cast<v1::FacilityKind>(r.target_facility_kind));
      f->set_direction(static_cast<v1::ReferralDirection>(r.direction));
      f->set_urgency(ToProto(r.urgency));
      for (const auto& c : r.reason_codes) f->add_reason_codes(c);
      for (const auto& c : r.icd10) f->add_icd10(c);
      f->set_note(r.note);
      f->set_requested_by(r.requested_by);
      *f->mutable_requested_at() = klinik::ToTimestampMillis(r.requested_at);
      f->set_source_screening_id(r.source_screening_id);
      *f->mutable_acceptance_deadline() = klinik::ToTimestampMillis(r.acceptance_deadline);
      *f->mutable_valid_until() = klinik::ToTimestampMillis(r.valid_until);
      *f->mutable_created_at() = klinik::ToTimestampMillis(r.created_at);
      break;
    }
    case StepKind::kJoined: {
      auto* f = e.mutable_referral_joined();
      f->set_referral_id(r.referral_id);
      f->set_request_id(s.request_id);
      f->set_patient_id(r.patient_id);
      f->set_source_screening_id(s.joined_source_screening_id);
      for (const auto& c : s.joined_reasons) f->add_reason_codes(c);
      f->set_urgency(ToProto(r.urgency));
      f->set_status(ToProto(r.status));
      *f->mutable_joined_at() = klinik::ToTimestampMillis(s.at);
      break;
    }
    case StepKind::kSent: {
      auto* f = e.mutable_referral_sent();
      f->set_referral_id(r.referral_id);
      f->set_patient_id(r.patient_id);
      f->set_target_facility_id(r.target_facility_id);
      *f->mutable_acceptance_deadline() = klinik::ToTimestampMillis(r.acceptance_deadline);
      *f->mutable_sent_at() = klinik::ToTimestampMillis(s.at);
      break;
    }
    case StepKind::kAccepted: {
      auto* f = e.mutable_referral_accepted();
      f->set_referral_id(r.referral_id);
      f->set_request_id(s.request_id);
      f->set_patient_id(r.patient_id);
      f->set_target_facility_id(r.target_facility_id);
      f->set_acted_by(s.acted_by);
      *f->mutable_accepted_at() = klinik::ToTimestampMillis(s.at);
      break;
    }
    case StepKind::kRejected: {
      auto* f = e.mutable_referral_rejected();
      f->set_referral_id(r.referral_id);
      f->set_request_id(s.request_id);
      f->set_patient_id(r.patient_id);
      f->set_target_facility_id(r.target_facility_id);
      f->set_reason(s.reason);
      f->set_note(s.note);
      f->set_acted_by(s.acted_by);
      *f->mutable_rejected_at() = klinik::ToTimestampMillis(s.at);
      break;
    }
    case StepKind::kRetargeted: {
      auto* f = e.mutable_referral_retargeted();
      f->set_referral_id(r.referral_id);
      f->set_request_id(s.request_id);
      f->set_patient_id(r.patient_id);
      f->set_previous_target_facility_id(s.previous_target);
      f->set_target_facility_id(r.target_facility_id);
      f->set_target_facility_kind(static_cast<v1::FacilityKind>(r.target_facility_kind));
      f->set_direction(static_cast<v1::ReferralDirection>(r.direction));
      *f->mutable_acceptance_deadline() = klinik::ToTimestampMillis(r.acceptance_deadline);
      f->set_note(s.note);
      f->set_acted_by(s.acted_by);
      *f->mutable_retargeted_at() = klinik::ToTimestampMillis(s.at);
      break;
    }
    case StepKind::kAttended: {
      auto* f = e.mutable_referral_attended();
      f->set_referral_id(r.referral_id);
      f->set_request_id(s.request_id);
      f->set_patient_id(r.patient_id);
      f->set_target_facility_id(r.target_facility_id);
      f->set_acted_by(s.acted_by);
      *f->mutable_attended_at() = klinik::ToTimestampMillis(s.at);
      break;
    }
    case StepKind::kCompleted: {
      auto* f = e.mutable_referral_completed();
      f->set_referral_id(r.referral_id);
      f->set_request_id(s.request_id);
      f->set_patient_id(r.patient_id);
      f->set_origin_clinic_id(r.origin_clinic_id);
      f->set_back_referral_notes(r.back_referral_notes);
      f->set_follow_up_instructions(r.follow_up_instructions);
      f->set_acted_by(s.acted_by);
      *f->mutable_completed_at() = klinik::ToTimestampMillis(s.at);
      break;
    }
    case StepKind::kCancelled: {
      auto* f = e.mutable_referral_cancelled();
      f->set_referral_id(r.referral_id);
      f->set_request_id(s.request_id);
      f->set_patient_id(r.patient_id);
      f->set_reason(s.reason);
      f->set_note(s.note);
      f->set_acted_by(s.acted_by);
      f->set_previous_status(ToProto(s.from));
      *f->mutable_cancelled_at() = klinik::ToTimestampMillis(s.at);
      break;
    }
    case StepKind::kExpired: {
      auto* f = e.mutable_referral_expired();
      f->set_referral_id(r.referral_id);
      f->set_patient_id(r.patient_id);
      f->set_cause(static_cast<v1::ExpiryCause>(s.cause));
      f->set_previous_status(ToProto(s.from));
      *f->mutable_expired_at() = klinik::ToTimestampMillis(s.at);
      break;
    }
    case StepKind::kOverdue: {
      auto* f = e.mutable_referral_overdue();
      f->set_referral_id(r.referral_id);
      f->set_patient_id(r.patient_id);
      f->set_origin_clinic_id(r.origin_clinic_id);
      f->set_target_facility_id(r.target_facility_id);
      f->set_urgency(ToProto(r.urgency));
      f->set_status(ToProto(r.status));
      *f->mutable_acceptance_deadline() = klinik::ToTimestampMillis(r.acceptance_deadline);
      *f->mutable_detected_at() = klinik::ToTimestampMillis(s.at);
      break;
    }
  }
  return e;
}

v1::Referral ToProto(const Referral& r, const std::vector<Step>& history) {
  v1::Referral p;
  p.set_referral_id(r.referral_id);
  p.set_patient_id(r.patient_id);
  p.set_origin_clinic_id(r.origin_clinic_id);
  p.set_target_facility_id(r.target_facility_id);
  p.set_target_facility_kind(static_cast<v1::FacilityKind>(r.target_facility_kind));
  p.set_direction(static_cast<v1::ReferralDirection>(r.direction));
  p.set_urgency(ToProto(r.urgency));
  p.set_status(ToProto(r.status));
  for (const auto& c : r.reason_codes) p.add_reason_codes(c);
  for (const auto& c : r.icd10) p.add_icd10(c);
  p.set_note(r.note);
  p.set_requested_by(r.requested_by);
  p.set_source_screening_id(r.source_screening_id);
  *p.mutable_requested_at() = klinik::ToTimestampMillis(r.requested_at);
  *p.mutable_acceptance_deadline() = klinik::ToTimestampMillis(r.acceptance_deadline);
  *p.mutable_valid_until() = klinik::ToTimestampMillis(r.valid_until);
  p.set_back_referral_notes(r.back_referral_notes);
  p.set_follow_up_instructions(r.follow_up_instructions);
  for (const Step& s : history) {
    v1::Transition* t = p.add_history();
    t->set_from_status(ToProto(s.from));
    t->set_to_status(ToProto(s.to));
    t->set_event_type(CeType(s.kind));
    t->set_request_id(s.request_id);
    t->set_acted_by(s.acted_by);
    t->set_reason(s.reason);
    t->set_note(s.note);
    *t->mutable_at() = klinik::ToTimestampMillis(s.at);
  }
  *p.mutable_created_at() = klinik::ToTimestampMillis(r.created_at);
  *p.mutable_updated_at() = klinik::ToTimestampMillis(r.updated_at);
  return p;
}

}  // namespace referral
