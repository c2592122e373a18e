// Consumes klinik.intake.registration.v1 and keeps the register: validate -> match against the
// register -> write the patient and the fact in the event's transaction. Decoding and the
// ce_type check are TypedHandler's (undecodable, no case, or a header that names another case:
// dead letter). This class is the one place where domain outcomes become facts on
// klinik.patients.v1 and registration metrics.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "klinik/typed_handler.h"
#include "patient.h"
#include "registration_validator.h"
#include "service_metrics.h"

namespace registration {

class IntakeHandler final : public klinik::TypedHandler {
 public:
  // Takes RegistrationIntake on the topic it is subscribed to (KLINIK_REGISTRATION_INTAKE_TOPIC).
  // `metrics` must outlive the handler.
  IntakeHandler(RegistrationValidator validator, ServiceMetrics& metrics,
                std::function<klinik::TimePoint()> now = klinik::Clock::now);

 private:
  klinik::HandleResult Register(const RegistrationRequest& request, klinik::OutboxWriter& out);
  klinik::HandleResult UpdateContact(const ContactUpdateRequest& request,
                                     klinik::OutboxWriter& out);
  klinik::HandleResult Reject(klinik::OutboxWriter& out, const std::string& request_id,
                              const std::string& clinic_id, const std::string& patient_id,
                              const Findings& reasons);

  RegistrationValidator validator_;
  ServiceMetrics* metrics_;  // never null
  std::function<klinik::TimePoint()> now_;
};

}  // namespace registration
