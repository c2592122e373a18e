// Consumes klinik.intake.registration.v1 and keeps the register: decode -> validate -> match
// against the register -> write the patient and the fact in the event's transaction. This class
// is the one place where domain outcomes become facts on klinik.patients.v1, dead letters and
// registration metrics.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "klinik/processor.h"
#include "patient.h"
#include "registration_metrics.h"
#include "registration_validator.h"

namespace registration {

class IntakeHandler final : public klinik::EventHandler {
 public:
  // `metrics` must outlive the handler.
  IntakeHandler(RegistrationValidator validator, RegistrationMetrics& metrics,
                std::function<klinik::TimePoint()> now = klinik::Clock::now);

  klinik::HandleResult Handle(const klinik::InboundEvent& event,
                              klinik::OutboxWriter& out) override;

 private:
  klinik::HandleResult Register(const RegistrationRequest& request, klinik::OutboxWriter& out);
  klinik::HandleResult UpdateContact(const ContactUpdateRequest& request,
                                     klinik::OutboxWriter& out);
  klinik::HandleResult Reject(klinik::OutboxWriter& out, const std::string& request_id,
                              const std::string& clinic_id, const std::string& patient_id,
                              const Findings& reasons);

  RegistrationValidator validator_;
  RegistrationMetrics* metrics_;  // never null
  std::function<klinik::TimePoint()> now_;
};

}  // namespace registration
