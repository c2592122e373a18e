// The referral service: wiring only (see src/ and README.md).
#include "klinik/service.h"
#include "klinik/topics.h"
#include "src/grpc_service.h"
#include "src/referral_handler.h"
#include "src/service_metrics.h"
#include "src/settings.h"
#include "src/sla_monitor.h"
#include "src/store.h"

int main(int argc, char** argv) {
  return klinik::RunService(argc, argv, "referral", [](klinik::ServiceRuntime& rt) {
    using namespace referral;
    const auto& settings = rt.Add<Settings>(Settings::FromConfig(rt.config()));
    rt.Migrate("referral", store::Migrations());

    auto& metrics = rt.Add<ServiceMetrics>(rt.metrics());
    const ReferralLifecycle lifecycle(settings.sla, [] { return klinik::Clock::now(); });
    auto& intake = rt.Add<ReferralHandler>(settings, lifecycle, metrics);
    auto& sla = rt.Add<SlaMonitor>(rt.db(), rt.source(), lifecycle, metrics);
    auto& referrals = rt.Add<GrpcService>(rt.db());

    // One consume loop over both topics: a patient's requests and screening facts are handled by
    // the same single-threaded loop, in one transaction each.
    rt.AddConsumer(
        {std::string(klinik::topics::kIntakeReferral), std::string(klinik::topics::kScreenings)},
        intake);
    rt.AddGrpcService(referrals);
    rt.AddPeriodic("referral-sla", settings.check_interval, [&sla] { return sla.RunOnce() > 0; });
  });
}
