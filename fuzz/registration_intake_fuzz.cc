// registration's intake step without Kafka or a database: bytes → RegistrationIntake →
// domain request → RegistrationValidator, then for an accepted request the pure decisions the
// handler takes next (new patient or match, contact update) and the facts it would publish.
// Mirrors IntakeHandler's case functions (Register, UpdateContact); the stored patient a request
// is compared with is made here.
#include <cstddef>
#include <cstdint>

#include <google/protobuf/stubs/logging.h>

#include "fuzz_check.h"
#include "klinik/v1/registration.pb.h"
#include "proto_mapping.h"
#include "registrar.h"
#include "registration_validator.h"

namespace {

using namespace registration;

const klinik::TimePoint kNow = klinik::StartOfDay({2026, 1, 15}) + std::chrono::hours(3);
constexpr char kPatientId[] = "0b6e7c8a-4f1d-4c2b-9a53-2f0e6d1c7b90";

void Register(const RegistrationValidator& validator, const RegistrationRequest& request) {
  ValidationResult validation = validator.Validate(request);
  if (!validation.ok()) return;
  RegistrationDecision fresh = DecideRegistration(request, std::nullopt);
  FUZZ_CHECK(fresh.outcome == RegistrationOutcome::kNew);
  PatientRecord patient = NewPatient(request, kPatientId, kNow);
  (void)RegisteredFact(patient, validation.warnings, kNow).SerializeAsString();
  // The same resident again matches the stored patient.
  RegistrationDecision again = DecideRegistration(request, patient);
  FUZZ_CHECK(again.outcome == RegistrationOutcome::kMatched && again.findings.empty());
  (void)MatchedFact(request, patient.patient_id, again.findings, kNow).SerializeAsString();
  (void)NameKey(request.full_name);
}

void UpdateContact(const RegistrationValidator& validator, const ContactUpdateRequest& request) {
  if (!validator.Validate(request).ok()) return;
  PatientRecord current;
  current.patient_id = request.patient_id;
  current.address = {"32.04.15.2003", "001", "002", "Jl. Mawar 1"};
  current.phone = "081234567890";
  ContactChange change = ApplyContactUpdate(current, request, kNow);
  klinik::v1::Patient out;
  ToProto(change.updated, &out);
  (void)out.SerializeAsString();
}

}  // namespace

// libprotobuf logs every string field with invalid UTF-8 it refuses; ParseFromArray's result
// already says so, and the log would drown the fuzzer's own output.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  klinik::v1::RegistrationIntake intake;
  if (!intake.ParseFromArray(data, static_cast<int>(size))) return 0;
  static const RegistrationValidator validator([] { return klinik::CivilDate{2026, 1, 15}; });
  switch (intake.kind_case()) {
    case klinik::v1::RegistrationIntake::kRegisterPatient:
      Register(validator, FromProto(intake.register_patient()));
      break;
    case klinik::v1::RegistrationIntake::kUpdateContact:
      UpdateContact(validator, FromProto(intake.update_contact()));
      break;
    case klinik::v1::RegistrationIntake::KIND_NOT_SET:
      break;
  }
  return 0;
}
