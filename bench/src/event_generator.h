// Realistic intake events for load tests: a deterministic population of residents with valid
// NIKs (DOMAIN.md) spread over many villages and clinics, and the messages upstream apps send
// about them — registrations, birthday screenings (with a realistic share of hypertension and
// high glucose, so referrals happen), stock deliveries and dispenses — each as a Kafka message
// with CloudEvents headers exactly like klinikctl and the apps send.
//
//   loadgen::Population people({.size = 10000, .seed = 7});
//   klinik::OutgoingMessage m = loadgen::RegistrationMessage(people.at(0));
//
// Nothing here talks to Kafka; the RateSender (rate_sender.h) sends what this builds.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "klinik/kafka.h"
#include "klinik/time_util.h"

namespace loadgen {

// ce_source of everything the load generator sends.
inline constexpr const char* kSource = "/klinik-loadgen";
// The health worker who measures and dispenses (a NIK: staff ids are NIKs). Seed it in the
// SatuSehat sandbox as a practitioner.
inline constexpr const char* kExaminerNik = "3204154107850002";

struct Resident {
  int64_t index = 0;
  uint64_t seed = 0;  // of the population it belongs to
  std::string nik;    // valid: province, day (+40 for women), month, year, serial 0001-9000
  std::string full_name;
  klinik::CivilDate birth_date;
  bool female = false;
  std::string phone;
  std::string village_code;  // "32.KK.CC.2VVV"
  std::string clinic_id;     // the village's clinic
  [[nodiscard]] int AgeOn(const klinik::CivilDate& day) const;
  // The request id of this resident's registration: lets a reader of klinik.patients.v1 map a
  // PatientRegistered fact back to the resident.
  [[nodiscard]] std::string registration_request_id() const;
};

struct PopulationOptions {
  int64_t size = 1000;
  uint64_t seed = 20261123;
  int residents_per_village = 300;
};

// Resident i is a pure function of (seed, i), so two processes with the same seed agree on every
// NIK without exchanging them. NIKs stay unique up to 9000 residents per district and 9999
// districts (about 90 million residents).
class Population {
 public:
  explicit Population(PopulationOptions options);
  [[nodiscard]] Resident at(int64_t index) const;
  [[nodiscard]] int64_t size() const { return options_.size; }
  // Index of the resident whose registration carried this request id; -1 if none of ours.
  [[nodiscard]] int64_t IndexOfRequest(const std::string& request_id) const;

 private:
  PopulationOptions options_;
  klinik::CivilDate today_;
};

// A resident's registration on klinik.intake.registration.v1 (key = NIK).
klinik::OutgoingMessage RegistrationMessage(const Resident& resident);

struct ScreeningTarget {
  std::string patient_id;  // empty: the screening names the patient by NIK
  Resident resident;
};

// A birthday screening with measurements typical of the resident's age: about 30% of adults
// hypertensive and 16% with raised random glucose. The screening_id is chosen here (a UUID) so
// a reader can follow the screening through referral and sync. Key = patient id (NIK when the
// patient id is not known).
klinik::OutgoingMessage ScreeningMessage(const ScreeningTarget& target,
                                         const std::string& screening_id, std::mt19937_64& rng);

// The clinic pharmacy's traffic: a delivery of every item first, then dispenses against it.
// Per clinic the stream is ordered (key = clinic id), so dispenses always find stock.
class PharmacyStream {
 public:
  // `patient_ids`: whom dispenses are for (random UUIDs when empty); `clinics`: how many clinics
  // share the stream; `dispenses_per_delivery`: how many dispenses follow each delivery round.
  PharmacyStream(std::vector<std::string> patient_ids, int clinics, uint64_t seed,
                 int dispenses_per_delivery = 20);
  klinik::OutgoingMessage Next();

 private:
  klinik::OutgoingMessage Delivery(int clinic, size_t item);
  klinik::OutgoingMessage Dispense(int clinic);

  std::vector<std::string> patient_ids_;
  int clinics_;
  int per_delivery_;
  std::mt19937_64 rng_;
  int64_t sequence_ = 0;
  std::vector<int64_t> sent_per_clinic_;
  std::string run_;  // distinguishes lot numbers and request ids of separate runs
};

// The clinic id of village number `village` (as Population assigns them).
std::string ClinicIdOfVillage(int64_t village);

}  // namespace loadgen
