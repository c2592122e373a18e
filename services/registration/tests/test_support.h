// Shared by the registration test suites: realistic requests and a database of either backend.
#pragma once

#include <string>
#include <string_view>

#include "klinik/storage.h"
#include "klinik/time_util.h"
#include "klinik/v1/registration.pb.h"
#include "test_infra.h"

namespace registration::testing {

// A valid RegisterPatient for a man born on `birth_date` whose NIK encodes that date:
// PP KK CC = 64 72 04, serial `serial` (1-9999).
inline klinik::v1::RegisterPatient Registration(const std::string& request_id, int serial,
                                                const std::string& full_name = "Budi Santoso",
                                                const std::string& clinic_id = "clinic-a") {
  char nik[17];
  std::snprintf(nik, sizeof nik, "6472041506%02d%04d", 90, serial);
  klinik::v1::RegisterPatient r;
  r.set_request_id(request_id);
  r.set_nik(nik);
  r.set_full_name(full_name);
  r.set_birth_date("1990-06-15");
  r.set_sex(klinik::v1::SEX_MALE);
  r.mutable_address()->set_village_code("64.72.04.1004");
  r.mutable_address()->set_rt("003");
  r.mutable_address()->set_rw("011");
  r.mutable_address()->set_street("Jl. Merdeka 1");
  r.set_phone("081234567890");
  r.set_clinic_id(clinic_id);
  return r;
}

using klinik::testing::FreshDatabase;

// The contract's ce_types, spelled here as what the tests expect; the service reads them from
// the (klinik.v1.ce_type) options of registration.proto.
namespace types {
inline constexpr std::string_view kRegisterPatient = "id.klinik.intake.register_patient.v1";
inline constexpr std::string_view kUpdateContactDetails =
    "id.klinik.intake.update_contact_details.v1";
inline constexpr std::string_view kPatientRegistered = "id.klinik.patient.registered.v1";
inline constexpr std::string_view kRegistrationMatched =
    "id.klinik.patient.registration_matched.v1";
inline constexpr std::string_view kPatientUpdated = "id.klinik.patient.updated.v1";
inline constexpr std::string_view kRegistrationRejected =
    "id.klinik.patient.registration_rejected.v1";
}  // namespace types

}  // namespace registration::testing
