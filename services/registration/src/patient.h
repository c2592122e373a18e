// The registration service's domain vocabulary: what an app asks for, what the register keeps,
// and the findings (reasons and warnings) the rules produce. Plain values with no Kafka, gRPC
// or SQL, so the rules can be tested without any of them.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "klinik/time_util.h"

namespace registration {

enum class Sex { kUnspecified, kMale, kFemale };

struct Address {
  std::string village_code;  // Kemendagri "PP.KK.CC.VVVV"
  std::string rt;            // digits or empty
  std::string rw;            // digits or empty
  std::string street;        // free text; personal data
  bool operator==(const Address&) const = default;
};

// Register a resident (RegisterPatient on the intake topic).
struct RegistrationRequest {
  std::string request_id;
  std::string nik;         // empty for a newborn without a NIK
  std::string mother_nik;  // newborns: the mother's NIK
  int birth_order = 0;     // newborns: 1-based order among children born that day; 0 = not given
  std::string full_name;
  std::string birth_date;  // "YYYY-MM-DD" as submitted
  Sex sex = Sex::kUnspecified;
  std::optional<Address> address;
  std::string phone;
  std::string bpjs_number;
  std::string clinic_id;

  [[nodiscard]] bool is_newborn() const { return nik.empty(); }
};

// Change how a patient is reached (UpdateContactDetails on the intake topic).
struct ContactUpdateRequest {
  std::string request_id;
  std::string patient_id;
  std::optional<Address> address;    // unset = unchanged
  std::optional<std::string> phone;  // unset = unchanged, "" = remove
  std::string clinic_id;
};

// One row of the register.
struct PatientRecord {
  std::string patient_id;
  std::string nik;
  std::string mother_nik;
  int birth_order = 0;
  std::string full_name;
  std::string birth_date;
  Sex sex = Sex::kUnspecified;
  Address address;
  std::string phone;
  std::string bpjs_number;
  std::string clinic_id;
  std::string request_id;
  klinik::TimePoint created_at{};
  klinik::TimePoint updated_at{};
};

// A reason for a rejection or a warning on an accepted request (common.proto's Reason).
// `message` is English and never contains personal data.
struct Finding {
  std::string code;
  std::string field;
  std::string message;
  bool operator==(const Finding&) const = default;
};

using Findings = std::vector<Finding>;

}  // namespace registration
