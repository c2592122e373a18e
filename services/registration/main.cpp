// The registration service: consumes klinik.intake.registration.v1, keeps the patient register,
// publishes klinik.patients.v1 and serves PatientDirectory. Wiring only; see src/.
#include "intake_handler.h"
#include "klinik/service.h"
#include "patient_directory.h"
#include "patient_store.h"
#include "registration_config.h"
#include "registration_metrics.h"

int main(int argc, char** argv) {
  return klinik::RunService(argc, argv, "registration", [](klinik::ServiceRuntime& rt) {
    using namespace registration;
    const auto& config = rt.Add<RegistrationConfig>(ReadRegistrationConfig(rt.config()));
    rt.Migrate("registration", Migrations(rt.db().dialect()));

    auto& metrics = rt.Add<RegistrationMetrics>(rt.metrics());
    auto& intake = rt.Add<IntakeHandler>(RegistrationValidator(TodayInIndonesia), metrics);
    auto& directory = rt.Add<PatientDirectory>(rt.db());

    rt.AddConsumer({config.intake_topic}, intake);
    rt.AddGrpcService(directory);
  });
}
