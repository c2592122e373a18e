#include "demo.h"

#include <curl/curl.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "klinik/cloudevents.h"
#include "klinik/kafka.h"
#include "klinik/topics.h"
#include "klinik/v1/pharmacy.pb.h"
#include "klinik/v1/referral.pb.h"
#include "klinik/v1/registration.pb.h"
#include "klinik/v1/screening.pb.h"

namespace klinikctl {
namespace {

namespace topics = klinik::topics;
using namespace std::chrono_literals;

constexpr const char* kExaminerNik = "3204154107850002";  // the clinic's nurse (female, 1985-07-01)
constexpr const char* kDoctorId = "3204150101800003";  // the puskesmas doctor (staff ids are NIKs)

const std::vector<std::string> kFemaleNames = {"Siti", "Dewi",   "Sri",  "Nur",     "Ani",
                                               "Rina", "Wati",   "Yuli", "Lestari", "Ratna",
                                               "Euis", "Neneng", "Ai",   "Cucu",    "Imas"};
const std::vector<std::string> kMaleNames = {"Asep",  "Dedi",   "Ujang", "Agus",  "Budi",
                                             "Cecep", "Dadang", "Iwan",  "Yayan", "Hendra",
                                             "Ade",   "Rudi",   "Eko",   "Ahmad"};
const std::vector<std::string> kFamilyNames = {"Suryana",   "Hidayat", "Rahmawati", "Setiawan",
                                               "Kurniasih", "Permana", "Nurhayati", "Sunarya",
                                               "Hermawan",  "Maryati"};

std::string Pad(int value, int width) {
  std::string s = std::to_string(value);
  return std::string(static_cast<size_t>(std::max(0, width - static_cast<int>(s.size()))), '0') + s;
}

size_t CurlAppend(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// GET or POST with libcurl; returns the status code (0 when unreachable) and the body.
int Http(const std::string& method, const std::string& url, const std::string& body,
         std::string* response) {
  CURL* curl = curl_easy_init();
  response->clear();
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 5L);
  curl_easy_setopt(curl, CURLOPT_NOPROXY, "127.0.0.1,localhost");  // the local stack only
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, CurlAppend);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, response);
  curl_slist* headers = nullptr;
  if (method == "POST") {
    headers = curl_slist_append(headers, "Content-Type: application/json");
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
  }
  long status = 0;
  if (curl_easy_perform(curl) == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return static_cast<int>(status);
}

// Sum of klinik_events_consumed_total over topics and outcomes, from a /metrics page.
long ConsumedEvents(int port) {
  std::string body;
  if (Http("GET", "http://127.0.0.1:" + std::to_string(port) + "/metrics", "", &body) != 200)
    return -1;
  std::istringstream lines(body);
  double sum = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("klinik_events_consumed_total{", 0) != 0) continue;
    if (line.find("outcome=\"duplicate\"") != std::string::npos) continue;
    sum += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return static_cast<long>(sum);
}

// What the demo has seen come back on the fact topics.
struct Observed {
  std::mutex mutex;
  std::map<std::string, std::string> patient_by_request;  // registration request → patient id
  std::set<std::string> registration_rejected;
  std::map<std::string, klinik::v1::ScreeningCompleted> screenings;  // by request id
  std::set<std::string> screening_rejected;
  std::set<std::string> pharmacy_answered;  // request ids with a fact
  int dispensed = 0, dispense_rejected = 0, stock_low = 0, stock_out = 0;
  std::map<std::string, std::string> referral_patient;  // referral id → patient id (created by us)
  std::set<std::string> referrals_sent, referrals_completed, referrals_closed;
};

void ObserveFacts(const std::string& bootstrap, Observed& seen, std::atomic<bool>& stop) {
  klinik::KafkaSettings s;
  s.properties["bootstrap.servers"] = bootstrap;
  s.properties["session.timeout.ms"] = "6000";
  s.properties["heartbeat.interval.ms"] = "500";
  klinik::Consumer consumer(s, "klinikctl-demo-" + klinik::NewUuid().substr(0, 8),
                            {std::string(topics::kPatients), std::string(topics::kScreenings),
                             std::string(topics::kPharmacy), std::string(topics::kReferrals)});
  while (!stop) {
    for (const auto& m : consumer.PollBatch(500, 200ms)) {
      std::lock_guard lock(seen.mutex);
      if (m.topic == topics::kPatients) {
        klinik::v1::PatientEvent e;
        if (!e.ParseFromString(m.value)) continue;
        if (e.has_patient_registered())
          seen.patient_by_request[e.patient_registered().request_id()] =
              e.patient_registered().patient_id();
        if (e.has_registration_matched())
          seen.patient_by_request[e.registration_matched().request_id()] =
              e.registration_matched().patient_id();
        if (e.has_registration_rejected())
          seen.registration_rejected.insert(e.registration_rejected().request_id());
      } else if (m.topic == topics::kScreenings) {
        klinik::v1::ScreeningEvent e;
        if (!e.ParseFromString(m.value)) continue;
        if (e.has_screening_completed())
          seen.screenings[e.screening_completed().request_id()] = e.screening_completed();
        if (e.has_screening_rejected())
          seen.screening_rejected.insert(e.screening_rejected().request_id());
      } else if (m.topic == topics::kPharmacy) {
        klinik::v1::PharmacyEvent e;
        if (!e.ParseFromString(m.value)) continue;
        if (e.has_stock_received()) seen.pharmacy_answered.insert(e.stock_received().request_id());
        if (e.has_medication_dispensed()) {
          seen.pharmacy_answered.insert(e.medication_dispensed().request_id());
          ++seen.dispensed;
        }
        if (e.has_dispense_rejected()) {
          seen.pharmacy_answered.insert(e.dispense_rejected().request_id());
          ++seen.dispense_rejected;
        }
        if (e.has_pharmacy_request_rejected())
          seen.pharmacy_answered.insert(e.pharmacy_request_rejected().request_id());
        if (e.has_stock_low()) ++seen.stock_low;
        if (e.has_stock_out()) ++seen.stock_out;
      } else if (m.topic == topics::kReferrals) {
        klinik::v1::ReferralEvent e;
        if (!e.ParseFromString(m.value)) continue;
        if (e.has_referral_created())
          seen.referral_patient[e.referral_created().referral_id()] =
              e.referral_created().patient_id();
        if (e.has_referral_sent()) seen.referrals_sent.insert(e.referral_sent().referral_id());
        if (e.has_referral_completed()) {
          seen.referrals_completed.insert(e.referral_completed().referral_id());
          seen.referrals_closed.insert(e.referral_completed().referral_id());
        }
        if (e.has_referral_cancelled())
          seen.referrals_closed.insert(e.referral_cancelled().referral_id());
        if (e.has_referral_expired())
          seen.referrals_closed.insert(e.referral_expired().referral_id());
      }
    }
  }
  consumer.Close();
}

class Publisher {
 public:
  explicit Publisher(const std::string& bootstrap) {
    klinik::KafkaSettings s;
    s.properties["bootstrap.servers"] = bootstrap;
    producer_ = std::make_unique<klinik::Producer>(s);
  }
  void Send(std::string_view topic, const std::string& key, const std::string& ce_type,
            const std::string& subject, const google::protobuf::MessageLite& value) {
    klinik::OutgoingMessage m{std::string(topic), key, value.SerializeAsString(), {}};
    klinik::AppendCloudEventHeaders(klinik::NewCloudEvent(ce_type, "/klinikctl/demo", subject),
                                    m.headers);
    std::string error;
    if (!producer_->Send(
            m, [this](const klinik::DeliveryResult& r) { r.ok ? ++delivered_ : ++failed_; },
            &error)) {
      ++failed_;
    }
    ++submitted_;
    producer_->Poll(0ms);
  }
  void Flush() { producer_->Flush(30s); }
  long submitted() const { return submitted_; }
  long failed() const { return failed_; }

 private:
  std::unique_ptr<klinik::Producer> producer_;
  std::atomic<long> submitted_{0}, delivered_{0}, failed_{0};
};

}  // namespace

std::vector<Resident> MakeResidents(const VillagePlan& plan, const klinik::CivilDate& today) {
  std::mt19937_64 rng(plan.seed);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  std::string district = plan.village_code.substr(0, 2) + plan.village_code.substr(3, 2) +
                         plan.village_code.substr(6, 2);
  std::vector<Resident> out;
  for (int i = 0; i < plan.residents; ++i) {
    Resident r;
    r.female = pick(0, 1) == 1;
    int band = pick(0, 99);
    int age = band < 12   ? pick(0, 6)
              : band < 20 ? pick(7, 17)
              : band < 85 ? pick(18, 59)
                          : pick(60, 85);
    klinik::CivilDate birthday_this_year =
        i % 3 != 0 ? klinik::AddDays(today, -pick(0, 29)) : klinik::AddDays(today, -pick(31, 364));
    r.birth_date = {birthday_this_year.year - age, birthday_this_year.month,
                    birthday_this_year.day};
    if (r.birth_date.month == 2 && r.birth_date.day == 29 &&
        !klinik::ParseCivilDate(klinik::FormatCivilDate(r.birth_date))) {
      r.birth_date.day = 28;
    }
    int day = static_cast<int>(r.birth_date.day) + (r.female ? 40 : 0);
    r.nik = district + Pad(day, 2) + Pad(static_cast<int>(r.birth_date.month), 2) +
            Pad(r.birth_date.year % 100, 2) + Pad(i + 1, 4);
    const auto& given = r.female ? kFemaleNames : kMaleNames;
    r.full_name =
        given[static_cast<size_t>(pick(0, static_cast<int>(given.size()) - 1))] + " " +
        kFamilyNames[static_cast<size_t>(pick(0, static_cast<int>(kFamilyNames.size()) - 1))];
    r.phone = "08" + Pad(pick(1000, 9999), 4) + Pad(pick(100000, 999999), 6);
    out.push_back(r);
  }
  return out;
}

int RunDemo(const DemoOptions& o, std::ostream& out, std::ostream& err) {
  klinik::CivilDate today = klinik::ToCivilDate(klinik::Clock::now());
  std::vector<Resident> residents = MakeResidents(o.plan, today);
  std::mt19937_64 rng(o.plan.seed + 1);
  auto chance = [&](int percent) {
    return std::uniform_int_distribution<int>(0, 99)(rng) < percent;
  };
  auto between = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(o.timeout_seconds);

  // The national index knows most residents (a few newcomers are not in it yet).
  nlohmann::json seed = nlohmann::json::array();
  seed.push_back({{"kind", "practitioner"}, {"nik", kExaminerNik}, {"ihs", "N10000001"}});
  for (size_t i = 0; i < residents.size(); ++i) {
    if (i % 29 == 7) continue;
    seed.push_back({{"kind", "patient"},
                    {"nik", residents[i].nik},
                    {"ihs", "P" + Pad(static_cast<int>(10000000 + i), 11)}});
  }
  if (!o.sandbox_url.empty()) {
    // Without the index every sync job would wait for its patient: a demo that proves nothing.
    std::string response;
    int status = 0;
    for (int attempt = 0; attempt < 20 && status / 100 != 2; ++attempt) {
      if (attempt > 0) std::this_thread::sleep_for(500ms);
      status = Http("POST", o.sandbox_url + "/_sandbox/seed", seed.dump(), &response);
    }
    if (status / 100 != 2) {
      err << "demo: could not seed the SatuSehat sandbox at " << o.sandbox_url << " (HTTP "
          << status << (status == 0 ? ": unreachable" : "") << ")\n";
      return 1;
    }
  }

  Observed seen;
  std::atomic<bool> stop{false};
  std::thread observer([&] { ObserveFacts(o.bootstrap, seen, stop); });
  std::this_thread::sleep_for(2s);  // let the observer join its group before facts flow
  Publisher pub(o.bootstrap);
  std::atomic<bool> progress_stop{false};
  auto print_progress = [&] {
    std::ostringstream line;
    line << "demo: submitted " << pub.submitted() << " | processed";
    for (const auto& [name, port] : o.metrics) line << " " << name << "=" << ConsumedEvents(port);
    {
      std::lock_guard lock(seen.mutex);
      line << " | referrals open " << seen.referral_patient.size() - seen.referrals_closed.size();
    }
    std::string stats;
    long synced = 0;
    if (!o.sandbox_url.empty() &&
        Http("GET", o.sandbox_url + "/_sandbox/stats", "", &stats) == 200) {
      auto j = nlohmann::json::parse(stats, nullptr, false);
      if (!j.is_discarded() && j.contains("resources_by_type")) {
        for (auto& [k, v] : j["resources_by_type"].items()) synced += v.get<long>();
      }
    }
    line << " | SatuSehat resources " << synced;
    out << line.str() << "\n" << std::flush;
    return synced;
  };
  std::thread progress([&] {
    while (!progress_stop) {
      print_progress();
      for (int i = 0; i < 20 && !progress_stop; ++i) std::this_thread::sleep_for(100ms);
    }
  });
  auto wait_for = [&](const std::string& what, const std::function<bool()>& done) {
    while (std::chrono::steady_clock::now() < deadline) {
      {
        std::lock_guard lock(seen.mutex);
        if (done()) return true;
      }
      std::this_thread::sleep_for(200ms);
    }
    err << "demo: timed out waiting for " << what << "\n";
    return false;
  };
  bool ok = true;

  // 1. Registration at the front desk.
  for (size_t i = 0; i < residents.size(); ++i) {
    const Resident& r = residents[i];
    klinik::v1::RegistrationIntake intake;
    auto* reg = intake.mutable_register_patient();
    reg->set_request_id("demo-reg-" + r.nik);
    reg->set_nik(r.nik);
    reg->set_full_name(r.full_name);
    reg->set_birth_date(klinik::FormatCivilDate(r.birth_date));
    reg->set_sex(r.female ? klinik::v1::SEX_FEMALE : klinik::v1::SEX_MALE);
    reg->mutable_address()->set_village_code(o.plan.village_code);
    reg->mutable_address()->set_rt(Pad(between(1, 9), 3));
    reg->mutable_address()->set_rw(Pad(between(1, 4), 3));
    reg->mutable_address()->set_street("Kampung Sukamaju");
    reg->set_phone(r.phone);
    reg->set_clinic_id(o.plan.clinic_id);
    pub.Send(topics::kIntakeRegistration, r.nik, "id.klinik.intake.register_patient.v1",
             reg->request_id(), intake);
  }
  pub.Flush();
  ok = ok && wait_for("registrations", [&] {
         return seen.patient_by_request.size() + seen.registration_rejected.size() >=
                residents.size();
       });

  // 2. Pharmacy deliveries (two amlodipine lots with different expiries: FEFO picks the earlier).
  struct Delivery {
    std::string item, name, lot;
    int expiry_days;
    long quantity;
  };
  const std::vector<Delivery> deliveries = {
      {"93001001", "Amlodipine 5 mg tablet", "AML-2407A", 200, 150},
      {"93001001", "Amlodipine 5 mg tablet", "AML-2502B", 500, 300},
      {"93001002", "Metformin 500 mg tablet", "MET-2411C", 400, 600},
      {"93001003", "Paracetamol 500 mg tablet", "PCT-2501D", 600, 1000}};
  std::vector<std::string> pharmacy_requests;
  for (size_t i = 0; i < deliveries.size(); ++i) {
    const auto& d = deliveries[i];
    klinik::v1::PharmacyIntake intake;
    auto* rs = intake.mutable_receive_stock();
    rs->set_request_id("demo-rcv-" + o.plan.clinic_id + "-" + std::to_string(o.plan.seed) + "-" +
                       std::to_string(i));
    rs->set_clinic_id(o.plan.clinic_id);
    rs->set_item_code(d.item);
    rs->set_item_name(d.name);
    rs->set_lot_number(d.lot);
    rs->set_expiry_date(klinik::FormatCivilDate(klinik::AddDays(today, d.expiry_days)));
    rs->set_quantity(d.quantity);
    rs->set_unit("TAB");
    rs->set_supplier("PT Kimia Farma");
    rs->set_delivery_note_ref("SJ-" + std::to_string(4400 + i));
    *rs->mutable_received_at() = klinik::ToTimestampMillis(klinik::Clock::now());
    pharmacy_requests.push_back(rs->request_id());
    pub.Send(topics::kIntakePharmacy, o.plan.clinic_id, "id.klinik.intake.receive_stock.v1",
             o.plan.clinic_id, intake);
  }

  // 3. Birthday screenings (CKG) with a realistic share of high blood pressure and glucose.
  std::vector<std::string> screening_requests;
  for (const Resident& r : residents) {
    std::string patient_id;
    {
      std::lock_guard lock(seen.mutex);
      auto it = seen.patient_by_request.find("demo-reg-" + r.nik);
      if (it == seen.patient_by_request.end()) continue;
      patient_id = it->second;
    }
    int age = today.year - r.birth_date.year -
              ((today.month < r.birth_date.month ||
                (today.month == r.birth_date.month && today.day < r.birth_date.day))
                   ? 1
                   : 0);
    klinik::v1::ScreeningIntake intake;
    auto* s = intake.mutable_submit_screening();
    s->set_request_id("demo-scr-" + r.nik + "-" + std::to_string(today.year));
    s->set_patient_id(patient_id);
    s->set_clinic_id(o.plan.clinic_id);
    s->set_examiner_id(kExaminerNik);
    *s->mutable_measured_at() = klinik::ToTimestampMillis(klinik::Clock::now());
    auto* m = s->mutable_measurements();
    if (age < 7) {
      m->set_weight_kg(8 + age * 2.2 + between(0, 20) / 10.0);
      m->set_height_cm(70 + age * 7 + between(0, 8));
    } else {
      int band = between(0, 99);
      int systolic = band < 50   ? between(105, 129)
                     : band < 70 ? between(130, 139)
                     : band < 87 ? between(140, 159)
                     : band < 96 ? between(160, 179)
                                 : between(180, 200);
      m->set_systolic_mmhg(systolic);
      m->set_diastolic_mmhg(std::min(systolic - 30, between(65, 85) + (systolic - 120) / 3));
      m->set_heart_rate_bpm(between(60, 95));
      int g = between(0, 99);
      m->set_glucose_mg_dl(g < 84   ? between(75, 139)
                           : g < 93 ? between(140, 199)
                                    : between(200, 320));
      m->set_glucose_kind(klinik::v1::GLUCOSE_KIND_RANDOM);
      double height = r.female ? between(145, 162) : between(155, 172);
      m->set_height_cm(height);
      m->set_weight_kg(between(42, 85));
      m->set_waist_cm(between(65, 102));
      m->set_smoking_status(!r.female && chance(60) ? klinik::v1::SMOKING_STATUS_CURRENT
                                                    : klinik::v1::SMOKING_STATUS_NEVER);
      m->set_tb_symptoms(chance(2));
      m->set_mental_health_positive(chance(3));
      m->set_danger_signs(false);
    }
    screening_requests.push_back(s->request_id());
    pub.Send(topics::kIntakeScreening, patient_id, "id.klinik.intake.submit_screening.v1",
             patient_id, intake);
  }
  pub.Flush();
  ok = ok && wait_for("screenings", [&] {
         size_t answered = 0;
         for (const auto& id : screening_requests)
           answered += seen.screenings.count(id) + seen.screening_rejected.count(id);
         return answered >= screening_requests.size();
       });

  // 4. Dispensing: antihypertensives and metformin for those found ill, paracetamol for some.
  int prescription = 0;
  std::vector<std::pair<std::string, klinik::v1::ScreeningCompleted>> done_screenings;
  {
    std::lock_guard lock(seen.mutex);
    for (const auto& id : screening_requests) {
      if (auto it = seen.screenings.find(id); it != seen.screenings.end())
        done_screenings.emplace_back(id, it->second);
    }
  }
  for (const auto& [id, sc] : done_screenings) {
    klinik::v1::PharmacyIntake intake;
    auto* d = intake.mutable_dispense_medication();
    int line = 0;
    auto add = [&](const std::string& item, long qty, const std::string& dosage) {
      auto* l = d->add_lines();
      l->set_line_no(++line);
      l->set_item_code(item);
      l->set_quantity(qty);
      l->set_dosage_text(dosage);
    };
    auto bp = sc.classification().bp_category();
    if (bp >= klinik::v1::BP_CATEGORY_HYPERTENSION_GRADE_1)
      add("93001001", 30, "1 x sehari 1 tablet");
    if (sc.classification().glucose_category() == klinik::v1::GLUCOSE_CATEGORY_DIABETES_SUSPECTED) {
      add("93001002", 60, "2 x sehari 1 tablet sesudah makan");
    }
    if (line == 0 && chance(15)) add("93001003", 10, "3 x sehari 1 tablet bila demam");
    if (line == 0) continue;
    d->set_request_id("demo-rx-" + id);
    d->set_clinic_id(o.plan.clinic_id);
    d->set_patient_id(sc.patient_id());
    d->set_prescription_id("RX-" + std::to_string(today.year) + "-" + Pad(++prescription, 5));
    d->set_dispensed_by(kExaminerNik);
    *d->mutable_dispensed_at() = klinik::ToTimestampMillis(klinik::Clock::now());
    pharmacy_requests.push_back(d->request_id());
    pub.Send(topics::kIntakePharmacy, o.plan.clinic_id, "id.klinik.intake.dispense_medication.v1",
             o.plan.clinic_id, intake);
  }
  pub.Flush();
  ok = ok && wait_for("pharmacy", [&] {
         size_t answered = 0;
         for (const auto& id : pharmacy_requests) answered += seen.pharmacy_answered.count(id);
         return answered >= pharmacy_requests.size();
       });

  // 5. The puskesmas answers the referrals the screenings caused: most are completed.
  size_t expected_referrals = 0;
  std::set<std::string> patients_referred;
  for (const auto& [id, sc] : done_screenings) {
    if (sc.referral_recommended()) patients_referred.insert(sc.patient_id());
  }
  expected_referrals = patients_referred.size();
  ok = ok && wait_for("referrals to be created", [&] {
         size_t ours = 0;
         for (const auto& [rid, pid] : seen.referral_patient) ours += patients_referred.count(pid);
         return ours >= expected_referrals;
       });
  std::vector<std::pair<std::string, std::string>> to_answer;
  {
    std::lock_guard lock(seen.mutex);
    for (const auto& [rid, pid] : seen.referral_patient) {
      if (patients_referred.count(pid) && !seen.referrals_closed.count(rid))
        to_answer.emplace_back(rid, pid);
    }
  }
  size_t completing = 0;
  for (size_t i = 0; i < to_answer.size(); ++i) {
    const auto& [rid, pid] = to_answer[i];
    if (i % 7 == 6) continue;  // still waiting at the puskesmas: stays open
    ++completing;
    klinik::v1::ReferralIntake accept, attend, complete;
    auto* a = accept.mutable_accept_referral();
    a->set_request_id("demo-acc-" + rid);
    a->set_referral_id(rid);
    a->set_patient_id(pid);
    a->set_acted_by(kDoctorId);
    *a->mutable_acted_at() = klinik::ToTimestampMillis(klinik::Clock::now());
    auto* t = attend.mutable_record_attendance();
    t->set_request_id("demo-att-" + rid);
    t->set_referral_id(rid);
    t->set_patient_id(pid);
    t->set_acted_by(kDoctorId);
    *t->mutable_acted_at() = klinik::ToTimestampMillis(klinik::Clock::now());
    auto* c = complete.mutable_complete_referral();
    c->set_request_id("demo-cmp-" + rid);
    c->set_referral_id(rid);
    c->set_patient_id(pid);
    c->set_back_referral_notes("Diperiksa dokter puskesmas; terapi dimulai.");
    c->set_follow_up_instructions("Kontrol tekanan darah/gula darah di klinik desa tiap bulan.");
    c->set_acted_by(kDoctorId);
    *c->mutable_acted_at() = klinik::ToTimestampMillis(klinik::Clock::now());
    pub.Send(topics::kIntakeReferral, pid, "id.klinik.intake.accept_referral.v1", rid, accept);
    pub.Send(topics::kIntakeReferral, pid, "id.klinik.intake.record_attendance.v1", rid, attend);
    pub.Send(topics::kIntakeReferral, pid, "id.klinik.intake.complete_referral.v1", rid, complete);
  }
  pub.Flush();
  ok = ok && wait_for("referrals to be completed", [&] {
         size_t completed = 0;
         for (const auto& [rid, pid] : to_answer) completed += seen.referrals_completed.count(rid);
         return completed >= completing;
       });

  // 6. SatuSehat: wait until the sandbox stops receiving new resources.
  long last = -1;
  int stable = 0;
  while (std::chrono::steady_clock::now() < deadline && stable < 5) {
    long now = print_progress();
    stable = (now == last && now > 0) ? stable + 1 : 0;
    last = now;
    std::this_thread::sleep_for(1s);
  }
  progress_stop = true;
  progress.join();
  stop = true;
  observer.join();

  // Summary.
  std::lock_guard lock(seen.mutex);
  int eligible = 0, hypertensive = 0, hyperglycaemic = 0;
  for (const auto& [id, sc] : done_screenings) {
    eligible += sc.ckg_eligible();
    hypertensive +=
        sc.classification().bp_category() >= klinik::v1::BP_CATEGORY_HYPERTENSION_GRADE_1;
    hyperglycaemic +=
        sc.classification().glucose_category() >= klinik::v1::GLUCOSE_CATEGORY_DIABETES;
  }
  out << "\n=== demo day summary ===\n"
      << "residents registered       " << seen.patient_by_request.size() << " (rejected "
      << seen.registration_rejected.size() << ")\n"
      << "screenings completed       " << done_screenings.size() << " (CKG-eligible " << eligible
      << ", hypertension " << hypertensive << ", high glucose " << hyperglycaemic << ")\n"
      << "dispenses                  " << seen.dispensed << " (rejected " << seen.dispense_rejected
      << "), StockLow " << seen.stock_low << ", StockOut " << seen.stock_out << "\n"
      << "referrals created          " << expected_referrals << ", completed " << completing
      << ", open " << expected_referrals - completing << "\n";
  for (const auto& [name, port] : o.metrics)
    out << "processed by " << name << std::string(15 - std::min<size_t>(15, name.size()), ' ')
        << ConsumedEvents(port) << "\n";
  out << "SatuSehat resources        " << last << "\n";
  if (!ok) return 1;
  for (const auto& [name, port] : o.metrics) {
    if (ConsumedEvents(port) <= 0) {
      err << "demo: " << name << " processed nothing\n";
      return 1;
    }
  }
  return last > 0 ? 0 : 1;
}

}  // namespace klinikctl
