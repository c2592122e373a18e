// satusehat-sync: turns the domain facts into FHIR resources and sends them to SatuSehat.
// Wiring only; see README.md and src/.
#include <atomic>
#include <memory>

#include "fact_handler.h"
#include "job_store.h"
#include "klinik/service.h"
#include "klinik/topics.h"
#include "settings.h"
#include "sync_status_service.h"
#include "sync_worker.h"

int main(int argc, char** argv) {
  return klinik::RunService(argc, argv, "satusehat-sync", [](klinik::ServiceRuntime& rt) {
    using namespace satusehat_sync;
    auto settings = std::make_shared<const SyncSettings>(SyncSettings::FromConfig(rt.config()));
    rt.Migrate("satusehat-sync", Migrations());
    rt.AddConsumer(
        {std::string(klinik::topics::kPatients), std::string(klinik::topics::kScreenings),
         std::string(klinik::topics::kPharmacy), std::string(klinik::topics::kReferrals)},
        std::make_shared<FactHandler>());
    rt.AddGrpcService(std::make_shared<SyncStatusService>(rt.db()));

    WorkerMetrics metrics = WorkerMetrics::Register(rt.metrics());
    auto tokens = std::make_shared<TokenProvider>(*settings, metrics.client);
    auto stop = std::make_shared<std::atomic<bool>>(false);
    // Workers stop between jobs before the consumers stop, so shutdown waits for at most one
    // exchange per worker.
    rt.OnStopping([stop] { *stop = true; });
    for (int i = 0; i < settings->workers; ++i) {
      auto worker = std::make_shared<SyncWorker>(
          rt.db(), *settings, *tokens, metrics, rt.source(), [&rt] { rt.WakeOutbox(); },
          [&rt] { rt.WakeTasks(); });
      rt.AddPeriodic(
          "satusehat-push-" + std::to_string(i), settings->poll_interval,
          [worker, tokens, settings, stop] { return worker->RunOnce(*stop); },
          /*wake_on_commit=*/true);
    }
    // Gauges once a second for the process; the sweep for missed releases every 10 s.
    auto gauges = std::make_shared<JobGauges>(rt.db(), metrics);
    rt.AddPeriodic("satusehat-jobs", std::chrono::seconds(1), [gauges, &rt] {
      if (gauges->Run(std::chrono::seconds(10))) rt.WakeTasks();
      return false;  // nothing for the outbox
    });
  });
}
