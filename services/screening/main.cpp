// screening: the CKG birthday health check service. Wiring only; the logic is in screening_lib.
#include "classifier.h"
#include "grpc_patient_lookup.h"
#include "grpc_service.h"
#include "intake_handler.h"
#include "klinik/service.h"
#include "service_metrics.h"
#include "settings.h"
#include "store.h"

int main(int argc, char** argv) {
  return klinik::RunService(argc, argv, "screening", [](klinik::ServiceRuntime& rt) {
    using namespace screening;
    const auto& settings = rt.Add<Settings>(Settings::FromConfig(rt.config()));
    rt.Migrate("screening", store::Migrations());

    auto& metrics = rt.Add<ServiceMetrics>(rt.metrics());
    auto& registration =
        rt.Add<GrpcPatientLookup>(settings.registration_address, settings.registration_timeout);
    auto& intake = rt.Add<IntakeHandler>(ScreeningClassifier(settings.rules), registration,
                                         settings.utc_offset, metrics);
    auto& screenings = rt.Add<GrpcService>(rt.db(), registration, settings.rules.ckg_window_days);

    rt.AddConsumer({settings.intake_topic}, intake);
    rt.AddGrpcService(screenings);
  });
}
