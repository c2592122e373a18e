// The Kafka topics of KlinikDesa: one place that names them, their partition counts and the
// aggregate that keys them. The devbroker, the test fixtures, the Helm chart's KafkaTopic
// resources and every service read this list; a topic is never spelled out anywhere else.
#pragma once

#include <array>
#include <string_view>

namespace klinik::topics {

// What a topic's message key is. Order matters only within one key.
enum class KeyKind { kNik, kPatientId, kClinicId, kOriginKey };

struct TopicSpec {
  std::string_view name;
  int partitions;  // production default; KEDA maxReplicas must not exceed it
  KeyKind key;
};

inline constexpr std::string_view kIntakeRegistration = "klinik.intake.registration.v1";
inline constexpr std::string_view kPatients = "klinik.patients.v1";
inline constexpr std::string_view kIntakeScreening = "klinik.intake.screening.v1";
inline constexpr std::string_view kScreenings = "klinik.screenings.v1";
inline constexpr std::string_view kIntakePharmacy = "klinik.intake.pharmacy.v1";
inline constexpr std::string_view kPharmacy = "klinik.pharmacy.v1";
inline constexpr std::string_view kIntakeReferral = "klinik.intake.referral.v1";
inline constexpr std::string_view kReferrals = "klinik.referrals.v1";
inline constexpr std::string_view kSatuSehat = "klinik.satusehat.v1";
inline constexpr std::string_view kDeadLetter = "klinik.deadletter.v1";

inline constexpr std::array<TopicSpec, 10> kAll = {{
    {kIntakeRegistration, 12, KeyKind::kNik},
    {kPatients, 12, KeyKind::kPatientId},
    {kIntakeScreening, 12, KeyKind::kPatientId},
    {kScreenings, 12, KeyKind::kPatientId},
    {kIntakePharmacy, 12, KeyKind::kClinicId},
    {kPharmacy, 12, KeyKind::kClinicId},
    {kIntakeReferral, 12, KeyKind::kPatientId},
    {kReferrals, 12, KeyKind::kPatientId},
    {kSatuSehat, 12, KeyKind::kPatientId},
    {kDeadLetter, 3, KeyKind::kOriginKey},
}};

}  // namespace klinik::topics
