#include "fact_handler.h"

#include "job_plan.h"
#include "klinik/log.h"
#include "klinik/topics.h"
#include "klinik/v1/pharmacy.pb.h"
#include "klinik/v1/referral.pb.h"
#include "klinik/v1/registration.pb.h"
#include "klinik/v1/screening.pb.h"
#include "store.h"

namespace satusehat_sync {
namespace {

namespace v1 = klinik::v1;
using klinik::HandleResult;
using klinik::InboundEvent;
using klinik::OutboxWriter;

// The jobs keep the fact's ce_type, which TypedHandler checked against the case it holds.
HandleResult Store(const InboundEvent& event, OutboxWriter& out, const std::string& patient_id,
                   const google::protobuf::MessageLite& fact, const std::vector<PlannedJob>& jobs) {
  int added = store::AddJobs(out.tx(), event.ce.id, event.ce.type, patient_id,
                             fact.SerializeAsString(), jobs, klinik::Clock::now());
  klinik::log::Debug("sync jobs planned",
                     {{"ce_id", event.ce.id}, {"ce_type", event.ce.type}, {"jobs", added}});
  return HandleResult::Applied();
}

HandleResult Registered(const v1::PatientRegistered& p, const InboundEvent& event,
                        OutboxWriter& out) {
  if (!klinik::IsUuid(p.patient_id()))
    return HandleResult::DeadLetter("PatientRegistered without a patient_id UUID");
  // A newborn without a NIK of their own cannot be found by NIK; its jobs wait (see README).
  store::RememberPatient(out.tx(), p.patient_id(), p.nik());
  return Store(event, out, p.patient_id(), p, PlanPatient(p));
}

HandleResult Screened(const v1::ScreeningCompleted& s, const InboundEvent& event,
                      OutboxWriter& out) {
  if (!klinik::IsUuid(s.screening_id()) || !klinik::IsUuid(s.patient_id()) ||
      !s.has_measured_at()) {
    return HandleResult::DeadLetter(
        "ScreeningCompleted without screening_id, patient_id or measured_at");
  }
  return Store(event, out, s.patient_id(), s, PlanScreening(s));
}

HandleResult Withdrawn(const v1::ScreeningWithdrawn& w, const InboundEvent& event,
                       OutboxWriter& out) {
  if (!klinik::IsUuid(w.screening_id()) || !klinik::IsUuid(w.patient_id()) ||
      !w.has_withdrawn_at()) {
    return HandleResult::DeadLetter(
        "ScreeningWithdrawn without screening_id, patient_id or withdrawn_at");
  }
  return Store(event, out, w.patient_id(), w, PlanScreeningWithdrawn(w));
}

HandleResult Dispensed(const v1::MedicationDispensed& d, const InboundEvent& event,
                       OutboxWriter& out) {
  if (!klinik::IsUuid(d.patient_id()) || d.request_id().empty() || d.prescription_id().empty() ||
      d.lines_size() == 0 || !d.has_dispensed_at()) {
    return HandleResult::DeadLetter(
        "MedicationDispensed without patient_id, request_id, prescription_id, lines or "
        "dispensed_at");
  }
  return Store(event, out, d.patient_id(), d, PlanDispensing(d));
}

HandleResult ReferralOpened(const v1::ReferralCreated& r, const InboundEvent& event,
                            OutboxWriter& out) {
  if (!klinik::IsUuid(r.referral_id()) || !klinik::IsUuid(r.patient_id())) {
    return HandleResult::DeadLetter("ReferralCreated without referral_id or patient_id");
  }
  return Store(event, out, r.patient_id(), r, PlanReferralCreated(r));
}

}  // namespace

template <class Msg>
void FactHandler::OnReferralEnded(int referral_case, std::string_view fhir_status) {
  On<v1::ReferralEvent, Msg>(
      referral_case, [fhir_status](const Msg& fact, const InboundEvent& event, OutboxWriter& out) {
        if (!klinik::IsUuid(fact.referral_id()) || !klinik::IsUuid(fact.patient_id())) {
          return HandleResult::DeadLetter("referral fact without referral_id or patient_id");
        }
        return Store(event, out, fact.patient_id(), fact,
                     PlanReferralEnded(fact.referral_id(), fhir_status));
      });
}

FactHandler::FactHandler() {
  // Facts: a kind this build does not know is another service's news, not an error.
  Consume<v1::PatientEvent>(std::string(klinik::topics::kPatients), UnknownKind::kIgnore);
  Consume<v1::ScreeningEvent>(std::string(klinik::topics::kScreenings), UnknownKind::kIgnore);
  Consume<v1::PharmacyEvent>(std::string(klinik::topics::kPharmacy), UnknownKind::kIgnore);
  Consume<v1::ReferralEvent>(std::string(klinik::topics::kReferrals), UnknownKind::kIgnore);
  On<v1::PatientEvent, v1::PatientRegistered>(v1::PatientEvent::kPatientRegistered, Registered);
  On<v1::ScreeningEvent, v1::ScreeningCompleted>(v1::ScreeningEvent::kScreeningCompleted, Screened);
  On<v1::ScreeningEvent, v1::ScreeningWithdrawn>(v1::ScreeningEvent::kScreeningWithdrawn,
                                                 Withdrawn);
  On<v1::PharmacyEvent, v1::MedicationDispensed>(v1::PharmacyEvent::kMedicationDispensed,
                                                 Dispensed);
  On<v1::ReferralEvent, v1::ReferralCreated>(v1::ReferralEvent::kReferralCreated, ReferralOpened);
  OnReferralEnded<v1::ReferralCompleted>(v1::ReferralEvent::kReferralCompleted, "completed");
  OnReferralEnded<v1::ReferralCancelled>(v1::ReferralEvent::kReferralCancelled, "revoked");
  OnReferralEnded<v1::ReferralExpired>(v1::ReferralEvent::kReferralExpired, "revoked");
}

}  // namespace satusehat_sync
