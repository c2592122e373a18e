#include "fact_handler.h"

#include <optional>

#include "fact_types.h"
#include "job_plan.h"
#include "job_store.h"
#include "klinik/log.h"
#include "klinik/topics.h"
#include "klinik/v1/pharmacy.pb.h"
#include "klinik/v1/referral.pb.h"
#include "klinik/v1/registration.pb.h"
#include "klinik/v1/screening.pb.h"

namespace satusehat_sync {
namespace {

using klinik::HandleResult;

// The ce_type header lets subscribers filter without decoding, and is stored with the jobs as
// the type to decode their source fact by; one that names another kind than the payload holds
// breaks the contract, so the fact is parked rather than planned. Nothing to compare when no
// kind is set.
template <typename Fact>
std::optional<HandleResult> CeTypeMismatch(const klinik::CloudEvent& ce, const Fact& fact) {
  if (fact.kind_case() == Fact::KIND_NOT_SET || ce.type == fact_types::Of(fact))
    return std::nullopt;
  return HandleResult::DeadLetter("ce_type '" + ce.type + "' does not match " +
                                  Fact::descriptor()->FindFieldByNumber(fact.kind_case())->name());
}

HandleResult Store(const klinik::InboundEvent& event, klinik::OutboxWriter& out,
                   const std::string& patient_id, const google::protobuf::MessageLite& fact,
                   const std::vector<PlannedJob>& jobs) {
  int added = JobStore::AddJobs(out.tx(), event.ce.id, event.ce.type, patient_id,
                                fact.SerializeAsString(), jobs, klinik::Clock::now());
  klinik::log::Debug("sync jobs planned",
                     {{"ce_id", event.ce.id}, {"ce_type", event.ce.type}, {"jobs", added}});
  return HandleResult::Applied();
}

HandleResult Patients(const klinik::InboundEvent& event, klinik::OutboxWriter& out) {
  klinik::v1::PatientEvent e;
  if (!e.ParseFromString(event.message.value))
    return HandleResult::DeadLetter("value is not a PatientEvent");
  if (auto mislabelled = CeTypeMismatch(event.ce, e)) return *mislabelled;
  if (!e.has_patient_registered()) return HandleResult::Ignored();
  const auto& p = e.patient_registered();
  if (!klinik::IsUuid(p.patient_id()))
    return HandleResult::DeadLetter("PatientRegistered without a patient_id UUID");
  // A newborn without a NIK of their own cannot be found by NIK; its jobs wait (see README).
  JobStore::RememberPatient(out.tx(), p.patient_id(), p.nik());
  return Store(event, out, p.patient_id(), p, PlanPatient(p));
}

HandleResult Screenings(const klinik::InboundEvent& event, klinik::OutboxWriter& out) {
  klinik::v1::ScreeningEvent e;
  if (!e.ParseFromString(event.message.value))
    return HandleResult::DeadLetter("value is not a ScreeningEvent");
  if (auto mislabelled = CeTypeMismatch(event.ce, e)) return *mislabelled;
  if (!e.has_screening_completed()) return HandleResult::Ignored();
  const auto& s = e.screening_completed();
  if (!klinik::IsUuid(s.screening_id()) || !klinik::IsUuid(s.patient_id()) ||
      !s.has_measured_at()) {
    return HandleResult::DeadLetter(
        "ScreeningCompleted without screening_id, patient_id or measured_at");
  }
  return Store(event, out, s.patient_id(), s, PlanScreening(s));
}

HandleResult Pharmacy(const klinik::InboundEvent& event, klinik::OutboxWriter& out) {
  klinik::v1::PharmacyEvent e;
  if (!e.ParseFromString(event.message.value))
    return HandleResult::DeadLetter("value is not a PharmacyEvent");
  if (auto mislabelled = CeTypeMismatch(event.ce, e)) return *mislabelled;
  if (!e.has_medication_dispensed()) return HandleResult::Ignored();
  const auto& d = e.medication_dispensed();
  if (!klinik::IsUuid(d.patient_id()) || d.request_id().empty() || d.prescription_id().empty() ||
      d.lines_size() == 0 || !d.has_dispensed_at()) {
    return HandleResult::DeadLetter(
        "MedicationDispensed without patient_id, request_id, prescription_id, lines or "
        "dispensed_at");
  }
  return Store(event, out, d.patient_id(), d, PlanDispensing(d));
}

HandleResult Referrals(const klinik::InboundEvent& event, klinik::OutboxWriter& out) {
  klinik::v1::ReferralEvent e;
  if (!e.ParseFromString(event.message.value))
    return HandleResult::DeadLetter("value is not a ReferralEvent");
  if (auto mislabelled = CeTypeMismatch(event.ce, e)) return *mislabelled;
  auto ended = [&](const std::string& referral_id, const std::string& patient_id,
                   const google::protobuf::MessageLite& fact, std::string_view fhir_status) {
    if (!klinik::IsUuid(referral_id) || !klinik::IsUuid(patient_id)) {
      return HandleResult::DeadLetter("referral fact without referral_id or patient_id");
    }
    return Store(event, out, patient_id, fact, PlanReferralEnded(referral_id, fhir_status));
  };
  switch (e.kind_case()) {
    case klinik::v1::ReferralEvent::kReferralCreated: {
      const auto& r = e.referral_created();
      if (!klinik::IsUuid(r.referral_id()) || !klinik::IsUuid(r.patient_id())) {
        return HandleResult::DeadLetter("ReferralCreated without referral_id or patient_id");
      }
      return Store(event, out, r.patient_id(), r, PlanReferralCreated(r));
    }
    case klinik::v1::ReferralEvent::kReferralCompleted:
      return ended(e.referral_completed().referral_id(), e.referral_completed().patient_id(),
                   e.referral_completed(), "completed");
    case klinik::v1::ReferralEvent::kReferralCancelled:
      return ended(e.referral_cancelled().referral_id(), e.referral_cancelled().patient_id(),
                   e.referral_cancelled(), "revoked");
    case klinik::v1::ReferralEvent::kReferralExpired:
      return ended(e.referral_expired().referral_id(), e.referral_expired().patient_id(),
                   e.referral_expired(), "revoked");
    default:
      return HandleResult::Ignored();
  }
}

}  // namespace

HandleResult FactHandler::Handle(const klinik::InboundEvent& event, klinik::OutboxWriter& out) {
  const std::string& topic = event.message.topic;
  if (topic == klinik::topics::kPatients) return Patients(event, out);
  if (topic == klinik::topics::kScreenings) return Screenings(event, out);
  if (topic == klinik::topics::kPharmacy) return Pharmacy(event, out);
  if (topic == klinik::topics::kReferrals) return Referrals(event, out);
  return HandleResult::Ignored();
}

}  // namespace satusehat_sync
