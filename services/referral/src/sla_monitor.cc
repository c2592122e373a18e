#include "sla_monitor.h"

#include "klinik/log.h"
#include "klinik/outbox.h"
#include "referral_handler.h"
#include "store.h"

namespace referral {

int SlaMonitor::RunOnce() {
  std::vector<std::string> due = db_.Read(
      [&](klinik::Transaction& tx) { return store::DueForTimers(tx, lifecycle_.Now(), kBatch); });
  int facts = 0;
  for (const std::string& id : due) {
    // One transaction per referral: the row is re-read under lock, so a concurrent answer or
    // another replica's scan is seen and nothing is published twice.
    facts += klinik::InOutboxTransaction(db_, source_, [&](klinik::OutboxWriter& out) {
      std::optional<Referral> current = store::Load(out.tx(), id, /*for_update=*/true);
      if (!current) return 0;
      Decision d = lifecycle_.CheckTimers(*current);
      if (d.steps.empty()) return 0;
      RecordDecision(out, d, /*is_new=*/false, &metrics_);
      klinik::log::Info("referral timer fired",
                        {{"referral_id", id}, {"step", StepName(d.steps.front().kind)}});
      return static_cast<int>(d.steps.size());
    });
  }
  return facts;
}

}  // namespace referral
