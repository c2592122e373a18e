// screening: the CKG birthday health check service. Wiring only; the logic is in screening_lib.
#include "classifier.h"
#include "grpc_patient_lookup.h"
#include "intake_handler.h"
#include "klinik/service.h"
#include "screening_config.h"
#include "screening_grpc_service.h"
#include "screening_metrics.h"
#include "screening_store.h"

int main(int argc, char** argv) {
  // Owned here, outside the runtime, so they outlive its consumers and gRPC threads.
  std::unique_ptr<screening::GrpcPatientLookup> lookup;
  std::unique_ptr<screening::ScreeningMetrics> metrics;
  return klinik::RunService(argc, argv, "screening", [&](klinik::ServiceRuntime& rt) {
    screening::ScreeningSettings settings = screening::LoadScreeningSettings(rt.config());
    rt.Migrate("screening", screening::Migrations());
    lookup = std::make_unique<screening::GrpcPatientLookup>(settings.registration_address,
                                                            settings.registration_timeout);
    metrics = std::make_unique<screening::ScreeningMetrics>(rt.metrics());
    rt.AddConsumer({settings.intake_topic}, std::make_shared<screening::IntakeHandler>(
                                                screening::ScreeningClassifier(settings.rules),
                                                *lookup, settings.utc_offset, metrics.get()));
    rt.AddGrpcService(std::make_shared<screening::ScreeningGrpcService>(
        rt.db(), *lookup, settings.rules.ckg_window_days));
  });
}
