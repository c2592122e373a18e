#include "intake_handler.h"

#include <set>

#include "eligibility.h"
#include "klinik/log.h"
#include "klinik/topics.h"
#include "local_date.h"
#include "store.h"
#include "submission.h"

namespace screening {
namespace {

// ScreeningCompleted and Screening carry the same fields under the same names; one template
// fills either, so the stored record and the published fact cannot drift apart.
template <typename Record>
void FillRecord(Record& r, const klinik::v1::SubmitScreening& s, const std::string& screening_id,
                const PatientInfo& patient, const Eligibility& eligibility, const Assessment& a,
                klinik::TimePoint completed_at) {
  r.set_screening_id(screening_id);
  r.set_request_id(s.request_id());
  r.set_patient_id(patient.patient_id);
  r.set_clinic_id(s.clinic_id());
  r.set_examiner_id(s.examiner_id());
  *r.mutable_measured_at() = s.measured_at();
  r.set_age_years(eligibility.age_years);
  r.set_sex(patient.sex);
  r.set_ckg_eligible(eligibility.eligible);
  r.set_eligibility_reason(std::string(EligibilityReasonCode(eligibility.reason)));
  *r.mutable_measurements() = s.measurements();
  const Classification& c = a.classification;
  if (c.bmi_computed) r.mutable_measurements()->set_bmi_kg_m2(*c.bmi_kg_m2);
  auto* out = r.mutable_classification();
  out->set_bp_category(c.bp);
  out->set_glucose_category(c.glucose);
  if (c.bmi_kg_m2) out->set_bmi_kg_m2(*c.bmi_kg_m2);
  out->set_bmi_category(c.bmi_category);
  if (c.central_obesity) out->set_central_obesity(*c.central_obesity);
  out->set_cholesterol_band(c.cholesterol);
  if (c.uric_acid_high) out->set_uric_acid_high(*c.uric_acid_high);
  for (const Finding& f : a.findings) {
    auto* pf = r.add_findings();
    pf->set_code(f.code);
    pf->set_display(f.display);
    pf->set_icd10(f.icd10);
    pf->set_ilp_cluster(f.ilp_cluster);
    pf->set_is_diagnosis(f.is_diagnosis);
  }
  r.set_referral_recommended(a.referral.recommended);
  r.set_referral_urgency(a.referral.urgency);
  for (const std::string& code : a.referral.reason_codes) r.add_referral_reason_codes(code);
  *r.mutable_completed_at() = klinik::ToTimestamp(completed_at);
}

// A withdrawal refused: ScreeningRejected with the reasons, keyed by the patient named.
klinik::HandleResult RefuseWithdrawal(const klinik::v1::WithdrawScreening& w,
                                      const std::vector<RejectionReason>& reasons,
                                      klinik::TimePoint now, klinik::OutboxWriter& out) {
  klinik::v1::ScreeningEvent fact;
  auto* r = fact.mutable_screening_rejected();
  r->set_request_id(w.request_id());
  r->set_screening_id(w.screening_id());
  r->set_patient_id(w.patient_id());
  r->set_clinic_id(w.clinic_id());
  std::string codes;
  for (const RejectionReason& reason : reasons) {
    *r->add_reasons() = ToReason(reason);
    codes += (codes.empty() ? "" : ",") + reason.code;
  }
  *r->mutable_rejected_at() = klinik::ToTimestamp(now);
  const std::string& key = w.patient_id().empty() ? w.request_id() : w.patient_id();
  out.Publish(klinik::topics::kScreenings, key, key, fact);
  klinik::log::Info("screening withdrawal rejected",
                    {{"request_id", w.request_id()}, {"reasons", codes}});
  return klinik::HandleResult::Rejected(codes);
}

// A screening entered in error is withdrawn once: the record keeps it, marked, and
// ScreeningWithdrawn tells referral and satusehat-sync. Withdrawing it again changes nothing.
klinik::HandleResult Withdraw(const klinik::v1::WithdrawScreening& w, klinik::TimePoint now,
                              klinik::OutboxWriter& out) {
  std::vector<RejectionReason> reasons = ValidateWithdrawal(w);
  std::optional<klinik::v1::Screening> stored;
  if (reasons.empty()) stored = store::Get(out.tx(), w.screening_id());
  if (reasons.empty() && (!stored || stored->patient_id() != w.patient_id())) {
    reasons.push_back({"SCREENING_UNKNOWN", "screening_id", "no such screening of this patient"});
  }
  if (!reasons.empty()) return RefuseWithdrawal(w, reasons, now, out);
  if (stored->has_withdrawn_at()) return klinik::HandleResult::Ignored();
  *stored->mutable_withdrawn_at() =
      w.has_withdrawn_at() ? w.withdrawn_at() : klinik::ToTimestamp(now);
  store::Withdraw(out.tx(), *stored);
  klinik::v1::ScreeningEvent fact;
  auto* f = fact.mutable_screening_withdrawn();
  f->set_screening_id(stored->screening_id());
  f->set_request_id(w.request_id());
  f->set_patient_id(stored->patient_id());
  f->set_clinic_id(stored->clinic_id());
  f->set_withdrawn_by(w.withdrawn_by());
  f->set_reason(w.reason());
  *f->mutable_withdrawn_at() = stored->withdrawn_at();
  out.Publish(klinik::topics::kScreenings, f->patient_id(), f->patient_id(), fact);
  klinik::log::Info("screening withdrawn",
                    {{"screening_id", f->screening_id()}, {"patient_id", f->patient_id()}});
  return klinik::HandleResult::Applied();
}

}  // namespace

klinik::v1::Reason ToReason(const RejectionReason& reason) {
  klinik::v1::Reason r;
  r.set_code(reason.code);
  r.set_field(reason.field);
  r.set_message(reason.message);
  return r;
}

IntakeHandler::IntakeHandler(ScreeningClassifier classifier, PatientLookup& lookup,
                             std::chrono::minutes utc_offset, ServiceMetrics& metrics,
                             std::function<klinik::TimePoint()> clock)
    : classifier_(std::move(classifier)),
      lookup_(lookup),
      utc_offset_(utc_offset),
      metrics_(&metrics),
      clock_(std::move(clock)) {
  using klinik::v1::ScreeningIntake;
  ConsumeSubscribed<ScreeningIntake>(UnknownKind::kDeadLetter);
  On<ScreeningIntake, klinik::v1::SubmitScreening>(
      ScreeningIntake::kSubmitScreening,
      [this](const klinik::v1::SubmitScreening& s, const klinik::InboundEvent&,
             klinik::OutboxWriter& out) { return Submit(s, out); });
  On<ScreeningIntake, klinik::v1::WithdrawScreening>(
      ScreeningIntake::kWithdrawScreening,
      [this](const klinik::v1::WithdrawScreening& w, const klinik::InboundEvent&,
             klinik::OutboxWriter& out) { return Withdraw(w, clock_(), out); });
}

klinik::HandleResult IntakeHandler::Submit(const klinik::v1::SubmitScreening& submission,
                                           klinik::OutboxWriter& out) const {
  return ApplyOutcome(Decide(submission, out.tx()), submission, out);
}

namespace {

// Whom the submission names: its patient_id, or else its NIK (validation requires one).
PatientKey KeyOf(const klinik::v1::SubmitScreening& s) {
  if (!s.patient_id().empty()) return PatientKey{false, s.patient_id()};
  return PatientKey{true, s.nik()};
}

}  // namespace

std::vector<RejectionReason> IntakeHandler::Problems(const klinik::v1::SubmitScreening& s) const {
  std::vector<RejectionReason> reasons = ValidateSubmission(s, clock_());
  for (RejectionReason& r : classifier_.Validate(FromProto(s.measurements())))
    reasons.push_back(std::move(r));
  return reasons;
}

void IntakeHandler::Prepare(const std::vector<klinik::InboundEvent>& events) {
  prepared_.clear();
  std::set<PatientKey> distinct;
  std::vector<PatientKey> keys;
  for (const klinik::InboundEvent& e : events) {
    // Whatever Handle dead-letters is not looked up.
    std::unique_ptr<google::protobuf::Message> decoded = Decode(e);
    const auto* intake =
        google::protobuf::DynamicCastToGenerated<klinik::v1::ScreeningIntake>(decoded.get());
    if (intake == nullptr || !intake->has_submit_screening()) continue;
    // A submission refused anyway is not looked up (as in Decide).
    if (!Problems(intake->submit_screening()).empty()) continue;
    PatientKey key = KeyOf(intake->submit_screening());
    if (distinct.insert(key).second) keys.push_back(key);
  }
  if (keys.empty()) return;
  std::vector<LookupResult> found = lookup_.LookupMany(keys);
  for (size_t i = 0; i < keys.size() && i < found.size(); ++i) {
    if (found[i].status != LookupStatus::kUnavailable) prepared_.emplace(keys[i], found[i]);
  }
}

LookupResult IntakeHandler::Lookup(const klinik::v1::SubmitScreening& s) const {
  PatientKey key = KeyOf(s);
  if (auto it = prepared_.find(key); it != prepared_.end()) return it->second;
  return lookup_.Find(key);
}

SubmissionOutcome IntakeHandler::Decide(const klinik::v1::SubmitScreening& s,
                                        klinik::Transaction& tx) const {
  std::vector<RejectionReason> reasons = Problems(s);
  if (!reasons.empty()) return Rejected{s.patient_id(), std::move(reasons)};

  // Idempotency beyond the inbox: an app that re-sends a request under a new ce_id gets no
  // second screening. Checked before the lookup, which is the expensive part.
  if (!s.screening_id().empty()) {
    if (auto owner = store::PatientOf(tx, s.screening_id())) {
      if (!s.patient_id().empty() && *owner != s.patient_id()) {
        return Rejected{s.patient_id(),
                        {{"SCREENING_ID_CONFLICT", "screening_id",
                          "screening_id is already used by another patient's screening"}}};
      }
      return AlreadyRecorded{s.screening_id()};
    }
  } else if (auto existing = store::FindByRequest(tx, s.clinic_id(), s.request_id())) {
    return AlreadyRecorded{*existing};
  }

  LookupResult found = Lookup(s);
  switch (found.status) {
    case LookupStatus::kFound:
      return Complete(s, found.patient, tx);
    case LookupStatus::kNotFound:
      return Rejected{s.patient_id(),
                      {{"PATIENT_UNKNOWN", s.patient_id().empty() ? "nik" : "patient_id",
                        "no registered patient has this identifier; register the patient first"}}};
    case LookupStatus::kUnavailable:
      return WaitForRegistration{found.detail};
    case LookupStatus::kBadRecord:
      return UnusablePatientRecord{found.detail};
  }
  return WaitForRegistration{"unhandled lookup status"};
}

SubmissionOutcome IntakeHandler::Complete(const klinik::v1::SubmitScreening& s,
                                          const PatientInfo& patient,
                                          klinik::Transaction& tx) const {
  klinik::CivilDate day = LocalDate(klinik::FromTimestamp(s.measured_at()), utc_offset_);
  if (day < patient.birth_date) {
    return Rejected{patient.patient_id,
                    {{"MEASURED_BEFORE_BIRTH", "measured_at",
                      "measured_at is before the patient's registered birth date"}}};
  }
  const int window_days = classifier_.rules().ckg_window_days;
  BirthdayWindow window = BirthdayWindowFor(patient.birth_date, day, window_days);
  bool already = store::HasEligibleBetween(tx, patient.patient_id, window.start, window.end);
  Eligibility eligibility = DecideEligibility(patient.birth_date, day, window_days, already);
  Assessment assessment =
      classifier_.Assess(FromProto(s.measurements()), eligibility.age_years, patient.sex);
  std::string id = s.screening_id().empty() ? klinik::NewUuid() : s.screening_id();
  klinik::TimePoint now = clock_();
  Completed done;
  FillRecord(done.record, s, id, patient, eligibility, assessment, now);
  FillRecord(done.fact, s, id, patient, eligibility, assessment, now);
  done.local_date = day;
  return done;
}

klinik::HandleResult IntakeHandler::ApplyOutcome(SubmissionOutcome outcome,
                                                 const klinik::v1::SubmitScreening& s,
                                                 klinik::OutboxWriter& out) const {
  const std::string topic(klinik::topics::kScreenings);
  if (auto* done = std::get_if<Completed>(&outcome)) {
    const klinik::v1::Screening& r = done->record;
    store::Insert(out.tx(), r, done->local_date);
    klinik::v1::ScreeningEvent fact;
    *fact.mutable_screening_completed() = done->fact;
    out.Publish(topic, r.patient_id(), r.patient_id(), fact);
    if (metrics_) {
      out.AfterCommit(
          [m = metrics_, eligible = r.ckg_eligible(), referred = r.referral_recommended(),
           urgency = r.referral_urgency()] { m->Completed(eligible, referred, urgency); });
    }
    klinik::log::Info("screening completed", {{"screening_id", r.screening_id()},
                                              {"patient_id", r.patient_id()},
                                              {"clinic_id", r.clinic_id()},
                                              {"ckg_eligible", r.ckg_eligible()},
                                              {"referral_recommended", r.referral_recommended()}});
    return klinik::HandleResult::Applied();
  }
  if (auto* rejected = std::get_if<Rejected>(&outcome)) {
    klinik::v1::ScreeningEvent fact;
    auto* r = fact.mutable_screening_rejected();
    r->set_request_id(s.request_id());
    r->set_screening_id(s.screening_id());
    r->set_patient_id(rejected->patient_id);
    r->set_clinic_id(s.clinic_id());
    for (const RejectionReason& reason : rejected->reasons) *r->add_reasons() = ToReason(reason);
    *r->mutable_rejected_at() = klinik::ToTimestamp(clock_());
    // Keyed by patient when known so it stays in order with the patient's other facts.
    const std::string& key = rejected->patient_id.empty() ? s.request_id() : rejected->patient_id;
    out.Publish(topic, key, key, fact);
    if (metrics_) out.AfterCommit([m = metrics_] { m->Rejected(); });
    std::string codes;
    for (const RejectionReason& reason : rejected->reasons)
      codes += (codes.empty() ? "" : ",") + reason.code;
    klinik::log::Info(
        "screening rejected",
        {{"request_id", s.request_id()}, {"clinic_id", s.clinic_id()}, {"reasons", codes}});
    return klinik::HandleResult::Rejected(codes);
  }
  if (auto* dup = std::get_if<AlreadyRecorded>(&outcome)) {
    if (metrics_) out.AfterCommit([m = metrics_] { m->Duplicate(); });
    klinik::log::Info("screening already recorded; nothing published",
                      {{"screening_id", dup->screening_id}, {"request_id", s.request_id()}});
    return klinik::HandleResult::Ignored();
  }
  if (auto* wait = std::get_if<WaitForRegistration>(&outcome)) {
    return klinik::HandleResult::Retry("patient lookup: " + wait->detail);
  }
  return klinik::HandleResult::DeadLetter("patient lookup: " +
                                          std::get<UnusablePatientRecord>(outcome).detail);
}

}  // namespace screening
