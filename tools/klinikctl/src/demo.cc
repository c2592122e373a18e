#include "demo.h"

#include <curl/curl.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "klinik/cloudevents.h"
#include "klinik/event_types.h"
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
  // Publishes an intake wrapper under the ce_type of the case it holds (the registry's).
  void Send(std::string_view topic, const std::string& key, const std::string& subject,
            const google::protobuf::Message& wrapper) {
    klinik::OutgoingMessage m{std::string(topic), key, wrapper.SerializeAsString(), {}};
    klinik::AppendCloudEventHeaders(
        klinik::NewCloudEvent(std::string(klinik::CeTypeOf(wrapper)), "/klinikctl/demo", subject),
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

namespace {

int AgeOn(const klinik::CivilDate& today, const klinik::CivilDate& birth) {
  bool before_birthday =
      today.month < birth.month || (today.month == birth.month && today.day < birth.day);
  return today.year - birth.year - (before_birthday ? 1 : 0);
}

// The national index knows most residents (a few newcomers are not in it yet).
nlohmann::json NationalIndexSeed(const std::vector<Resident>& residents) {
  nlohmann::json seed = nlohmann::json::array();
  seed.push_back({{"kind", "practitioner"}, {"nik", kExaminerNik}, {"ihs", "N10000001"}});
  for (size_t i = 0; i < residents.size(); ++i) {
    if (i % 29 == 7) continue;
    seed.push_back({{"kind", "patient"},
                    {"nik", residents[i].nik},
                    {"ihs", "P" + Pad(static_cast<int>(10000000 + i), 11)}});
  }
  return seed;
}

// Posts the seed, retrying for about 10 s while the sandbox starts; false (with the reason on
// `err`) when it never took it.
bool SeedNationalIndex(const std::string& sandbox_url, const std::vector<Resident>& residents,
                       std::ostream& err) {
  std::string body = NationalIndexSeed(residents).dump();
  std::string response;
  int status = 0;
  for (int attempt = 0; attempt < 20 && status / 100 != 2; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(500ms);
    status = Http("POST", sandbox_url + "/_sandbox/seed", body, &response);
  }
  if (status / 100 != 2) {
    err << "demo: could not seed the SatuSehat sandbox at " << sandbox_url << " (HTTP " << status
        << (status == 0 ? ": unreachable" : "") << ")\n";
    return false;
  }
  return true;
}

// Resources the SatuSehat sandbox holds, all types together; 0 without a sandbox or an answer.
long SandboxResources(const std::string& sandbox_url) {
  std::string stats;
  long synced = 0;
  if (!sandbox_url.empty() && Http("GET", sandbox_url + "/_sandbox/stats", "", &stats) == 200) {
    auto j = nlohmann::json::parse(stats, nullptr, false);
    if (!j.is_discarded() && j.contains("resources_by_type")) {
      for (auto& [k, v] : j["resources_by_type"].items()) synced += v.get<long>();
    }
  }
  return synced;
}

// The village pharmacy's deliveries: two amlodipine lots with different expiries (FEFO picks
// the earlier), metformin and paracetamol.
struct Delivery {
  std::string item, name, lot;
  int expiry_days;
  long quantity;
};
const std::vector<Delivery> kDeliveries = {
    {"93001001", "Amlodipine 5 mg tablet", "AML-2407A", 200, 150},
    {"93001001", "Amlodipine 5 mg tablet", "AML-2502B", 500, 300},
    {"93001002", "Metformin 500 mg tablet", "MET-2411C", 400, 600},
    {"93001003", "Paracetamol 500 mg tablet", "PCT-2501D", 600, 1000}};

// The fields every puskesmas action on a referral carries, stamped now by the doctor.
template <typename Action>
void StampReferralAction(Action* a, const std::string& prefix, const std::string& referral_id,
                         const std::string& patient_id) {
  a->set_request_id(prefix + referral_id);
  a->set_referral_id(referral_id);
  a->set_patient_id(patient_id);
  a->set_acted_by(kDoctorId);
  *a->mutable_acted_at() = klinik::ToTimestampMillis(klinik::Clock::now());
}

// One demo day: the steps in RunDemo's order share the residents, the random draws (in a fixed
// order, so a seed replays the same day), the publisher and what came back on the fact topics.
// Facts are observed and progress printed by two threads from construction to Stop().
class DemoDay {
 public:
  DemoDay(const DemoOptions& o, const klinik::CivilDate& today, std::vector<Resident> residents,
          std::chrono::steady_clock::time_point deadline, std::ostream& out, std::ostream& err)
      : o_(o),
        today_(today),
        residents_(std::move(residents)),
        deadline_(deadline),
        out_(out),
        err_(err),
        rng_(o.plan.seed + 1) {
    observer_ = std::thread([this] { ObserveFacts(o_.bootstrap, seen_, stop_observer_); });
    std::this_thread::sleep_for(2s);  // let the observer join its group before facts flow
    pub_ = std::make_unique<Publisher>(o_.bootstrap);
    progress_ = std::thread([this] {
      while (!stop_progress_) {
        PrintProgress();
        for (int i = 0; i < 20 && !stop_progress_; ++i) std::this_thread::sleep_for(100ms);
      }
    });
  }
  ~DemoDay() { Stop(); }
  DemoDay(const DemoDay&) = delete;
  DemoDay& operator=(const DemoDay&) = delete;

  // 1. Registration at the front desk.
  void RegisterResidents() {
    for (const Resident& r : residents_) {
      klinik::v1::RegistrationIntake intake = RegistrationOf(r);
      pub_->Send(topics::kIntakeRegistration, r.nik, intake.register_patient().request_id(),
                 intake);
    }
    pub_->Flush();
    Await("registrations", [&] {
      return seen_.patient_by_request.size() + seen_.registration_rejected.size() >=
             residents_.size();
    });
  }

  // 2. Pharmacy deliveries (kDeliveries); their answers are awaited with the dispenses.
  void DeliverStock() {
    for (size_t i = 0; i < kDeliveries.size(); ++i) {
      const auto& d = kDeliveries[i];
      klinik::v1::PharmacyIntake intake;
      auto* rs = intake.mutable_receive_stock();
      rs->set_request_id("demo-rcv-" + o_.plan.clinic_id + "-" + std::to_string(o_.plan.seed) +
                         "-" + std::to_string(i));
      rs->set_clinic_id(o_.plan.clinic_id);
      rs->set_item_code(d.item);
      rs->set_item_name(d.name);
      rs->set_lot_number(d.lot);
      rs->set_expiry_date(klinik::FormatCivilDate(klinik::AddDays(today_, d.expiry_days)));
      rs->set_quantity(d.quantity);
      rs->set_unit("TAB");
      rs->set_supplier("PT Kimia Farma");
      rs->set_delivery_note_ref("SJ-" + std::to_string(4400 + i));
      *rs->mutable_received_at() = klinik::ToTimestampMillis(klinik::Clock::now());
      pharmacy_requests_.push_back(rs->request_id());
      pub_->Send(topics::kIntakePharmacy, o_.plan.clinic_id, o_.plan.clinic_id, intake);
    }
  }

  // 3. Birthday screenings (CKG) of the registered residents.
  void ScreenResidents() {
    for (const Resident& r : residents_) {
      std::optional<std::string> patient_id = PatientIdOf(r);
      if (!patient_id) continue;
      klinik::v1::ScreeningIntake intake;
      auto* s = intake.mutable_submit_screening();
      s->set_request_id("demo-scr-" + r.nik + "-" + std::to_string(today_.year));
      s->set_patient_id(*patient_id);
      s->set_clinic_id(o_.plan.clinic_id);
      s->set_examiner_id(kExaminerNik);
      *s->mutable_measured_at() = klinik::ToTimestampMillis(klinik::Clock::now());
      Measure(r, AgeOn(today_, r.birth_date), s->mutable_measurements());
      screening_requests_.push_back(s->request_id());
      pub_->Send(topics::kIntakeScreening, *patient_id, *patient_id, intake);
    }
    pub_->Flush();
    Await("screenings", [&] {
      size_t answered = 0;
      for (const auto& id : screening_requests_)
        answered += seen_.screenings.count(id) + seen_.screening_rejected.count(id);
      return answered >= screening_requests_.size();
    });
  }

  // 4. Dispensing: antihypertensives and metformin for those found ill, paracetamol for some.
  void DispenseForFindings() {
    CollectCompletedScreenings();
    int prescription = 0;
    for (const auto& [id, sc] : done_screenings_) {
      klinik::v1::PharmacyIntake intake;
      auto* d = intake.mutable_dispense_medication();
      if (!Prescribe(sc, d)) continue;
      d->set_request_id("demo-rx-" + id);
      d->set_clinic_id(o_.plan.clinic_id);
      d->set_patient_id(sc.patient_id());
      d->set_prescription_id("RX-" + std::to_string(today_.year) + "-" + Pad(++prescription, 5));
      d->set_dispensed_by(kExaminerNik);
      *d->mutable_dispensed_at() = klinik::ToTimestampMillis(klinik::Clock::now());
      pharmacy_requests_.push_back(d->request_id());
      pub_->Send(topics::kIntakePharmacy, o_.plan.clinic_id, o_.plan.clinic_id, intake);
    }
    pub_->Flush();
    Await("pharmacy", [&] {
      size_t answered = 0;
      for (const auto& id : pharmacy_requests_) answered += seen_.pharmacy_answered.count(id);
      return answered >= pharmacy_requests_.size();
    });
  }

  // 5. The puskesmas answers the referrals the screenings caused: most are completed, every
  // seventh stays open (still waiting at the puskesmas).
  void AnswerReferrals() {
    std::set<std::string> patients_referred;
    for (const auto& [id, sc] : done_screenings_) {
      if (sc.referral_recommended()) patients_referred.insert(sc.patient_id());
    }
    expected_referrals_ = patients_referred.size();
    Await("referrals to be created", [&] {
      size_t ours = 0;
      for (const auto& [rid, pid] : seen_.referral_patient) ours += patients_referred.count(pid);
      return ours >= expected_referrals_;
    });
    std::vector<std::pair<std::string, std::string>> to_answer = OpenReferralsOf(patients_referred);
    for (size_t i = 0; i < to_answer.size(); ++i) {
      if (i % 7 == 6) continue;
      ++completing_;
      CompleteReferral(to_answer[i].first, to_answer[i].second);
    }
    pub_->Flush();
    Await("referrals to be completed", [&] {
      size_t completed = 0;
      for (const auto& [rid, pid] : to_answer) completed += seen_.referrals_completed.count(rid);
      return completed >= completing_;
    });
  }

  // 6. SatuSehat: waits until the sandbox stops receiving new resources (5 s unchanged), or the
  // deadline; returns the last count.
  long AwaitSatuSehat() {
    long last = -1;
    int stable = 0;
    while (std::chrono::steady_clock::now() < deadline_ && stable < 5) {
      long now = PrintProgress();
      stable = (now == last && now > 0) ? stable + 1 : 0;
      last = now;
      std::this_thread::sleep_for(1s);
    }
    return last;
  }

  // Ends the progress and observer threads; what was observed stays readable.
  void Stop() {
    stop_progress_ = true;
    if (progress_.joinable()) progress_.join();
    stop_observer_ = true;
    if (observer_.joinable()) observer_.join();
  }

  // Prints the summary; 0 when every wait succeeded, every service processed events and
  // SatuSehat received resources (`synced`), 1 otherwise.
  int Summarize(long synced) {
    std::lock_guard lock(seen_.mutex);
    int eligible = 0, hypertensive = 0, hyperglycaemic = 0;
    for (const auto& [id, sc] : done_screenings_) {
      eligible += sc.ckg_eligible();
      hypertensive +=
          sc.classification().bp_category() >= klinik::v1::BP_CATEGORY_HYPERTENSION_GRADE_1;
      hyperglycaemic +=
          sc.classification().glucose_category() >= klinik::v1::GLUCOSE_CATEGORY_DIABETES;
    }
    out_ << "\n=== demo day summary ===\n"
         << "residents registered       " << seen_.patient_by_request.size() << " (rejected "
         << seen_.registration_rejected.size() << ")\n"
         << "screenings completed       " << done_screenings_.size() << " (CKG-eligible "
         << eligible << ", hypertension " << hypertensive << ", high glucose " << hyperglycaemic
         << ")\n"
         << "dispenses                  " << seen_.dispensed << " (rejected "
         << seen_.dispense_rejected << "), StockLow " << seen_.stock_low << ", StockOut "
         << seen_.stock_out << "\n"
         << "referrals created          " << expected_referrals_ << ", completed " << completing_
         << ", open " << expected_referrals_ - completing_ << "\n";
    for (const auto& [name, port] : o_.metrics)
      out_ << "processed by " << name << std::string(15 - std::min<size_t>(15, name.size()), ' ')
           << ConsumedEvents(port) << "\n";
    out_ << "SatuSehat resources        " << synced << "\n";
    if (!ok_) return 1;
    for (const auto& [name, port] : o_.metrics) {
      if (ConsumedEvents(port) <= 0) {
        err_ << "demo: " << name << " processed nothing\n";
        return 1;
      }
    }
    return synced > 0 ? 0 : 1;
  }

 private:
  bool Chance(int percent) { return std::uniform_int_distribution<int>(0, 99)(rng_) < percent; }
  int Between(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }

  // Waits (observed facts locked) until `done` holds. After one wait timed out the later ones
  // are skipped, so the day still ends by the deadline, and the summary fails.
  void Await(const std::string& what, const std::function<bool()>& done) {
    if (!ok_) return;
    while (std::chrono::steady_clock::now() < deadline_) {
      {
        std::lock_guard lock(seen_.mutex);
        if (done()) return;
      }
      std::this_thread::sleep_for(200ms);
    }
    err_ << "demo: timed out waiting for " << what << "\n";
    ok_ = false;
  }

  // One progress line; returns the SatuSehat resource count it printed.
  long PrintProgress() {
    std::ostringstream line;
    line << "demo: submitted " << pub_->submitted() << " | processed";
    for (const auto& [name, port] : o_.metrics) line << " " << name << "=" << ConsumedEvents(port);
    {
      std::lock_guard lock(seen_.mutex);
      line << " | referrals open " << seen_.referral_patient.size() - seen_.referrals_closed.size();
    }
    long synced = SandboxResources(o_.sandbox_url);
    line << " | SatuSehat resources " << synced;
    out_ << line.str() << "\n" << std::flush;
    return synced;
  }

  klinik::v1::RegistrationIntake RegistrationOf(const Resident& r) {
    klinik::v1::RegistrationIntake intake;
    auto* reg = intake.mutable_register_patient();
    reg->set_request_id("demo-reg-" + r.nik);
    reg->set_nik(r.nik);
    reg->set_full_name(r.full_name);
    reg->set_birth_date(klinik::FormatCivilDate(r.birth_date));
    reg->set_sex(r.female ? klinik::v1::SEX_FEMALE : klinik::v1::SEX_MALE);
    reg->mutable_address()->set_village_code(o_.plan.village_code);
    reg->mutable_address()->set_rt(Pad(Between(1, 9), 3));
    reg->mutable_address()->set_rw(Pad(Between(1, 4), 3));
    reg->mutable_address()->set_street("Kampung Sukamaju");
    reg->set_phone(r.phone);
    reg->set_clinic_id(o_.plan.clinic_id);
    return intake;
  }

  // The patient id registration answered for the resident, if it did.
  std::optional<std::string> PatientIdOf(const Resident& r) {
    std::lock_guard lock(seen_.mutex);
    auto it = seen_.patient_by_request.find("demo-reg-" + r.nik);
    if (it == seen_.patient_by_request.end()) return std::nullopt;
    return it->second;
  }

  // Children's growth; for the others a realistic share of high blood pressure and glucose.
  void Measure(const Resident& r, int age, klinik::v1::Measurements* m) {
    if (age < 7) {
      m->set_weight_kg(8 + age * 2.2 + Between(0, 20) / 10.0);
      m->set_height_cm(70 + age * 7 + Between(0, 8));
      return;
    }
    int band = Between(0, 99);
    int systolic = band < 50   ? Between(105, 129)
                   : band < 70 ? Between(130, 139)
                   : band < 87 ? Between(140, 159)
                   : band < 96 ? Between(160, 179)
                               : Between(180, 200);
    m->set_systolic_mmhg(systolic);
    m->set_diastolic_mmhg(std::min(systolic - 30, Between(65, 85) + (systolic - 120) / 3));
    m->set_heart_rate_bpm(Between(60, 95));
    int g = Between(0, 99);
    m->set_glucose_mg_dl(g < 84   ? Between(75, 139)
                         : g < 93 ? Between(140, 199)
                                  : Between(200, 320));
    m->set_glucose_kind(klinik::v1::GLUCOSE_KIND_RANDOM);
    double height = r.female ? Between(145, 162) : Between(155, 172);
    m->set_height_cm(height);
    m->set_weight_kg(Between(42, 85));
    m->set_waist_cm(Between(65, 102));
    m->set_smoking_status(!r.female && Chance(60) ? klinik::v1::SMOKING_STATUS_CURRENT
                                                  : klinik::v1::SMOKING_STATUS_NEVER);
    m->set_tb_symptoms(Chance(2));
    m->set_mental_health_positive(Chance(3));
    m->set_danger_signs(false);
  }

  // The screenings answered with ScreeningCompleted, in submission order.
  void CollectCompletedScreenings() {
    std::lock_guard lock(seen_.mutex);
    for (const auto& id : screening_requests_) {
      if (auto it = seen_.screenings.find(id); it != seen_.screenings.end())
        done_screenings_.emplace_back(id, it->second);
    }
  }

  // Adds the medicine lines the screening calls for; false when it calls for none.
  bool Prescribe(const klinik::v1::ScreeningCompleted& sc, klinik::v1::DispenseMedication* d) {
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
    if (line == 0 && Chance(15)) add("93001003", 10, "3 x sehari 1 tablet bila demam");
    return line > 0;
  }

  // (referral id, patient id) of the referrals created for these patients and not yet closed.
  std::vector<std::pair<std::string, std::string>> OpenReferralsOf(
      const std::set<std::string>& patients) {
    std::vector<std::pair<std::string, std::string>> open;
    std::lock_guard lock(seen_.mutex);
    for (const auto& [rid, pid] : seen_.referral_patient) {
      if (patients.count(pid) && !seen_.referrals_closed.count(rid)) open.emplace_back(rid, pid);
    }
    return open;
  }

  // Accept, attendance and completion with back-referral notes, in that order.
  void CompleteReferral(const std::string& rid, const std::string& pid) {
    klinik::v1::ReferralIntake accept, attend, complete;
    StampReferralAction(accept.mutable_accept_referral(), "demo-acc-", rid, pid);
    StampReferralAction(attend.mutable_record_attendance(), "demo-att-", rid, pid);
    auto* c = complete.mutable_complete_referral();
    StampReferralAction(c, "demo-cmp-", rid, pid);
    c->set_back_referral_notes("Diperiksa dokter puskesmas; terapi dimulai.");
    c->set_follow_up_instructions("Kontrol tekanan darah/gula darah di klinik desa tiap bulan.");
    pub_->Send(topics::kIntakeReferral, pid, rid, accept);
    pub_->Send(topics::kIntakeReferral, pid, rid, attend);
    pub_->Send(topics::kIntakeReferral, pid, rid, complete);
  }

  const DemoOptions& o_;
  const klinik::CivilDate today_;
  const std::vector<Resident> residents_;
  const std::chrono::steady_clock::time_point deadline_;
  std::ostream& out_;
  std::ostream& err_;
  std::mt19937_64 rng_;
  Observed seen_;
  std::atomic<bool> stop_observer_{false}, stop_progress_{false};
  std::thread observer_, progress_;
  std::unique_ptr<Publisher> pub_;
  bool ok_ = true;  // false once a wait timed out
  std::vector<std::string> pharmacy_requests_, screening_requests_;
  std::vector<std::pair<std::string, klinik::v1::ScreeningCompleted>> done_screenings_;
  size_t expected_referrals_ = 0, completing_ = 0;
};

}  // namespace

int RunDemo(const DemoOptions& o, std::ostream& out, std::ostream& err) {
  klinik::CivilDate today = klinik::ToCivilDate(klinik::Clock::now());
  std::vector<Resident> residents = MakeResidents(o.plan, today);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(o.timeout_seconds);
  // Without the index every sync job would wait for its patient: a demo that proves nothing.
  if (!o.sandbox_url.empty() && !SeedNationalIndex(o.sandbox_url, residents, err)) return 1;

  DemoDay day(o, today, std::move(residents), deadline, out, err);
  day.RegisterResidents();
  day.DeliverStock();
  day.ScreenResidents();
  day.DispenseForFindings();
  day.AnswerReferrals();
  long synced = day.AwaitSatuSehat();
  day.Stop();
  return day.Summarize(synced);
}

}  // namespace klinikctl
