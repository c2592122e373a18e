// What a valid registration means for the register, given the patient already stored under the
// same identity (the NIK, or for a newborn without one: mother's NIK, birth date, birth order).
// Pure decisions; the intake handler does the reading, writing and publishing.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "patient.h"

namespace registration {

enum class RegistrationOutcome {
  kNew,       // nobody with this identity yet: create a patient
  kMatched,   // the same resident again: answer with the existing patient id
  kConflict,  // the identity is taken by someone with another birth date or sex: reject
};

struct [[nodiscard]] RegistrationDecision {
  RegistrationOutcome outcome;
  Findings findings;  // kMatched: differences as warnings; kConflict: the rejection reasons
};

[[nodiscard]] RegistrationDecision DecideRegistration(const RegistrationRequest& request,
                                                      const std::optional<PatientRecord>& existing);

// A new register row for an accepted registration.
[[nodiscard]] PatientRecord NewPatient(const RegistrationRequest& request, std::string patient_id,
                                       klinik::TimePoint now);

struct [[nodiscard]] ContactChange {
  PatientRecord updated;
  std::vector<std::string> changed_fields;  // "address", "phone"; empty = nothing differed
};

// The patient after an UpdateContactDetails: unset fields stay, set ones replace.
[[nodiscard]] ContactChange ApplyContactUpdate(const PatientRecord& current,
                                               const ContactUpdateRequest& request,
                                               klinik::TimePoint now);

// Lower-cased (ASCII letters only) and trimmed full name: the search and sort key. Non-ASCII
// letters keep their case; Indonesian identity-card names are written in Latin capitals.
[[nodiscard]] std::string NameKey(std::string_view full_name);

}  // namespace registration
