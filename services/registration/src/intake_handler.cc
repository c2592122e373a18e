#include "intake_handler.h"

#include <set>

#include "klinik/log.h"
#include "klinik/topics.h"
#include "klinik/v1/registration.pb.h"
#include "proto_mapping.h"
#include "reason_codes.h"
#include "registrar.h"
#include "store.h"

namespace registration {
namespace {

using klinik::HandleResult;

constexpr std::string_view kFacts = klinik::topics::kPatients;

nlohmann::json CodesOf(const Findings& findings) {
  nlohmann::json codes = nlohmann::json::array();
  for (const Finding& f : findings) codes.push_back(f.code);
  return codes;
}

void AddFindings(const Findings& findings,
                 google::protobuf::RepeatedPtrField<klinik::v1::Reason>* out) {
  for (const Finding& f : findings) ToProto(f, out->Add());
}

}  // namespace

IntakeHandler::IntakeHandler(RegistrationValidator validator, ServiceMetrics& metrics,
                             std::function<klinik::TimePoint()> now)
    : validator_(std::move(validator)), metrics_(&metrics), now_(std::move(now)) {
  using klinik::v1::RegistrationIntake;
  ConsumeSubscribed<RegistrationIntake>(UnknownKind::kDeadLetter);
  On<RegistrationIntake, klinik::v1::RegisterPatient>(
      RegistrationIntake::kRegisterPatient,
      [this](const klinik::v1::RegisterPatient& m, const klinik::InboundEvent&,
             klinik::OutboxWriter& out) { return Register(FromProto(m), out); });
  On<RegistrationIntake, klinik::v1::UpdateContactDetails>(
      RegistrationIntake::kUpdateContact,
      [this](const klinik::v1::UpdateContactDetails& m, const klinik::InboundEvent&,
             klinik::OutboxWriter& out) { return UpdateContact(FromProto(m), out); });
}

HandleResult IntakeHandler::Register(const RegistrationRequest& request,
                                     klinik::OutboxWriter& out) {
  ValidationResult validation = validator_.Validate(request);
  if (!validation.ok())
    return Reject(out, request.request_id, request.clinic_id, "", validation.reasons);

  std::optional<PatientRecord> existing =
      request.is_newborn() ? store::FindNewborn(out.tx(), request.mother_nik, request.birth_date,
                                                request.birth_order)
                           : store::FindByNik(out.tx(), request.nik);
  RegistrationDecision decision = DecideRegistration(request, existing);
  klinik::TimePoint now = now_();
  switch (decision.outcome) {
    case RegistrationOutcome::kConflict:
      return Reject(out, request.request_id, request.clinic_id, "", decision.findings);

    case RegistrationOutcome::kNew: {
      PatientRecord patient = NewPatient(request, klinik::NewUuid(), now);
      // A concurrent registration of the same identity makes this throw kUniqueViolation; the
      // consume loop retries the event and the retry takes the kMatched path.
      store::Insert(out.tx(), patient);
      klinik::v1::PatientEvent fact = RegisteredFact(patient, validation.warnings, now);
      out.Publish(kFacts, patient.patient_id, patient.patient_id, fact);
      out.AfterCommit([m = metrics_] { m->Count("registered", "none"); });
      klinik::log::Info("patient registered", {{"patient_id", patient.patient_id},
                                               {"request_id", request.request_id},
                                               {"clinic_id", request.clinic_id},
                                               {"warnings", CodesOf(validation.warnings)}});
      return HandleResult::Applied();
    }

    case RegistrationOutcome::kMatched: {
      Findings warnings = validation.warnings;
      warnings.insert(warnings.end(), decision.findings.begin(), decision.findings.end());
      klinik::v1::PatientEvent fact = MatchedFact(request, existing->patient_id, warnings, now);
      out.Publish(kFacts, existing->patient_id, existing->patient_id, fact);
      out.AfterCommit([m = metrics_] { m->Count("matched", "none"); });
      klinik::log::Info("registration matched an existing patient",
                        {{"patient_id", existing->patient_id},
                         {"request_id", request.request_id},
                         {"clinic_id", request.clinic_id},
                         {"warnings", CodesOf(warnings)}});
      return HandleResult::Applied();
    }
  }
  return HandleResult::DeadLetter("unreachable registration outcome");
}

HandleResult IntakeHandler::UpdateContact(const ContactUpdateRequest& request,
                                          klinik::OutboxWriter& out) {
  // Only a well-formed UUID is echoed back: a malformed "patient id" could be anything, a NIK
  // included, and facts carry identifiers only.
  std::string named_patient = klinik::IsUuid(request.patient_id) ? request.patient_id : "";
  ValidationResult validation = validator_.Validate(request);
  if (!validation.ok())
    return Reject(out, request.request_id, request.clinic_id, named_patient, validation.reasons);

  std::optional<PatientRecord> current =
      store::FindById(out.tx(), request.patient_id, /*for_update=*/true);
  if (!current) {
    return Reject(
        out, request.request_id, request.clinic_id, named_patient,
        {Finding{std::string(codes::kPatientUnknown), "patient_id", "no patient has this id"}});
  }
  klinik::TimePoint now = now_();
  ContactChange change = ApplyContactUpdate(*current, request, now);
  if (!change.changed_fields.empty()) store::UpdateContact(out.tx(), change.updated);

  // Published even when nothing differed: the app waits for an answer to its request_id.
  klinik::v1::PatientEvent fact;
  auto* updated = fact.mutable_patient_updated();
  updated->set_patient_id(current->patient_id);
  updated->set_request_id(request.request_id);
  updated->set_village_code(change.updated.address.village_code);
  for (const std::string& f : change.changed_fields) updated->add_changed_fields(f);
  updated->set_clinic_id(request.clinic_id);
  *updated->mutable_updated_at() = klinik::ToTimestampMillis(now);
  out.Publish(kFacts, current->patient_id, current->patient_id, fact);
  out.AfterCommit([m = metrics_] { m->Count("updated", "none"); });
  klinik::log::Info("patient contact details updated", {{"patient_id", current->patient_id},
                                                        {"request_id", request.request_id},
                                                        {"clinic_id", request.clinic_id},
                                                        {"changed_fields", change.changed_fields}});
  return HandleResult::Applied();
}

HandleResult IntakeHandler::Reject(klinik::OutboxWriter& out, const std::string& request_id,
                                   const std::string& clinic_id, const std::string& patient_id,
                                   const Findings& reasons) {
  klinik::v1::PatientEvent fact;
  auto* rejected = fact.mutable_registration_rejected();
  rejected->set_request_id(request_id);
  rejected->set_clinic_id(clinic_id);
  rejected->set_patient_id(patient_id);
  AddFindings(reasons, rejected->mutable_reasons());
  *rejected->mutable_rejected_at() = klinik::ToTimestampMillis(now_());
  // klinik.patients.v1 is keyed by patient id; a refused registration has none, so the app's
  // request id keys (and orders) it instead.
  const std::string& key = patient_id.empty() ? request_id : patient_id;
  out.Publish(kFacts, key, key, fact);

  std::set<std::string> distinct;
  for (const Finding& f : reasons) distinct.insert(f.code);
  std::string summary;
  for (const std::string& code : distinct) summary += (summary.empty() ? "" : ",") + code;
  out.AfterCommit([m = metrics_, distinct] {
    for (const std::string& code : distinct) m->Count("rejected", code);
  });
  klinik::log::Info("registration request rejected", {{"request_id", request_id},
                                                      {"clinic_id", clinic_id},
                                                      {"patient_id", patient_id},
                                                      {"reasons", CodesOf(reasons)}});
  return HandleResult::Rejected(summary);
}

}  // namespace registration
