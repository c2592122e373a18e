// The registration service: consumes klinik.intake.registration.v1, keeps the patient register,
// publishes klinik.patients.v1 and serves PatientDirectory. Wiring only; see src/.
#include "intake_handler.h"
#include "klinik/service.h"
#include "patient_directory.h"
#include "patient_store.h"
#include "registration_config.h"

int main(int argc, char** argv) {
  return klinik::RunService(argc, argv, "registration", [](klinik::ServiceRuntime& rt) {
    registration::RegistrationConfig config = registration::ReadRegistrationConfig(rt.config());
    rt.Migrate("registration", registration::Migrations(rt.db().dialect()));
    auto metrics = std::make_shared<registration::RegistrationMetrics>(rt.metrics());
    rt.AddConsumer(
        {config.intake_topic},
        std::make_shared<registration::IntakeHandler>(
            registration::RegistrationValidator(registration::TodayInIndonesia), metrics));
    rt.AddGrpcService(std::make_shared<registration::PatientDirectory>(rt.db()));
  });
}
