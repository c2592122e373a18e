// The satusehat-sync binary end to end: facts published on the real klinik.* topics of a real
// Kafka (with CloudEvents headers, as the other services publish them), both databases, and the
// real satusehat-sandbox binary standing in for SatuSehat. Proves:
//   - a screening becomes exactly one Encounter (arrived, then finished with its diagnosis list)
//     with one Observation per measured value and one Condition per diagnosis;
//   - 429s and 503s for a while: everything syncs after recovery, no duplicates;
//   - a timeout after the sandbox stored the Encounter does not create a second one;
//   - an unknown NIK waits (waiting_for_patient) and syncs once the sandbox learns the NIK;
//   - a 400 ends as failed with the OperationOutcome diagnostics visible through GetSyncStatus;
//   - SIGKILL mid-backlog and a restart: nothing lost, nothing doubled;
//   - a dispensing becomes Encounter + Medication + MedicationDispense, a referral a
//     ServiceRequest that is updated to completed;
//   - an expired token is renewed once and the request sent again.
// Every test uses its own NIKs and ids, so tests running side by side on the shared topics never
// sync each other's records into their own sandbox.
#include <curl/curl.h>
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "klinik/cloudevents.h"
#include "klinik/kafka.h"
#include "klinik/time_util.h"
#include "klinik/topics.h"
#include "klinik/v1/pharmacy.pb.h"
#include "klinik/v1/referral.pb.h"
#include "klinik/v1/registration.pb.h"
#include "klinik/v1/satusehat.grpc.pb.h"
#include "klinik/v1/screening.pb.h"
#include "test_infra.h"

namespace satusehat_sync {
namespace {

using namespace std::chrono_literals;
using klinik::testing::ChildProcess;
using klinik::testing::WaitUntil;
using nlohmann::json;
using ::testing::HasSubstr;

constexpr const char* kOrg = "10000004";
constexpr const char* kLocation = "b017aa54-f1df-4ec2-9d84-8823815d7228";

std::string RandomNik() {
  static std::mt19937_64 rng(std::random_device{}());
  std::string nik = "3201";  // a real province/regency prefix; the rest random
  for (int i = 0; i < 12; ++i) nik += static_cast<char>('0' + rng() % 10);
  return nik;
}

size_t OnBody(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// A plain HTTP exchange with the sandbox's control API.
int Http(const std::string& method, const std::string& url, const std::string& body,
         std::string* out) {
  CURL* c = curl_easy_init();
  std::string sink;
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  if (!body.empty()) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
  }
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &OnBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, out != nullptr ? out : &sink);
  long code = 0;
  if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  curl_slist_free_all(headers);
  curl_easy_cleanup(c);
  return static_cast<int>(code);
}

google::protobuf::Timestamp Now() { return klinik::ToTimestampMillis(klinik::Clock::now()); }

struct Person {
  std::string patient_id = klinik::NewUuid();
  std::string nik = RandomNik();
  std::string ihs = "P" + std::to_string(std::random_device{}() % 1000000000);
};

class SyncFixture : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    klinik::testing::CreateTopics(
        {std::string(klinik::topics::kPatients), std::string(klinik::topics::kScreenings),
         std::string(klinik::topics::kPharmacy), std::string(klinik::topics::kReferrals),
         std::string(klinik::topics::kSatuSehat), std::string(klinik::topics::kDeadLetter)},
        12);
    sandbox_ = std::make_unique<ChildProcess>(
        klinik::testing::BinaryPath("tools/satusehat-sandbox/satusehat-sandbox"),
        std::vector<std::string>{"--listen", "127.0.0.1:0", "--org-id", kOrg},
        std::map<std::string, std::string>{});
    int port = 0;
    ASSERT_TRUE(sandbox_->WaitForPorts(30s, nullptr, &port)) << sandbox_->Output();
    sandbox_url_ = "http://127.0.0.1:" + std::to_string(port);
    Seed("practitioner", examiner_nik_, examiner_ihs_);
    url_ = klinik::testing::FreshDatabase(GetParam());
    group_ = klinik::testing::UniqueName("satusehat-sync-test");
    // Late in a full run the shared fact topics hold every other suite's facts; the service
    // under test reads only what this test publishes.
    klinik::testing::StartGroupAtEnd(
        group_, {std::string(klinik::topics::kPatients), std::string(klinik::topics::kScreenings),
                 std::string(klinik::topics::kPharmacy), std::string(klinik::topics::kReferrals)});
    producer_ = std::make_unique<klinik::Producer>(klinik::testing::KafkaTestSettings());
  }

  std::map<std::string, std::string> Env(std::map<std::string, std::string> extra = {}) {
    std::map<std::string, std::string> env = {
        {"KLINIK_DATABASE_URL", url_},
        {"KLINIK_KAFKA_BOOTSTRAP_SERVERS", klinik::testing::KafkaBootstrap()},
        {"KLINIK_KAFKA_AUTO_OFFSET_RESET", "earliest"},
        {"KLINIK_CONSUMER_GROUP", group_},
        {"KLINIK_GRPC_ADDRESS", "127.0.0.1:0"},
        {"KLINIK_HTTP_ADDRESS", "127.0.0.1:0"},
        {"KLINIK_SATUSEHAT_AUTH_URL", sandbox_url_ + "/oauth2/v1"},
        {"KLINIK_SATUSEHAT_FHIR_URL", sandbox_url_ + "/fhir-r4/v1"},
        {"KLINIK_SATUSEHAT_ORG_ID", kOrg},
        {"KLINIK_SATUSEHAT_LOCATION_ID", kLocation},
        {"KLINIK_SATUSEHAT_CLIENT_ID", "klinikdesa-sandbox"},
        {"KLINIK_SATUSEHAT_CLIENT_SECRET", "klinikdesa-sandbox-secret"},
        {"KLINIK_SATUSEHAT_RATE", "500"},
        {"KLINIK_SATUSEHAT_TIMEOUT", "1s"},
        {"KLINIK_SATUSEHAT_CIRCUIT_OPEN", "300ms"},
        {"KLINIK_SYNC_LEASE", "4s"},
        {"KLINIK_SYNC_BACKOFF_INITIAL", "50ms"},
        {"KLINIK_SYNC_BACKOFF_MAX", "500ms"},
        // Jobs of other tests' patients (shared topics, unknown to this sandbox) wait this long.
        {"KLINIK_SYNC_PATIENT_RETRY", "1h"},
        {"KLINIK_SYNC_POLL_INTERVAL", "50ms"},
        {"KLINIK_SYNC_MAX_ATTEMPTS", "50"},
        {"KLINIK_SHUTDOWN_TIMEOUT", "10s"},
        // A SIGKILLed member leaves no goodbye: with the default 45 s session its successor got
        // no partition for 45 of the 120 s a wait allows, which late in a full run (a backlog
        // of other suites' facts on the shared topics) was not enough.
        {"KLINIK_KAFKA_SESSION_TIMEOUT_MS", "6000"},
        {"KLINIK_KAFKA_HEARTBEAT_INTERVAL_MS", "500"},
    };
    for (auto& [k, v] : extra) env[k] = v;
    return env;
  }

  std::unique_ptr<ChildProcess> StartService(std::map<std::string, std::string> extra = {}) {
    auto p = std::make_unique<ChildProcess>(
        klinik::testing::BinaryPath("services/satusehat-sync/satusehat-sync"),
        std::vector<std::string>{}, Env(std::move(extra)));
    EXPECT_TRUE(p->WaitForPorts(60s, &grpc_port_, &http_port_)) << p->Output();
    return p;
  }

  void Seed(const std::string& who, const std::string& nik, const std::string& ihs) {
    json body = {{"kind", who}, {"nik", nik}, {"ihs", ihs}};
    ASSERT_EQ(Http("POST", sandbox_url_ + "/_sandbox/seed", body.dump(), nullptr), 204);
  }

  void Fault(const json& fault) {
    ASSERT_EQ(Http("POST", sandbox_url_ + "/_sandbox/faults", fault.dump(), nullptr), 204)
        << fault.dump();
  }

  // Stored resources of `type` whose identifier value is one of ours.
  std::vector<json> Stored(const std::string& type,
                           const std::function<bool(const std::string&)>& mine) {
    std::string body;
    if (Http("GET", sandbox_url_ + "/_sandbox/resources?type=" + type, "", &body) != 200) return {};
    std::vector<json> out;
    json all = json::parse(body, nullptr, false);
    if (all.is_discarded()) return {};
    for (const json& r : all.value("resources", json::array())) {
      for (const json& id : r.value("identifier", json::array())) {
        if (mine(id.value("value", ""))) {
          out.push_back(r);
          break;
        }
      }
    }
    return out;
  }

  void Publish(std::string_view topic, const std::string& key, const std::string& ce_type,
               const google::protobuf::MessageLite& value, std::string* ce_id = nullptr) {
    klinik::OutgoingMessage m{std::string(topic), key, value.SerializeAsString(), {}};
    klinik::CloudEvent ce = klinik::NewCloudEvent(ce_type, "/klinik/test", key);
    if (ce_id != nullptr) *ce_id = ce.id;
    klinik::AppendCloudEventHeaders(ce, m.headers);
    auto r = producer_->SendSync(m, 30s);
    ASSERT_TRUE(r.ok) << r.error;
  }

  void Register(const Person& p) {
    klinik::v1::PatientEvent e;
    auto* r = e.mutable_patient_registered();
    r->set_patient_id(p.patient_id);
    r->set_request_id(klinik::NewUuid());
    r->set_nik(p.nik);
    r->set_birth_date("1990-01-05");
    *r->mutable_registered_at() = Now();
    Publish(klinik::topics::kPatients, p.patient_id, "id.klinik.patient.registered.v1", e);
  }

  // A screening with systolic and diastolic pressure and a hypertension diagnosis (`icd10`).
  std::string Screen(const Person& p, const std::string& icd10 = "I10",
                     std::string* ce_id = nullptr) {
    klinik::v1::ScreeningEvent e;
    auto* s = e.mutable_screening_completed();
    std::string id = klinik::NewUuid();
    s->set_screening_id(id);
    s->set_request_id(klinik::NewUuid());
    s->set_patient_id(p.patient_id);
    s->set_clinic_id("clinic-test");
    s->set_examiner_id(examiner_nik_);
    *s->mutable_measured_at() = Now();
    *s->mutable_completed_at() = Now();
    s->mutable_measurements()->set_systolic_mmhg(165);
    s->mutable_measurements()->set_diastolic_mmhg(102);
    auto* f = s->add_findings();
    f->set_code("HYPERTENSION_GRADE_2");
    f->set_display("Hipertensi derajat 2");
    f->set_icd10(icd10);
    f->set_is_diagnosis(true);
    Publish(klinik::topics::kScreenings, p.patient_id, "id.klinik.screening.completed.v1", e,
            ce_id);
    return id;
  }

  std::unique_ptr<klinik::v1::SyncStatus::Stub> Stub() {
    return klinik::v1::SyncStatus::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(grpc_port_), grpc::InsecureChannelCredentials()));
  }

  std::vector<klinik::v1::SyncJob> JobsOfPatient(const std::string& patient_id) {
    klinik::v1::GetSyncStatusRequest req;
    req.set_patient_id(patient_id);
    klinik::v1::GetSyncStatusResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 5s);
    if (!Stub()->GetSyncStatus(&ctx, req, &resp).ok()) return {};
    return {resp.jobs().begin(), resp.jobs().end()};
  }

  // The screening is in the sandbox exactly once: one finished Encounter, two Observations
  // and one Condition that reference it, and the Encounter's diagnosis names the Condition.
  ::testing::AssertionResult ScreeningSyncedOnce(const std::string& screening_id) {
    auto mine = [&](const std::string& v) {
      return v == screening_id || v.rfind(screening_id + "-", 0) == 0;
    };
    auto encounters = Stored("Encounter", mine);
    auto observations = Stored("Observation", mine);
    auto conditions = Stored("Condition", mine);
    if (encounters.size() != 1 || observations.size() != 2 || conditions.size() != 1) {
      return ::testing::AssertionFailure()
             << "encounters " << encounters.size() << ", observations " << observations.size()
             << ", conditions " << conditions.size();
    }
    const json& e = encounters[0];
    if (e.value("status", "") != "finished")
      return ::testing::AssertionFailure() << "encounter " << e.dump();
    std::string ref = "Encounter/" + e.value("id", "");
    for (const json& o : observations) {
      if (o["encounter"]["reference"] != ref) return ::testing::AssertionFailure() << o.dump();
    }
    if (conditions[0]["encounter"]["reference"] != ref)
      return ::testing::AssertionFailure() << conditions[0].dump();
    if (!e.contains("diagnosis") || e["diagnosis"][0]["condition"]["reference"] !=
                                        "Condition/" + conditions[0].value("id", "")) {
      return ::testing::AssertionFailure() << "diagnosis list " << e.dump();
    }
    return ::testing::AssertionSuccess();
  }

  // ScreeningSyncedOnce within a minute; else why not, with the service's output.
  ::testing::AssertionResult EventuallySyncedOnce(const std::string& screening_id,
                                                  ChildProcess& service) {
    if (WaitUntil([&] { return static_cast<bool>(ScreeningSyncedOnce(screening_id)); }, 60s))
      return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << ScreeningSyncedOnce(screening_id).message() << "\n"
                                         << service.Output();
  }

  std::string examiner_nik_ = RandomNik();
  std::string examiner_ihs_ = "N" + std::to_string(std::random_device{}() % 100000000);
  std::unique_ptr<ChildProcess> sandbox_;
  std::string sandbox_url_, url_, group_;
  std::unique_ptr<klinik::Producer> producer_;
  int grpc_port_ = 0, http_port_ = 0;
};

TEST_P(SyncFixture, ScreeningBecomesExactlyOneEncounterWithItsObservationsAndConditions) {
  Person p;
  Seed("patient", p.nik, p.ihs);
  auto service = StartService();
  Register(p);
  std::string ce_id;
  std::string screening = Screen(p, "I10", &ce_id);

  ASSERT_TRUE(EventuallySyncedOnce(screening, *service));

  // Every job of the fact is synced with the id the sandbox assigned.
  std::vector<klinik::v1::SyncJob> jobs;
  ASSERT_TRUE(WaitUntil(
      [&] {
        klinik::v1::GetSyncStatusRequest req;
        req.set_source_event_id(ce_id);
        klinik::v1::GetSyncStatusResponse resp;
        grpc::ClientContext ctx;
        if (!Stub()->GetSyncStatus(&ctx, req, &resp).ok()) return false;
        jobs.assign(resp.jobs().begin(), resp.jobs().end());
        return jobs.size() == 5 && std::all_of(jobs.begin(), jobs.end(), [](auto& j) {
                 return j.status() == klinik::v1::SYNC_JOB_STATUS_SYNCED;
               });
      },
      30s));
  auto encounter = Stored("Encounter", [&](const std::string& v) { return v == screening; });
  ASSERT_EQ(encounter.size(), 1u);
  std::set<std::string> types;
  for (const auto& j : jobs) {
    types.insert(j.resource_type());
    EXPECT_FALSE(j.satusehat_id().empty());
    if (j.resource_type() == "Encounter") {
      EXPECT_EQ(j.satusehat_id(), encounter[0]["id"].get<std::string>());
    }
  }
  EXPECT_EQ(types, (std::set<std::string>{"Encounter", "Observation", "Condition"}));

  // ResourceSynced facts: the patient lookup, the Encounter twice (create, update), two
  // Observations and a Condition — each once.
  std::multiset<std::string> synced;
  ASSERT_TRUE(WaitUntil(
      [&] {
        synced.clear();
        for (const auto& m :
             klinik::testing::ReadTopic(std::string(klinik::topics::kSatuSehat), 100000, 3s)) {
          if (m.key != p.patient_id) continue;
          klinik::v1::SatuSehatEvent e;
          if (e.ParseFromString(m.value) && e.has_resource_synced()) {
            synced.insert(e.resource_synced().resource_type() + ":" + e.resource_synced().action());
          }
        }
        return synced.size() >= 6;
      },
      60s));
  EXPECT_EQ(synced, (std::multiset<std::string>{"Patient:lookup", "Encounter:create",
                                                "Encounter:update", "Observation:create",
                                                "Observation:create", "Condition:create"}));

  int status = 0;
  std::string metrics = klinik::testing::HttpGet(http_port_, "/metrics", &status);
  EXPECT_THAT(metrics, HasSubstr("klinik_satusehat_responses_total{code=\"201\"}"));
  EXPECT_THAT(metrics, HasSubstr("klinik_satusehat_token_refreshes_total 1"));
  EXPECT_THAT(metrics, HasSubstr("klinik_satusehat_push_seconds_bucket"));
  EXPECT_THAT(metrics, HasSubstr("klinik_sync_oldest_pending_age_seconds"));
  EXPECT_THAT(metrics, HasSubstr("klinik_sync_jobs{status=\"synced\"}"));
  service->Signal(SIGTERM);
  EXPECT_EQ(service->Wait(20s), 0) << service->Output();
}

TEST_P(SyncFixture, AWithdrawnScreeningsEncounterBecomesEnteredInError) {
  Person p;
  Seed("patient", p.nik, p.ihs);
  auto service = StartService();
  Register(p);
  std::string screening = Screen(p);
  klinik::v1::ScreeningEvent e;
  auto* w = e.mutable_screening_withdrawn();
  w->set_screening_id(screening);
  w->set_request_id(klinik::NewUuid());
  w->set_patient_id(p.patient_id);
  w->set_withdrawn_by(examiner_nik_);
  w->set_reason("entered for the wrong resident");
  *w->mutable_withdrawn_at() = Now();
  Publish(klinik::topics::kScreenings, p.patient_id, "id.klinik.screening.withdrawn.v1", e);

  auto status = [&] {
    auto encounters = Stored("Encounter", [&](const std::string& v) { return v == screening; });
    return encounters.size() == 1 ? encounters[0].value("status", "") : "";
  };
  ASSERT_TRUE(WaitUntil([&] { return status() == "entered-in-error"; }, 60s)) << status() << "\n"
                                                                              << service->Output();
  // Still one Encounter: the withdrawal changed it, it did not add one.
  EXPECT_EQ(Stored("Encounter", [&](const std::string& v) { return v == screening; }).size(), 1u);
}

TEST_P(SyncFixture, ThrottlingAndAnOutageHealWithoutDuplicates) {
  Person p;
  Seed("patient", p.nik, p.ihs);
  Fault({{"status", 429}, {"retry_after", 1}, {"count", 3}});
  Fault({{"status", 503}, {"count", 12}});
  auto service = StartService();
  Register(p);
  std::vector<std::string> screenings;
  for (int i = 0; i < 3; ++i) screenings.push_back(Screen(p));
  for (const auto& s : screenings) {
    ASSERT_TRUE(WaitUntil([&] { return static_cast<bool>(ScreeningSyncedOnce(s)); }, 90s))
        << ScreeningSyncedOnce(s).message() << "\n"
        << service->Output();
  }
  std::string stats;
  ASSERT_EQ(Http("GET", sandbox_url_ + "/_sandbox/stats", "", &stats), 200);
  json st = json::parse(stats);
  EXPECT_GE(st["requests_by_status"].value("429", 0), 3) << stats;
  EXPECT_GE(st["requests_by_status"].value("503", 0), 12) << stats;
  EXPECT_THAT(service->Output(), HasSubstr("x_request_id"));
}

TEST_P(SyncFixture, TimeoutAfterStoreDoesNotCreateADuplicate) {
  Person p;
  Seed("patient", p.nik, p.ihs);
  // The first Encounter POST is stored, then answered only after the client gave up.
  Fault({{"mode", "timeout_after_store"},
         {"count", 1},
         {"delay_ms", 2500},
         {"path_prefix", "/fhir-r4/v1/Encounter"}});
  auto service = StartService();
  Register(p);
  std::string screening = Screen(p);
  ASSERT_TRUE(EventuallySyncedOnce(screening, *service));
  EXPECT_THAT(service->Output(), HasSubstr("adopted a resource found by identifier"));
}

TEST_P(SyncFixture, UnknownNikWaitsAndSyncsOnceTheIndexKnowsIt) {
  Person p;  // not seeded
  auto service = StartService({{"KLINIK_SYNC_PATIENT_RETRY", "500ms"}});
  Register(p);
  std::string screening = Screen(p);
  ASSERT_TRUE(WaitUntil(
      [&] {
        for (const auto& j : JobsOfPatient(p.patient_id)) {
          if (j.resource_type() == "Encounter" &&
              j.status() == klinik::v1::SYNC_JOB_STATUS_WAITING_FOR_PATIENT &&
              j.last_error() == "PATIENT_NOT_IN_INDEX" && j.has_next_attempt_at()) {
            return true;
          }
        }
        return false;
      },
      60s))
      << service->Output();
  EXPECT_TRUE(Stored("Encounter", [&](const std::string& v) { return v == screening; }).empty());

  Seed("patient", p.nik, p.ihs);
  ASSERT_TRUE(EventuallySyncedOnce(screening, *service));
  // The sandbox answers before the job's result commits: wait for the records to catch up.
  std::vector<klinik::v1::SyncJob> jobs;
  ASSERT_TRUE(WaitUntil(
      [&] {
        jobs = JobsOfPatient(p.patient_id);
        return jobs.size() == 6 && std::all_of(jobs.begin(), jobs.end(), [](auto& j) {
                 return j.status() == klinik::v1::SYNC_JOB_STATUS_SYNCED;
               });
      },
      30s));
  for (const auto& j : jobs) {
    if (j.resource_type() == "Patient") {
      EXPECT_EQ(j.satusehat_id(), p.ihs) << "the lookup job records the IHS number";
    }
  }
}

TEST_P(SyncFixture, InvalidResourceFailsWithDiagnosticsVisibleThroughGetSyncStatus) {
  Person p;
  Seed("patient", p.nik, p.ihs);
  auto service = StartService();
  Register(p);
  Screen(p, "I1");  // not an ICD-10 code: the sandbox refuses the Condition with 400

  klinik::v1::SyncJob failed;
  ASSERT_TRUE(WaitUntil(
      [&] {
        for (const auto& j : JobsOfPatient(p.patient_id)) {
          if (j.resource_type() == "Condition" &&
              j.status() == klinik::v1::SYNC_JOB_STATUS_FAILED) {
            failed = j;
            return true;
          }
        }
        return false;
      },
      60s))
      << service->Output();
  EXPECT_EQ(failed.last_error(), "INVALID_RESOURCE");
  EXPECT_EQ(failed.http_status(), 400);
  EXPECT_THAT(failed.diagnostics(), HasSubstr("ICD-10"));
  EXPECT_FALSE(failed.satusehat_request_id().empty());
  EXPECT_EQ(failed.attempts(), 1) << "a 400 is not retried";
  // The finished Encounter lists the Condition, so it waits, and says why.
  ASSERT_TRUE(WaitUntil(
      [&] {
        for (const auto& j : JobsOfPatient(p.patient_id)) {
          if (j.resource_type() == "Encounter" && j.action() == "update") {
            return j.status() == klinik::v1::SYNC_JOB_STATUS_PENDING &&
                   j.last_error() == "DEPENDENCY_FAILED" &&
                   j.diagnostics().find(failed.job_id()) != std::string::npos;
          }
        }
        return false;
      },
      30s));

  // Listed among the failures, and announced as SyncFailed.
  klinik::v1::ListSyncFailuresRequest list_req;
  klinik::v1::ListSyncFailuresResponse list;
  grpc::ClientContext ctx;
  ASSERT_TRUE(Stub()->ListSyncFailures(&ctx, list_req, &list).ok());
  EXPECT_TRUE(std::any_of(list.jobs().begin(), list.jobs().end(),
                          [&](auto& j) { return j.job_id() == failed.job_id(); }));
  ASSERT_TRUE(WaitUntil(
      [&] {
        for (const auto& m :
             klinik::testing::ReadTopic(std::string(klinik::topics::kSatuSehat), 100000, 3s)) {
          klinik::v1::SatuSehatEvent e;
          if (m.key == p.patient_id && e.ParseFromString(m.value) && e.has_sync_failed() &&
              e.sync_failed().job_id() == failed.job_id()) {
            return e.sync_failed().reason() == "INVALID_RESOURCE" &&
                   e.sync_failed().diagnostics().find("ICD-10") != std::string::npos;
          }
        }
        return false;
      },
      60s));

  // Operators: RetrySync queues it again (it fails again: the data is wrong); a synced job
  // cannot be retried and an unknown one is NOT_FOUND.
  klinik::v1::RetrySyncRequest retry;
  retry.set_job_id(failed.job_id());
  klinik::v1::RetrySyncResponse retried;
  grpc::ClientContext c1;
  ASSERT_TRUE(Stub()->RetrySync(&c1, retry, &retried).ok());
  EXPECT_EQ(retried.job().status(), klinik::v1::SYNC_JOB_STATUS_PENDING);
  retry.set_job_id(klinik::NewUuid());
  grpc::ClientContext c2;
  EXPECT_EQ(Stub()->RetrySync(&c2, retry, &retried).error_code(), grpc::StatusCode::NOT_FOUND);
  for (const auto& j : JobsOfPatient(p.patient_id)) {
    if (j.status() != klinik::v1::SYNC_JOB_STATUS_SYNCED) continue;
    retry.set_job_id(j.job_id());
    grpc::ClientContext c3;
    EXPECT_EQ(Stub()->RetrySync(&c3, retry, &retried).error_code(),
              grpc::StatusCode::FAILED_PRECONDITION);
    break;
  }
}

TEST_P(SyncFixture, SigkillMidBacklogLosesAndDoublesNothing) {
  constexpr int kScreenings = 12;
  Person p;
  Seed("patient", p.nik, p.ihs);
  // Slow Observation answers keep a backlog long enough to kill the service in the middle of
  // it. Only Observations: late in a full test run the shared fact topics hold thousands of
  // other suites' facts, whose patient lookups must not be slowed too.
  Fault({{"mode", "slow"},
         {"delay_ms", 40},
         {"count", 100000},
         {"path_prefix", "/fhir-r4/v1/Observation"}});
  std::vector<std::string> screenings;
  Register(p);
  for (int i = 0; i < kScreenings; ++i) screenings.push_back(Screen(p));
  auto mine = [&](const std::string& v) {
    for (const auto& s : screenings) {
      if (v == s || v.rfind(s + "-", 0) == 0) return true;
    }
    return false;
  };
  {
    auto first = StartService();
    ASSERT_TRUE(WaitUntil([&] { return Stored("Observation", mine).size() >= 4; }, 120s))
        << first->Output();
    first->Signal(SIGKILL);
    first->Wait(10s);
  }
  EXPECT_LT(Stored("Observation", mine).size(), 2u * kScreenings)
      << "killed after the backlog was done";
  Http("DELETE", sandbox_url_ + "/_sandbox/faults", "", nullptr);
  auto second = StartService();
  for (const auto& s : screenings) {
    ASSERT_TRUE(WaitUntil([&] { return static_cast<bool>(ScreeningSyncedOnce(s)); }, 120s))
        << ScreeningSyncedOnce(s).message() << "\n"
        << second->Output();
  }
  EXPECT_EQ(Stored("Encounter", mine).size(), static_cast<size_t>(kScreenings));
  EXPECT_EQ(Stored("Observation", mine).size(), static_cast<size_t>(2 * kScreenings));
  EXPECT_EQ(Stored("Condition", mine).size(), static_cast<size_t>(kScreenings));
}

TEST_P(SyncFixture, DispensingAndReferralReachSatuSehatAndTheReferralIsCompleted) {
  Person p;
  Seed("patient", p.nik, p.ihs);
  auto service = StartService();
  Register(p);
  std::string screening = Screen(p);

  klinik::v1::PharmacyEvent pe;
  auto* d = pe.mutable_medication_dispensed();
  d->set_request_id(klinik::NewUuid());
  d->set_clinic_id("clinic-test");
  d->set_patient_id(p.patient_id);
  d->set_prescription_id("RX-" + klinik::NewUuid());
  d->set_dispensed_by(examiner_nik_);
  *d->mutable_dispensed_at() = Now();
  auto* line = d->add_lines();
  line->set_line_no(1);
  line->set_item_code("93001019");
  line->set_quantity(30);
  line->set_dosage_text("1x1 tablet pagi");
  Publish(klinik::topics::kPharmacy, "clinic-test", "id.klinik.pharmacy.medication_dispensed.v1",
          pe);

  klinik::v1::ReferralEvent re;
  auto* r = re.mutable_referral_created();
  std::string referral_id = klinik::NewUuid();
  r->set_referral_id(referral_id);
  r->set_patient_id(p.patient_id);
  r->set_target_facility_kind(klinik::v1::FACILITY_KIND_PUSKESMAS);
  r->set_urgency(klinik::v1::URGENCY_ROUTINE);
  r->add_icd10("I10");
  r->set_requested_by(examiner_nik_);
  *r->mutable_requested_at() = Now();
  r->set_source_screening_id(screening);
  Publish(klinik::topics::kReferrals, p.patient_id, "id.klinik.referral.created.v1", re);
  klinik::v1::ReferralEvent done;
  done.mutable_referral_completed()->set_referral_id(referral_id);
  done.mutable_referral_completed()->set_patient_id(p.patient_id);
  *done.mutable_referral_completed()->mutable_completed_at() = Now();
  Publish(klinik::topics::kReferrals, p.patient_id, "id.klinik.referral.completed.v1", done);

  const std::string item = d->prescription_id() + "-1";
  auto is = [](const std::string& want) {
    return [want](const std::string& v) { return v == want; };
  };
  ASSERT_TRUE(WaitUntil(
      [&] {
        auto enc = Stored("Encounter", is(d->request_id()));
        auto sr = Stored("ServiceRequest", is(referral_id));
        return enc.size() == 1 && enc[0].value("status", "") == "finished" &&
               Stored("MedicationDispense", is(item)).size() == 1 && sr.size() == 1 &&
               sr[0].value("status", "") == "completed";
      },
      60s))
      << service->Output();
  auto medication = Stored("Medication", is(item));
  ASSERT_EQ(medication.size(), 1u);
  auto dispense = Stored("MedicationDispense", is(item))[0];
  EXPECT_EQ(dispense["medicationReference"]["reference"],
            "Medication/" + medication[0].value("id", ""));
  EXPECT_EQ(dispense["context"]["reference"],
            "Encounter/" + Stored("Encounter", is(d->request_id()))[0].value("id", ""));
  auto sr = Stored("ServiceRequest", is(referral_id))[0];
  EXPECT_EQ(sr["encounter"]["reference"],
            "Encounter/" + Stored("Encounter", is(screening))[0].value("id", ""))
      << "the referral names its screening's Encounter";
  EXPECT_THAT(service->Output(), ::testing::Not(HasSubstr(p.nik))) << "a NIK reached the log";
  EXPECT_THAT(service->Output(), ::testing::Not(HasSubstr(examiner_nik_)))
      << "a NIK reached the log";
}

TEST_P(SyncFixture, AnExpiredTokenIsRenewedAndTheRequestSentAgain) {
  Person p;
  Seed("patient", p.nik, p.ihs);
  auto service = StartService();
  Register(p);
  std::string first = Screen(p);
  ASSERT_TRUE(WaitUntil([&] { return static_cast<bool>(ScreeningSyncedOnce(first)); }, 60s))
      << service->Output();
  Fault({{"mode", "expire_tokens"}});
  std::string second = Screen(p);
  ASSERT_TRUE(WaitUntil([&] { return static_cast<bool>(ScreeningSyncedOnce(second)); }, 60s))
      << service->Output();
  std::string stats;
  ASSERT_EQ(Http("GET", sandbox_url_ + "/_sandbox/stats", "", &stats), 200);
  json st = json::parse(stats);
  EXPECT_GE(st["requests_by_status"].value("401", 0), 1) << stats;
  EXPECT_EQ(st.value("tokens_issued", 0), 2) << "one login at start, one after the 401: " << stats;
}

INSTANTIATE_TEST_SUITE_P(Backends, SyncFixture, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace satusehat_sync
