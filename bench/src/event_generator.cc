#include "event_generator.h"

#include <algorithm>
#include <array>

#include "klinik/cloudevents.h"
#include "klinik/event_types.h"
#include "klinik/topics.h"
#include "klinik/v1/pharmacy.pb.h"
#include "klinik/v1/registration.pb.h"
#include "klinik/v1/screening.pb.h"

namespace loadgen {
namespace {

namespace topics = klinik::topics;

// Names and the age/measurement distributions follow tools/klinikctl/src/demo.cc (the demo
// day), so the bench loads the services with the same shape of data the demo shows.
constexpr std::array<const char*, 15> kFemaleNames = {"Siti", "Dewi",   "Sri",  "Nur",     "Ani",
                                                      "Rina", "Wati",   "Yuli", "Lestari", "Ratna",
                                                      "Euis", "Neneng", "Ai",   "Cucu",    "Imas"};
constexpr std::array<const char*, 14> kMaleNames = {"Asep",  "Dedi",   "Ujang", "Agus",  "Budi",
                                                    "Cecep", "Dadang", "Iwan",  "Yayan", "Hendra",
                                                    "Ade",   "Rudi",   "Eko",   "Ahmad"};
constexpr std::array<const char*, 10> kFamilyNames = {
    "Suryana", "Hidayat",   "Rahmawati", "Setiawan", "Kurniasih",
    "Permana", "Nurhayati", "Sunarya",   "Hermawan", "Maryati"};

// Villages per district; with residents_per_village <= 300 a district holds at most 9000
// residents, below the 9999 NIK serials one birth date of a district can take.
constexpr int64_t kVillagesPerDistrict = 30;
constexpr int64_t kSerialsPerDistrict = 9000;

struct Drug {
  const char* item_code;
  const char* name;
  const char* lot_prefix;
  int64_t quantity;  // per dispense line
  const char* dosage;
};
constexpr std::array<Drug, 3> kDrugs = {{
    {"93001001", "Amlodipine 5 mg tablet", "AML", 30, "1 x sehari 1 tablet"},
    {"93001002", "Metformin 500 mg tablet", "MET", 60, "2 x sehari 1 tablet sesudah makan"},
    {"93001003", "Paracetamol 500 mg tablet", "PCT", 10, "3 x sehari 1 tablet bila demam"},
}};

std::string Pad(int64_t value, int width) {
  std::string s = std::to_string(value);
  return std::string(static_cast<size_t>(std::max(0, width - static_cast<int>(s.size()))), '0') + s;
}

int Between(std::mt19937_64& rng, int lo, int hi) {
  return std::uniform_int_distribution<int>(lo, hi)(rng);
}

bool Chance(std::mt19937_64& rng, int percent) { return Between(rng, 0, 99) < percent; }

// An intake wrapper under the ce_type of the case it holds (the registry's, event_types.h).
klinik::OutgoingMessage Message(std::string_view topic, const std::string& key,
                                const std::string& subject,
                                const google::protobuf::Message& wrapper) {
  klinik::OutgoingMessage m{std::string(topic), key, wrapper.SerializeAsString(), {}};
  klinik::AppendCloudEventHeaders(
      klinik::NewCloudEvent(std::string(klinik::CeTypeOf(wrapper)), kSource, subject), m.headers);
  return m;
}

// "32" Jawa Barat; regency 01-99 and district 01-99 make up to 9801 districts.
std::string DistrictDigits(int64_t district) {
  return "32" + Pad(1 + (district / 99) % 99, 2) + Pad(1 + district % 99, 2);
}

}  // namespace

int Resident::AgeOn(const klinik::CivilDate& day) const {
  bool before_birthday =
      day.month < birth_date.month || (day.month == birth_date.month && day.day < birth_date.day);
  return day.year - birth_date.year - (before_birthday ? 1 : 0);
}

std::string Resident::registration_request_id() const {
  // Never the NIK: request ids travel in the ce_subject header, which must carry no personal data.
  return "bench-reg-" + std::to_string(seed) + "-" + std::to_string(index);
}

std::string ClinicIdOfVillage(int64_t village) {
  std::string digits = DistrictDigits(village / kVillagesPerDistrict);
  return "klinik-desa-" + digits + Pad(2001 + village % kVillagesPerDistrict, 4);
}

Population::Population(PopulationOptions options)
    : options_(options), today_(klinik::ToCivilDate(klinik::Clock::now())) {
  options_.residents_per_village = std::clamp(options_.residents_per_village, 1, 300);
}

Resident Population::at(int64_t index) const {
  // One generator per resident: resident i does not depend on how many came before.
  std::mt19937_64 rng(options_.seed * 1'000'003ULL + static_cast<uint64_t>(index));
  Resident r;
  r.index = index;
  r.seed = options_.seed;
  int64_t village = index / options_.residents_per_village;
  int64_t district = village / kVillagesPerDistrict;
  int64_t serial = index % (options_.residents_per_village * kVillagesPerDistrict) + 1;
  serial = std::min(serial, kSerialsPerDistrict);
  std::string digits = DistrictDigits(district);
  r.village_code = digits.substr(0, 2) + "." + digits.substr(2, 2) + "." + digits.substr(4, 2) +
                   "." + Pad(2001 + village % kVillagesPerDistrict, 4);
  r.clinic_id = ClinicIdOfVillage(village);
  r.female = Between(rng, 0, 1) == 1;
  int band = Between(rng, 0, 99);
  int age = band < 12   ? Between(rng, 0, 6)
            : band < 20 ? Between(rng, 7, 17)
            : band < 85 ? Between(rng, 18, 59)
                        : Between(rng, 60, 85);
  // Two thirds have their birthday in the last 30 days: inside the CKG birthday window.
  klinik::CivilDate birthday = index % 3 != 0 ? klinik::AddDays(today_, -Between(rng, 0, 29))
                                              : klinik::AddDays(today_, -Between(rng, 31, 364));
  r.birth_date = {birthday.year - age, birthday.month, birthday.day};
  if (r.birth_date.month == 2 && r.birth_date.day == 29 &&
      !klinik::ParseCivilDate(klinik::FormatCivilDate(r.birth_date))) {
    r.birth_date.day = 28;
  }
  int day = static_cast<int>(r.birth_date.day) + (r.female ? 40 : 0);
  r.nik = digits + Pad(day, 2) + Pad(r.birth_date.month, 2) + Pad(r.birth_date.year % 100, 2) +
          Pad(serial, 4);
  const char* given = r.female ? kFemaleNames[static_cast<size_t>(Between(rng, 0, 14))]
                               : kMaleNames[static_cast<size_t>(Between(rng, 0, 13))];
  r.full_name = std::string(given) + " " + kFamilyNames[static_cast<size_t>(Between(rng, 0, 9))];
  r.phone = "08" + Pad(Between(rng, 1000, 9999), 4) + Pad(Between(rng, 100000, 999999), 6);
  return r;
}

int64_t Population::IndexOfRequest(const std::string& request_id) const {
  std::string prefix = "bench-reg-" + std::to_string(options_.seed) + "-";
  if (!request_id.starts_with(prefix)) return -1;
  std::string digits = request_id.substr(prefix.size());
  if (digits.empty() || digits.size() > 15 ||
      digits.find_first_not_of("0123456789") != std::string::npos)
    return -1;
  int64_t index = std::stoll(digits);
  return index < options_.size ? index : -1;
}

klinik::OutgoingMessage RegistrationMessage(const Resident& r) {
  std::mt19937_64 rng(static_cast<uint64_t>(r.index) * 7919ULL + 17);
  klinik::v1::RegistrationIntake intake;
  auto* reg = intake.mutable_register_patient();
  reg->set_request_id(r.registration_request_id());
  reg->set_nik(r.nik);
  reg->set_full_name(r.full_name);
  reg->set_birth_date(klinik::FormatCivilDate(r.birth_date));
  reg->set_sex(r.female ? klinik::v1::SEX_FEMALE : klinik::v1::SEX_MALE);
  reg->mutable_address()->set_village_code(r.village_code);
  reg->mutable_address()->set_rt(Pad(Between(rng, 1, 9), 3));
  reg->mutable_address()->set_rw(Pad(Between(rng, 1, 4), 3));
  reg->mutable_address()->set_street("Kampung Sukamaju");
  reg->set_phone(r.phone);
  reg->set_clinic_id(r.clinic_id);
  // The subject is the request id: a NIK never goes into a header.
  return Message(topics::kIntakeRegistration, r.nik, reg->request_id(), intake);
}

klinik::OutgoingMessage ScreeningMessage(const ScreeningTarget& target,
                                         const std::string& screening_id, std::mt19937_64& rng) {
  const Resident& r = target.resident;
  int age = r.AgeOn(klinik::ToCivilDate(klinik::Clock::now()));
  klinik::v1::ScreeningIntake intake;
  auto* s = intake.mutable_submit_screening();
  s->set_request_id("bench-scr-" + screening_id);
  s->set_screening_id(screening_id);
  if (target.patient_id.empty()) {
    s->set_nik(r.nik);
  } else {
    s->set_patient_id(target.patient_id);
  }
  s->set_clinic_id(r.clinic_id);
  s->set_examiner_id(kExaminerNik);
  *s->mutable_measured_at() = klinik::ToTimestampMillis(klinik::Clock::now());
  auto* m = s->mutable_measurements();
  if (age < 7) {
    m->set_weight_kg(8 + age * 2.2 + Between(rng, 0, 20) / 10.0);
    m->set_height_cm(70 + age * 7 + Between(rng, 0, 8));
  } else {
    int band = Between(rng, 0, 99);
    int systolic = band < 50   ? Between(rng, 105, 129)
                   : band < 70 ? Between(rng, 130, 139)
                   : band < 87 ? Between(rng, 140, 159)
                   : band < 96 ? Between(rng, 160, 179)
                               : Between(rng, 180, 200);
    m->set_systolic_mmhg(systolic);
    m->set_diastolic_mmhg(std::min(systolic - 30, Between(rng, 65, 85) + (systolic - 120) / 3));
    m->set_heart_rate_bpm(Between(rng, 60, 95));
    int g = Between(rng, 0, 99);
    m->set_glucose_mg_dl(g < 84   ? Between(rng, 75, 139)
                         : g < 93 ? Between(rng, 140, 199)
                                  : Between(rng, 200, 320));
    m->set_glucose_kind(klinik::v1::GLUCOSE_KIND_RANDOM);
    m->set_height_cm(r.female ? Between(rng, 145, 162) : Between(rng, 155, 172));
    m->set_weight_kg(Between(rng, 42, 85));
    m->set_waist_cm(Between(rng, 65, 102));
    m->set_smoking_status(!r.female && Chance(rng, 60) ? klinik::v1::SMOKING_STATUS_CURRENT
                                                       : klinik::v1::SMOKING_STATUS_NEVER);
    m->set_tb_symptoms(Chance(rng, 2));
    m->set_mental_health_positive(Chance(rng, 3));
    m->set_danger_signs(false);
  }
  const std::string& key = target.patient_id.empty() ? r.nik : target.patient_id;
  return Message(topics::kIntakeScreening, key,
                 target.patient_id.empty() ? s->request_id() : target.patient_id, intake);
}

PharmacyStream::PharmacyStream(std::vector<std::string> patient_ids, int clinics, uint64_t seed,
                               int dispenses_per_delivery)
    : patient_ids_(std::move(patient_ids)),
      clinics_(std::max(1, clinics)),
      per_delivery_(std::max(1, dispenses_per_delivery)),
      rng_(seed),
      sent_per_clinic_(static_cast<size_t>(clinics_), 0),
      run_(klinik::NewUuid().substr(0, 8)) {}

klinik::OutgoingMessage PharmacyStream::Next() {
  int clinic = static_cast<int>(sequence_++ % clinics_);
  int64_t k = sent_per_clinic_[static_cast<size_t>(clinic)]++;
  int64_t round = static_cast<int64_t>(kDrugs.size()) + per_delivery_;
  int64_t step = k % round;
  if (step < static_cast<int64_t>(kDrugs.size()))
    return Delivery(clinic, static_cast<size_t>(step));
  return Dispense(clinic);
}

klinik::OutgoingMessage PharmacyStream::Delivery(int clinic, size_t item) {
  const Drug& d = kDrugs[item];
  std::string clinic_id = ClinicIdOfVillage(clinic);
  int64_t k = sent_per_clinic_[static_cast<size_t>(clinic)];
  klinik::v1::PharmacyIntake intake;
  auto* rs = intake.mutable_receive_stock();
  rs->set_request_id("bench-rcv-" + run_ + "-" + std::to_string(clinic) + "-" + std::to_string(k));
  rs->set_clinic_id(clinic_id);
  rs->set_item_code(d.item_code);
  rs->set_item_name(d.name);
  rs->set_lot_number(std::string(d.lot_prefix) + "-" + run_ + "-" + std::to_string(k));
  klinik::CivilDate today = klinik::ToCivilDate(klinik::Clock::now());
  rs->set_expiry_date(klinik::FormatCivilDate(klinik::AddDays(today, Between(rng_, 200, 700))));
  // Enough for every dispense of the round even if all of them asked for this item.
  rs->set_quantity(d.quantity * per_delivery_ * 2);
  rs->set_unit("TAB");
  rs->set_supplier("PT Kimia Farma");
  rs->set_delivery_note_ref("SJ-" + std::to_string(4400 + k));
  *rs->mutable_received_at() = klinik::ToTimestampMillis(klinik::Clock::now());
  return Message(topics::kIntakePharmacy, clinic_id, clinic_id, intake);
}

klinik::OutgoingMessage PharmacyStream::Dispense(int clinic) {
  std::string clinic_id = ClinicIdOfVillage(clinic);
  int64_t k = sent_per_clinic_[static_cast<size_t>(clinic)];
  klinik::v1::PharmacyIntake intake;
  auto* d = intake.mutable_dispense_medication();
  int line = 0;
  auto add = [&](const Drug& drug) {
    auto* l = d->add_lines();
    l->set_line_no(++line);
    l->set_item_code(drug.item_code);
    l->set_quantity(drug.quantity);
    l->set_dosage_text(drug.dosage);
  };
  // As after the demo's screenings: antihypertensives, metformin, otherwise paracetamol.
  if (Chance(rng_, 30)) add(kDrugs[0]);
  if (Chance(rng_, 16)) add(kDrugs[1]);
  if (line == 0) add(kDrugs[2]);
  d->set_request_id("bench-rx-" + run_ + "-" + std::to_string(clinic) + "-" + std::to_string(k));
  d->set_clinic_id(clinic_id);
  d->set_patient_id(patient_ids_.empty()
                        ? klinik::NewUuid()
                        : patient_ids_[static_cast<size_t>(
                              Between(rng_, 0, static_cast<int>(patient_ids_.size()) - 1))]);
  d->set_prescription_id("RX-" + run_ + "-" + std::to_string(clinic) + "-" + std::to_string(k));
  d->set_dispensed_by(kExaminerNik);
  *d->mutable_dispensed_at() = klinik::ToTimestampMillis(klinik::Clock::now());
  return Message(topics::kIntakePharmacy, clinic_id, clinic_id, intake);
}

}  // namespace loadgen
