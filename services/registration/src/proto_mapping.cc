#include "proto_mapping.h"

#include <chrono>

namespace registration {
namespace {

Address FromProto(const klinik::v1::Address& a) {
  return Address{a.village_code(), a.rt(), a.rw(), a.street()};
}

Sex FromProto(klinik::v1::Sex s) {
  switch (s) {
    case klinik::v1::SEX_MALE:
      return Sex::kMale;
    case klinik::v1::SEX_FEMALE:
      return Sex::kFemale;
    default:
      return Sex::kUnspecified;
  }
}

}  // namespace

RegistrationRequest FromProto(const klinik::v1::RegisterPatient& m) {
  RegistrationRequest r;
  r.request_id = m.request_id();
  r.nik = m.nik();
  r.mother_nik = m.mother_nik();
  r.birth_order = m.birth_order();
  r.full_name = m.full_name();
  r.birth_date = m.birth_date();
  r.sex = FromProto(m.sex());
  if (m.has_address()) r.address = FromProto(m.address());
  r.phone = m.phone();
  r.bpjs_number = m.bpjs_number();
  r.clinic_id = m.clinic_id();
  return r;
}

ContactUpdateRequest FromProto(const klinik::v1::UpdateContactDetails& m) {
  ContactUpdateRequest r;
  r.request_id = m.request_id();
  r.patient_id = m.patient_id();
  if (m.has_address()) r.address = FromProto(m.address());
  if (m.has_phone()) r.phone = m.phone();
  r.clinic_id = m.clinic_id();
  return r;
}

klinik::v1::Sex ToProto(Sex sex) {
  switch (sex) {
    case Sex::kMale:
      return klinik::v1::SEX_MALE;
    case Sex::kFemale:
      return klinik::v1::SEX_FEMALE;
    case Sex::kUnspecified:
      break;
  }
  return klinik::v1::SEX_UNSPECIFIED;
}

void ToProto(const Finding& f, klinik::v1::Reason* out) {
  out->set_code(f.code);
  out->set_field(f.field);
  out->set_message(f.message);
}

void ToProto(const Address& a, klinik::v1::Address* out) {
  out->set_village_code(a.village_code);
  out->set_rt(a.rt);
  out->set_rw(a.rw);
  out->set_street(a.street);
}

void ToProto(const PatientRecord& p, klinik::v1::Patient* out) {
  out->set_patient_id(p.patient_id);
  out->set_nik(p.nik);
  out->set_mother_nik(p.mother_nik);
  out->set_birth_order(p.birth_order);
  out->set_full_name(p.full_name);
  out->set_birth_date(p.birth_date);
  out->set_sex(ToProto(p.sex));
  ToProto(p.address, out->mutable_address());
  out->set_phone(p.phone);
  out->set_bpjs_number(p.bpjs_number);
  out->set_clinic_id(p.clinic_id);
  out->set_request_id(p.request_id);
  *out->mutable_created_at() = klinik::ToTimestampMillis(p.created_at);
  *out->mutable_updated_at() = klinik::ToTimestampMillis(p.updated_at);
}

klinik::v1::PatientEvent RegisteredFact(const PatientRecord& patient, const Findings& warnings,
                                        klinik::TimePoint now) {
  klinik::v1::PatientEvent fact;
  auto* registered = fact.mutable_patient_registered();
  registered->set_patient_id(patient.patient_id);
  registered->set_request_id(patient.request_id);
  registered->set_clinic_id(patient.clinic_id);
  registered->set_nik(patient.nik);
  registered->set_mother_nik(patient.mother_nik);
  registered->set_birth_order(patient.birth_order);
  registered->set_birth_date(patient.birth_date);
  registered->set_sex(ToProto(patient.sex));
  registered->set_village_code(patient.address.village_code);
  for (const Finding& w : warnings) ToProto(w, registered->add_warnings());
  *registered->mutable_registered_at() = klinik::ToTimestampMillis(now);
  return fact;
}

klinik::v1::PatientEvent MatchedFact(const RegistrationRequest& request,
                                     const std::string& patient_id, const Findings& warnings,
                                     klinik::TimePoint now) {
  klinik::v1::PatientEvent fact;
  auto* matched = fact.mutable_registration_matched();
  matched->set_request_id(request.request_id);
  matched->set_patient_id(patient_id);
  matched->set_clinic_id(request.clinic_id);
  for (const Finding& w : warnings) ToProto(w, matched->add_warnings());
  *matched->mutable_matched_at() = klinik::ToTimestampMillis(now);
  return fact;
}

}  // namespace registration
