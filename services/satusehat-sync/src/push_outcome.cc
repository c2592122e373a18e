#include "push_outcome.h"

namespace satusehat_sync {

PushOutcome PushOutcome::Synced(std::string satusehat_id) {
  return PushOutcome(push::Synced{std::move(satusehat_id)});
}

PushOutcome PushOutcome::Waiting(std::string reason, std::string diagnostics) {
  return PushOutcome(push::Waiting{{std::move(reason), std::move(diagnostics)}});
}

PushOutcome PushOutcome::Permanent(std::string reason, std::string diagnostics) {
  return PushOutcome(push::Permanent{{std::move(reason), std::move(diagnostics)}});
}

PushOutcome PushOutcome::Transient(std::string reason, std::string diagnostics) {
  return PushOutcome(push::Transient{{std::move(reason), std::move(diagnostics)}});
}

const std::string& PushOutcome::satusehat_id() const {
  static const std::string kNone;
  const auto* s = std::get_if<push::Synced>(&result);
  return s != nullptr ? s->satusehat_id : kNone;
}

const Problem* PushOutcome::problem() const {
  return std::visit(
      [](const auto& r) -> const Problem* {
        if constexpr (std::is_same_v<std::decay_t<decltype(r)>, push::Synced>) {
          return nullptr;
        } else {
          return &r.problem;
        }
      },
      result);
}

}  // namespace satusehat_sync
