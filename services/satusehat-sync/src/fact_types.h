// The CloudEvents ce_type of every oneof case of the fact topics this service consumes, as the
// proto comments give them. FactHandler dead-letters a fact whose header names another case
// than its payload holds, so the type stored with a job's source fact can be trusted to say how
// SyncWorker decodes it.
#pragma once

#include <string_view>

#include "klinik/v1/pharmacy.pb.h"
#include "klinik/v1/referral.pb.h"
#include "klinik/v1/registration.pb.h"
#include "klinik/v1/screening.pb.h"

namespace satusehat_sync::fact_types {

// The source facts SyncWorker decodes by their type.
inline constexpr std::string_view kScreeningCompleted = "id.klinik.screening.completed.v1";
inline constexpr std::string_view kMedicationDispensed =
    "id.klinik.pharmacy.medication_dispensed.v1";

// The ce_type of the fact's oneof case; empty when no kind is set.
[[nodiscard]] std::string_view Of(const klinik::v1::PatientEvent& fact);
[[nodiscard]] std::string_view Of(const klinik::v1::ScreeningEvent& fact);
[[nodiscard]] std::string_view Of(const klinik::v1::PharmacyEvent& fact);
[[nodiscard]] std::string_view Of(const klinik::v1::ReferralEvent& fact);

}  // namespace satusehat_sync::fact_types
