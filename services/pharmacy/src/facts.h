// The proto <-> domain conversions every adapter shares (the intake handler, the alerts, the
// fuzz target). The one place that maps domain reasons onto klinik.v1.Reason. Facts are
// published with OutboxWriter::Publish, which takes their ce_type from the case they hold.
#pragma once

#include <google/protobuf/timestamp.pb.h>

#include <string>

#include "domain_types.h"
#include "klinik/time_util.h"
#include "klinik/v1/pharmacy.pb.h"
#include "validation.h"

namespace pharmacy {

void ToProto(const Reasons& reasons, google::protobuf::RepeatedPtrField<klinik::v1::Reason>* out);
// The pharmacy counts Unix milliseconds; these name its two conversions over klinik's Timestamp
// helpers (intake_handler.cc, whose rewrite is under way elsewhere, calls them).
inline void SetTimestamp(int64_t unix_ms, google::protobuf::Timestamp* out) {
  *out = klinik::ToTimestamp(klinik::FromUnixMillis(unix_ms));
}
// Unset (all zero) means "not given": the caller substitutes the processing time.
[[nodiscard]] inline int64_t TimestampMs(const google::protobuf::Timestamp& t,
                                         int64_t fallback_ms) {
  std::optional<klinik::TimePoint> at = klinik::FromTimestampIfSet(t);
  return at ? klinik::ToUnixMillis(*at) : fallback_ms;
}

// An intake request as the domain command it asks for; an unset time becomes `now_ms`. The one
// mapping the handler and the fuzz target (fuzz/pharmacy_intake_fuzz.cc) share.
[[nodiscard]] ReceiveCommand ToCommand(const klinik::v1::ReceiveStock& m, int64_t now_ms);
[[nodiscard]] DispenseCommand ToCommand(const klinik::v1::DispenseMedication& m, int64_t now_ms);
[[nodiscard]] AdjustCommand ToCommand(const klinik::v1::AdjustStock& m, int64_t now_ms);
[[nodiscard]] RecallCommand ToCommand(const klinik::v1::RecallLot& m, int64_t now_ms);
[[nodiscard]] ReorderLevelCommand ToCommand(const klinik::v1::SetReorderLevel& m);

}  // namespace pharmacy
