// The Kafka topics of KlinikDesa: one place that names them, their partition counts and the
// aggregate that keys them. The devbroker, the test fixtures, the Helm chart's KafkaTopic
// resources and every service read this list; a topic is never spelled out anywhere else.
#pragma once

#include <array>
#include <string_view>

namespace klinik::topics {

struct TopicSpec {
  std::string_view name;
  int partitions;  // production default; KEDA maxReplicas must not exceed it
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

// Each with its message key: order matters only within one key.
inline constexpr std::array<TopicSpec, 10> kAll = {{
    {kIntakeRegistration, 12},  // NIK
    {kPatients, 12},            // patient id
    {kIntakeScreening, 12},     // patient id
    {kScreenings, 12},          // patient id
    {kIntakePharmacy, 12},      // clinic id
    {kPharmacy, 12},            // clinic id
    {kIntakeReferral, 12},      // patient id
    {kReferrals, 12},           // patient id
    {kSatuSehat, 12},           // patient id
    {kDeadLetter, 3},           // the original message's key
}};

}  // namespace klinik::topics
