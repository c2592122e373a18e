// The registration service: consumes klinik.intake.registration.v1, keeps the patient register,
// publishes klinik.patients.v1 and serves PatientDirectory. Wiring only; see src/.
#include "grpc_service.h"
#include "intake_handler.h"
#include "klinik/service.h"
#include "service_metrics.h"
#include "settings.h"
#include "store.h"

int main(int argc, char** argv) {
  return klinik::RunService(argc, argv, "registration", [](klinik::ServiceRuntime& rt) {
    using namespace registration;
    const auto& settings = rt.Add<Settings>(Settings::FromConfig(rt.config()));
    rt.Migrate("registration", store::Migrations(rt.db().dialect()));

    auto& metrics = rt.Add<ServiceMetrics>(rt.metrics());
    auto& intake = rt.Add<IntakeHandler>(RegistrationValidator(TodayInIndonesia), metrics);
    auto& directory = rt.Add<GrpcService>(rt.db());

    rt.AddConsumer({settings.intake_topic}, intake);
    rt.AddGrpcService(directory);
  });
}
