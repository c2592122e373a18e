// The referral service: wiring only (see src/ and README.md).
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
    using namespace referral;
    const auto& config = rt.Add<ReferralConfig>(ReferralConfig::FromConfig(rt.config()));
    rt.Migrate("referral", store::Migrations());

    auto& metrics = rt.Add<ReferralMetrics>(rt.metrics());
    const ReferralLifecycle lifecycle(config.sla, [] { return klinik::Clock::now(); });
    auto& intake = rt.Add<ReferralHandler>(config, lifecycle, metrics);
    auto& sla = rt.Add<SlaMonitor>(rt.db(), rt.source(), lifecycle, metrics);
    auto& referrals = rt.Add<ReferralGrpcService>(rt.db());

    // One consume loop over both topics: a patient's requests and screening facts are handled by
    // the same single-threaded loop, in one transaction each.
    rt.AddConsumer(
        {std::string(klinik::topics::kIntakeReferral), std::string(klinik::topics::kScreenings)},
        intake);
    rt.AddGrpcService(referrals);
    rt.AddPeriodic("referral-sla", config.check_interval, [&sla] { return sla.RunOnce() > 0; });
  });
}
