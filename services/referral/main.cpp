// The referral service: wiring only (see src/ and README.md).
#include <memory>

#include "klinik/service.h"
#include "klinik/topics.h"
#include "src/referral_config.h"
#include "src/referral_grpc.h"
#include "src/referral_handler.h"
#include "src/referral_metrics.h"
#include "src/referral_store.h"
#include "src/sla_monitor.h"

int main(int argc, char** argv) {
  return klinik::RunService(argc, argv, "referral", [](klinik::ServiceRuntime& rt) {
    referral::ReferralConfig config = referral::ReferralConfig::FromConfig(rt.config());
    rt.Migrate("referral", referral::store::Migrations());
    auto metrics = std::make_shared<referral::ReferralMetrics>(rt.metrics());
    referral::ReferralLifecycle lifecycle(config.sla, [] { return klinik::Clock::now(); });
    // One consume loop over both topics: a patient's requests and screening facts are handled by
    // the same single-threaded loop, in one transaction each.
    rt.AddConsumer(
        {std::string(klinik::topics::kIntakeReferral), std::string(klinik::topics::kScreenings)},
        std::make_shared<referral::ReferralHandler>(config, lifecycle, metrics.get()));
    auto monitor =
        std::make_shared<referral::SlaMonitor>(rt.db(), rt.source(), lifecycle, metrics.get());
    // The task owns the monitor and keeps the metrics alive as long as the runtime runs it.
    rt.AddPeriodic("referral-sla", config.check_interval,
                   [monitor, metrics] { return monitor->RunOnce() > 0; });
    rt.AddGrpcService(std::make_shared<referral::ReferralGrpcService>(rt.db()));
  });
}
