// pharmacy: the village pharmacy's stock ledger (services/pharmacy/README.md). Wiring only.
#include "expiry_check.h"
#include "intake_handler.h"
#include "klinik/service.h"
#include "pharmacy_metrics.h"
#include "pharmacy_service.h"
#include "pharmacy_store.h"
#include "settings.h"

int main(int argc, char** argv) {
  // Owned here so they outlive the runtime's threads, which RunService joins before returning.
  std::unique_ptr<pharmacy::Settings> settings;
  std::unique_ptr<pharmacy::PharmacyMetrics> metrics;
  std::shared_ptr<pharmacy::ExpiryCheck> expiry;
  return klinik::RunService(argc, argv, "pharmacy", [&](klinik::ServiceRuntime& rt) {
    settings = std::make_unique<pharmacy::Settings>(pharmacy::Settings::FromConfig(rt.config()));
    metrics = std::make_unique<pharmacy::PharmacyMetrics>(rt.metrics());
    rt.Migrate("pharmacy", pharmacy::store::Migrations());
    rt.AddConsumer({settings->intake_topic},
                   std::make_shared<pharmacy::IntakeHandler>(*settings, *metrics));
    rt.AddGrpcService(std::make_shared<pharmacy::PharmacyService>(rt.db(), *settings));
    expiry = std::make_shared<pharmacy::ExpiryCheck>(rt.db(), *settings, *metrics, rt.source());
    rt.AddPeriodic("expiry-check", settings->expiry_check_interval,
                   [check = expiry] { return check->RunOnce(); });
  });
}
