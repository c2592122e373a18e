// The one translation between the wire contracts (klinik.v1 protobuf) and the domain values.
#pragma once

#include "klinik/time_util.h"
#include "klinik/v1/registration.pb.h"
#include "patient.h"

namespace registration {

[[nodiscard]] RegistrationRequest FromProto(const klinik::v1::RegisterPatient& m);
[[nodiscard]] ContactUpdateRequest FromProto(const klinik::v1::UpdateContactDetails& m);

[[nodiscard]] klinik::v1::Sex ToProto(Sex sex);
void ToProto(const Finding& finding, klinik::v1::Reason* out);
void ToProto(const Address& address, klinik::v1::Address* out);
void ToProto(const PatientRecord& patient, klinik::v1::Patient* out);

// The facts of klinik.patients.v1 that describe a registration's outcome.
[[nodiscard]] klinik::v1::PatientEvent RegisteredFact(const PatientRecord& patient,
                                                      const Findings& warnings,
                                                      klinik::TimePoint now);
[[nodiscard]] klinik::v1::PatientEvent MatchedFact(const RegistrationRequest& request,
                                                   const std::string& patient_id,
                                                   const Findings& warnings, klinik::TimePoint now);

}  // namespace registration
