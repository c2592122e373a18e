#include "referral_facts.h"

#include <algorithm>

#include "klinik/event_types.h"
#include "referral_validation.h"

namespace referral {
namespace {

namespace v1 = klinik::v1;

// An app's instant to the millisecond, as referrals are stored; nullopt when unset.
std::optional<TimePoint> StoredInstant(const google::protobuf::Timestamp& t) {
  std::optional<TimePoint> at = klinik::FromTimestampIfSet(t);
  if (at) at = std::chrono::floor<std::chrono::milliseconds>(*at);
  return at;
}

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

// What every command about an existing referral carries.
template <class M>
Command Common(const M& m, Action action) {
  Command c;
  c.action = action;
  c.request_id = m.request_id();
  c.patient_id = m.patient_id();
  c.acted_by = m.acted_by();
  c.acted_at = StoredInstant(m.acted_at());
  return c;
}

}  // namespace

v1::ReferralEvent::KindCase FactCase(StepKind kind) {
  switch (kind) {
    case StepKind::kCreated:
      return v1::ReferralEvent::kReferralCreated;
    case StepKind::kJoined:
      return v1::ReferralEvent::kReferralJoined;
    case StepKind::kSent:
      return v1::ReferralEvent::kReferralSent;
    case StepKind::kAccepted:
      return v1::ReferralEvent::kReferralAccepted;
    case StepKind::kRejected:
      return v1::ReferralEvent::kReferralRejected;
    case StepKind::kRetargeted:
      return v1::ReferralEvent::kReferralRetargeted;
    case StepKind::kAttended:
      return v1::ReferralEvent::kReferralAttended;
    case StepKind::kCompleted:
      return v1::ReferralEvent::kReferralCompleted;
    case StepKind::kCancelled:
      return v1::ReferralEvent::kReferralCancelled;
    case StepKind::kExpired:
      return v1::ReferralEvent::kReferralExpired;
    case StepKind::kOverdue:
      return v1::ReferralEvent::kReferralOverdue;
  }
  return v1::ReferralEvent::KIND_NOT_SET;
}

std::string_view CeType(StepKind kind) { return klinik::CeType<v1::ReferralEvent>(FactCase(kind)); }

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

NewReferral FromScreening(const v1::ScreeningCompleted& s, const Settings& config) {
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

Command ToCommand(const v1::AcceptReferral& m) { return Common(m, Action::kAccept); }

Command ToCommand(const v1::RejectReferral& m) {
  Command c = Common(m, Action::kReject);
  c.reason = m.reason();
  c.note = m.note();
  return c;
}

Command ToCommand(const v1::RetargetReferral& m) {
  Command c = Common(m, Action::kRetarget);
  c.target_facility_id = m.target_facility_id();
  c.target_facility_kind = m.target_facility_kind();
  c.direction = m.direction();
  c.note = m.note();
  return c;
}

Command ToCommand(const v1::RecordAttendance& m) { return Common(m, Action::kAttend); }

Command ToCommand(const v1::CompleteReferral& m) {
  Command c = Common(m, Action::kComplete);
  c.back_referral_notes = m.back_referral_notes();
  c.follow_up_instructions = m.follow_up_instructions();
  return c;
}

Command ToCommand(const v1::CancelReferral& m) {
  Command c = Common(m, Action::kCancel);
  c.reason = m.reason();
  c.note = m.note();
  return c;
}

Command CommandFromProto(const v1::ReferralIntake& intake, std::string* referral_id) {
  auto of = [&](const auto& m) {
    *referral_id = m.referral_id();
    return ToCommand(m);
  };
  switch (intake.kind_case()) {
    case v1::ReferralIntake::kAcceptReferral:
      return of(intake.accept_referral());
    case v1::ReferralIntake::kRejectReferral:
      return of(intake.reject_referral());
    case v1::ReferralIntake::kRetargetReferral:
      return of(intake.retarget_referral());
    case v1::ReferralIntake::kRecordAttendance:
      return of(intake.record_attendance());
    case v1::ReferralIntake::kCompleteReferral:
      return of(intake.complete_referral());
    case v1::ReferralIntake::kCancelReferral:
      return of(intake.cancel_referral());
    case v1::ReferralIntake::kRequestReferral:
    case v1::ReferralIntake::KIND_NOT_SET:
      break;
  }
  return {};
}

namespace {

// One FillFact per fact: the step (`s`) and the referral after it (`r`) into the fact's fields.
// ReferralCreated describes the new referral alone.
void FillFact(const Step& /*created*/, const Referral& r, v1::ReferralCreated* f) {
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
}

void FillFact(const Step& s, const Referral& r, v1::ReferralJoined* f) {
  f->set_referral_id(r.referral_id);
  f->set_request_id(s.request_id);
  f->set_patient_id(r.patient_id);
  f->set_source_screening_id(s.joined_source_screening_id);
  for (const auto& c : s.joined_reasons) f->add_reason_codes(c);
  f->set_urgency(ToProto(r.urgency));
  f->set_status(ToProto(r.status));
  *f->mutable_joined_at() = klinik::ToTimestampMillis(s.at);
}

void FillFact(const Step& s, const Referral& r, v1::ReferralSent* f) {
  f->set_referral_id(r.referral_id);
  f->set_patient_id(r.patient_id);
  f->set_target_facility_id(r.target_facility_id);
  *f->mutable_acceptance_deadline() = klinik::ToTimestampMillis(r.acceptance_deadline);
  *f->mutable_sent_at() = klinik::ToTimestampMillis(s.at);
}

void FillFact(const Step& s, const Referral& r, v1::ReferralAccepted* f) {
  f->set_referral_id(r.referral_id);
  f->set_request_id(s.request_id);
  f->set_patient_id(r.patient_id);
  f->set_target_facility_id(r.target_facility_id);
  f->set_acted_by(s.acted_by);
  *f->mutable_accepted_at() = klinik::ToTimestampMillis(s.at);
}

void FillFact(const Step& s, const Referral& r, v1::ReferralRejected* f) {
  f->set_referral_id(r.referral_id);
  f->set_request_id(s.request_id);
  f->set_patient_id(r.patient_id);
  f->set_target_facility_id(r.target_facility_id);
  f->set_reason(s.reason);
  f->set_note(s.note);
  f->set_acted_by(s.acted_by);
  *f->mutable_rejected_at() = klinik::ToTimestampMillis(s.at);
}

void FillFact(const Step& s, const Referral& r, v1::ReferralRetargeted* f) {
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
}

void FillFact(const Step& s, const Referral& r, v1::ReferralAttended* f) {
  f->set_referral_id(r.referral_id);
  f->set_request_id(s.request_id);
  f->set_patient_id(r.patient_id);
  f->set_target_facility_id(r.target_facility_id);
  f->set_acted_by(s.acted_by);
  *f->mutable_attended_at() = klinik::ToTimestampMillis(s.at);
}

void FillFact(const Step& s, const Referral& r, v1::ReferralCompleted* f) {
  f->set_referral_id(r.referral_id);
  f->set_request_id(s.request_id);
  f->set_patient_id(r.patient_id);
  f->set_origin_clinic_id(r.origin_clinic_id);
  f->set_back_referral_notes(r.back_referral_notes);
  f->set_follow_up_instructions(r.follow_up_instructions);
  f->set_acted_by(s.acted_by);
  *f->mutable_completed_at() = klinik::ToTimestampMillis(s.at);
}

void FillFact(const Step& s, const Referral& r, v1::ReferralCancelled* f) {
  f->set_referral_id(r.referral_id);
  f->set_request_id(s.request_id);
  f->set_patient_id(r.patient_id);
  f->set_reason(s.reason);
  f->set_note(s.note);
  f->set_acted_by(s.acted_by);
  f->set_previous_status(ToProto(s.from));
  *f->mutable_cancelled_at() = klinik::ToTimestampMillis(s.at);
}

void FillFact(const Step& s, const Referral& r, v1::ReferralExpired* f) {
  f->set_referral_id(r.referral_id);
  f->set_patient_id(r.patient_id);
  f->set_cause(static_cast<v1::ExpiryCause>(s.cause));
  f->set_previous_status(ToProto(s.from));
  *f->mutable_expired_at() = klinik::ToTimestampMillis(s.at);
}

void FillFact(const Step& s, const Referral& r, v1::ReferralOverdue* f) {
  f->set_referral_id(r.referral_id);
  f->set_patient_id(r.patient_id);
  f->set_origin_clinic_id(r.origin_clinic_id);
  f->set_target_facility_id(r.target_facility_id);
  f->set_urgency(ToProto(r.urgency));
  f->set_status(ToProto(r.status));
  *f->mutable_acceptance_deadline() = klinik::ToTimestampMillis(r.acceptance_deadline);
  *f->mutable_detected_at() = klinik::ToTimestampMillis(s.at);
}

}  // namespace

v1::ReferralEvent ToFact(const Step& s, const Referral& r) {
  v1::ReferralEvent e;
  switch (s.kind) {
    case StepKind::kCreated:
      FillFact(s, r, e.mutable_referral_created());
      break;
    case StepKind::kJoined:
      FillFact(s, r, e.mutable_referral_joined());
      break;
    case StepKind::kSent:
      FillFact(s, r, e.mutable_referral_sent());
      break;
    case StepKind::kAccepted:
      FillFact(s, r, e.mutable_referral_accepted());
      break;
    case StepKind::kRejected:
      FillFact(s, r, e.mutable_referral_rejected());
      break;
    case StepKind::kRetargeted:
      FillFact(s, r, e.mutable_referral_retargeted());
      break;
    case StepKind::kAttended:
      FillFact(s, r, e.mutable_referral_attended());
      break;
    case StepKind::kCompleted:
      FillFact(s, r, e.mutable_referral_completed());
      break;
    case StepKind::kCancelled:
      FillFact(s, r, e.mutable_referral_cancelled());
      break;
    case StepKind::kExpired:
      FillFact(s, r, e.mutable_referral_expired());
      break;
    case StepKind::kOverdue:
      FillFact(s, r, e.mutable_referral_overdue());
      break;
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
    t->set_event_type(std::string(CeType(s.kind)));
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
