// CloudEvents ce_type of each oneof case on the registration topics (the proto comments'
// values, spelled once).
#pragma once

#include <string_view>

namespace registration::event_types {

// klinik.intake.registration.v1 (RegistrationIntake)
inline constexpr std::string_view kRegisterPatient = "id.klinik.intake.register_patient.v1";
inline constexpr std::string_view kUpdateContactDetails =
    "id.klinik.intake.update_contact_details.v1";

// klinik.patients.v1 (PatientEvent)
inline constexpr std::string_view kPatientRegistered = "id.klinik.patient.registered.v1";
inline constexpr std::string_view kRegistrationMatched =
    "id.klinik.patient.registration_matched.v1";
inline constexpr std::string_view kPatientUpdated = "id.klinik.patient.updated.v1";
inline constexpr std::string_view kRegistrationRejected =
    "id.klinik.patient.registration_rejected.v1";

}  // namespace registration::event_types
