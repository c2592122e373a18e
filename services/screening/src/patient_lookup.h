// PatientLookup: the birth date and sex of a patient, owned by the registration service. The
// handler and the gRPC service depend on this interface only; production uses
// GrpcPatientLookup (PatientDirectory over gRPC), unit tests an in-memory map.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "klinik/time_util.h"
#include "klinik/v1/common.pb.h"

namespace screening {

struct PatientInfo {
  std::string patient_id;
  klinik::CivilDate birth_date;
  klinik::v1::Sex sex = klinik::v1::SEX_UNSPECIFIED;
};

enum class LookupStatus {
  kFound,
  kNotFound,     // registration answered: no such patient (permanent)
  kUnavailable,  // registration down, slow or failing: try again later (transient)
  kBadRecord,    // registration answered with a record this service cannot use (a bug there)
};

struct [[nodiscard]] LookupResult {
  LookupStatus status = LookupStatus::kUnavailable;
  PatientInfo patient;  // set when kFound
  std::string detail;   // why, for logs; never personal data
};

// Whom a submission names: its patient_id, or else its NIK.
struct PatientKey {
  bool by_nik = false;
  std::string value;
  auto operator<=>(const PatientKey&) const = default;
};

class PatientLookup {
 public:
  virtual ~PatientLookup() = default;
  virtual LookupResult ByPatientId(std::string_view patient_id) = 0;
  virtual LookupResult ByNik(std::string_view nik) = 0;
  LookupResult Find(const PatientKey& key) {
    return key.by_nik ? ByNik(key.value) : ByPatientId(key.value);
  }
  // Several at once, results in the order of `keys`; the gRPC lookup sends them concurrently.
  virtual std::vector<LookupResult> LookupMany(const std::vector<PatientKey>& keys) {
    std::vector<LookupResult> out;
    out.reserve(keys.size());
    for (const PatientKey& k : keys) out.push_back(Find(k));
    return out;
  }
};

}  // namespace screening
