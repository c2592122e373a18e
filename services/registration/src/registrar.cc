#include "registrar.h"

#include "reason_codes.h"

namespace registration {
namespace {

void Add(Findings& out, std::string_view code, std::string field, std::string message) {
  out.push_back(Finding{std::string(code), std::move(field), std::move(message)});
}

}  // namespace

std::string NameKey(std::string_view full_name) {
  size_t begin = full_name.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return {};
  size_t end = full_name.find_last_not_of(" \t\r\n");
  std::string key(full_name.substr(begin, end - begin + 1));
  for (char& c : key) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return key;
}

RegistrationDecision DecideRegistration(const RegistrationRequest& request,
                                        const std::optional<PatientRecord>& existing) {
  if (!existing) return {RegistrationOutcome::kNew, {}};
  Findings conflicts;
  // Birth date and sex are what the NIK (or the newborn key) vouches for: if they differ, this
  // is someone else claiming the identity, or a typing error that must not be merged silently.
  std::string_view code = request.is_newborn() ? codes::kNewbornConflict : codes::kNikConflict;
  if (existing->birth_date != request.birth_date) {
    Add(conflicts, code, "birth_date", "a patient with this identity has a different birth date");
  }
  if (existing->sex != request.sex) {
    Add(conflicts, code, "sex", "a patient with this identity has a different sex");
  }
  if (!conflicts.empty()) return {RegistrationOutcome::kConflict, std::move(conflicts)};

  // Contact details change through UpdateContactDetails; a repeated registration only reports
  // what differs so the front desk can follow up.
  Findings differences;
  if (NameKey(existing->full_name) != NameKey(request.full_name)) {
    Add(differences, codes::kNameDiffers, "full_name", "differs from the registered name");
  }
  if (request.address && request.address->village_code != existing->address.village_code) {
    Add(differences, codes::kAddressDiffers, "address.village_code",
        "differs from the registered village; send UpdateContactDetails to change it");
  }
  if (!request.phone.empty() && request.phone != existing->phone) {
    Add(differences, codes::kPhoneDiffers, "phone",
        "differs from the registered phone; send UpdateContactDetails to change it");
  }
  if (!request.bpjs_number.empty() && request.bpjs_number != existing->bpjs_number) {
    Add(differences, codes::kBpjsDiffers, "bpjs_number", "differs from the registered BPJS number");
  }
  return {RegistrationOutcome::kMatched, std::move(differences)};
}

PatientRecord NewPatient(const RegistrationRequest& r, std::string patient_id,
                         klinik::TimePoint now) {
  PatientRecord p;
  p.patient_id = std::move(patient_id);
  p.nik = r.nik;
  p.mother_nik = r.mother_nik;
  p.birth_order = r.birth_order;
  p.full_name = r.full_name;
  p.birth_date = r.birth_date;
  p.sex = r.sex;
  p.address = r.address.value_or(Address{});
  p.phone = r.phone;
  p.bpjs_number = r.bpjs_number;
  p.clinic_id = r.clinic_id;
  p.request_id = r.request_id;
  p.created_at = now;
  p.updated_at = now;
  return p;
}

ContactChange ApplyContactUpdate(const PatientRecord& current, const ContactUpdateRequest& request,
                                 klinik::TimePoint now) {
  ContactChange change{current, {}};
  if (request.address && *request.address != current.address) {
    change.updated.address = *request.address;
    change.changed_fields.emplace_back("address");
  }
  if (request.phone && *request.phone != current.phone) {
    change.updated.phone = *request.phone;
    change.changed_fields.emplace_back("phone");
  }
  if (!change.changed_fields.empty()) change.updated.updated_at = now;
  return change;
}

}  // namespace registration
