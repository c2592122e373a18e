// pharmacy: the village pharmacy's stock ledger (services/pharmacy/README.md). Wiring only.
#include "expiry_check.h"
#include "grpc_service.h"
#include "intake_handler.h"
#include "klinik/service.h"
#include "service_metrics.h"
#include "settings.h"
#include "store.h"

int main(int argc, char** argv) {
  return klinik::RunService(argc, argv, "pharmacy", [](klinik::ServiceRuntime& rt) {
    using namespace pharmacy;
    const auto& settings = rt.Add<Settings>(Settings::FromConfig(rt.config()));
    rt.Migrate("pharmacy", store::Migrations());

    auto& metrics = rt.Add<ServiceMetrics>(rt.metrics());
    auto& intake = rt.Add<IntakeHandler>(settings, metrics);
    auto& stock = rt.Add<GrpcService>(rt.db(), settings);
    auto& expiry = rt.Add<ExpiryCheck>(rt.db(), settings, metrics, rt.source());

    rt.AddConsumer({settings.intake_topic}, intake);
    rt.AddGrpcService(stock);
    rt.AddPeriodic("expiry-check", settings.expiry_check_interval,
                   [&expiry] { return expiry.RunOnce(); });
  });
}
