// Consumes the domain facts and turns each one into persisted sync jobs, inside the event's
// inbox/outbox transaction. It never calls SatuSehat: sending is the SyncWorker's, so a slow or
// down API never holds a partition or a database transaction.
#pragma once

#include "klinik/processor.h"

namespace satusehat_sync {

class FactHandler final : public klinik::EventHandler {
 public:
  klinik::HandleResult Handle(const klinik::InboundEvent& event,
                              klinik::OutboxWriter& out) override;
};

}  // namespace satusehat_sync
