// Consumes the domain facts and turns each one into persisted sync jobs, inside the event's
// inbox/outbox transaction. It never calls SatuSehat: sending is the SyncWorker's, so a slow or
// down API never holds a partition or a database transaction. A fact whose ce_type is not the
// one of its oneof case (fact_types.h) is a dead letter, not a job.
#pragma once

#include "klinik/processor.h"

namespace satusehat_sync {

class FactHandler final : public klinik::EventHandler {
 public:
  klinik::HandleResult Handle(const klinik::InboundEvent& event,
                              klinik::OutboxWriter& out) override;
};

}  // namespace satusehat_sync
