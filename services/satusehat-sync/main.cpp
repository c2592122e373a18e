// satusehat-sync: turns the domain facts into FHIR resources and sends them to SatuSehat.
// Wiring only; see README.md and src/.
#include <string>

#include "fact_handler.h"
#include "grpc_service.h"
#include "klinik/service.h"
#include "klinik/topics.h"
#include "service_metrics.h"
#include "settings.h"
#include "store.h"
#include "sync_worker.h"

int main(int argc, char** argv) {
  return klinik::RunService(argc, argv, "satusehat-sync", [](klinik::ServiceRuntime& rt) {
    using namespace satusehat_sync;
    const auto& settings = rt.Add<Settings>(Settings::FromConfig(rt.config()));
    rt.Migrate("satusehat-sync", store::Migrations());

    // Handles to families in rt.metrics(): copied into each component that counts.
    const ServiceMetrics metrics = ServiceMetrics::Register(rt.metrics());
    auto& facts = rt.Add<FactHandler>();
    auto& status = rt.Add<GrpcService>(rt.db());
    auto& tokens = rt.Add<TokenProvider>(settings, metrics.client);
    auto& gauges = rt.Add<JobGauges>(rt.db(), metrics);

    rt.AddConsumer(
        {std::string(klinik::topics::kPatients), std::string(klinik::topics::kScreenings),
         std::string(klinik::topics::kPharmacy), std::string(klinik::topics::kReferrals)},
        facts);
    rt.AddGrpcService(status);
    // Workers stop between jobs once a stop begins, before the consumers stop, so shutdown
    // waits for at most one exchange per worker.
    for (int i = 0; i < settings.workers; ++i) {
      auto& worker = rt.Add<SyncWorker>(
          rt.db(), settings, tokens, metrics, rt.source(), [&rt] { rt.WakeOutbox(); },
          [&rt] { rt.WakeTasks(); });
      rt.AddPeriodic(
          "satusehat-push-" + std::to_string(i), settings.poll_interval,
          [&worker, &rt] { return worker.RunOnce(rt.stopping()); }, /*wake_on_commit=*/true);
    }
    // Gauges once a second for the process; the sweep for missed releases every 10 s.
    rt.AddPeriodic("satusehat-jobs", std::chrono::seconds(1), [&gauges, &rt] {
      if (gauges.Run(std::chrono::seconds(10))) rt.WakeTasks();
      return false;  // nothing for the outbox
    });
  });
}
