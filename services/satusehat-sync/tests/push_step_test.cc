// The push step against a scripted FhirClient and the job store on SQLite: no sandbox, no
// network. Each answer SATUSEHAT.md lists — created, 4xx, 5xx, timeouts before and after
// sending, 429 with Retry-After, a 401 that outlived the client's own token refresh, consent
// suppression, duplicate identifiers, nobody found by NIK — becomes the PushOutcome the worker
// records; jobs that wait for others send nothing; a job whose earlier send may have stored the
// resource searches before it creates.
#include "push_step.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <deque>
#include <nlohmann/json.hpp>

#include "job_plan.h"
#include "klinik/event_types.h"
#include "klinik/outbox.h"
#include "store.h"
#include "test_infra.h"

namespace satusehat_sync {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::StartsWith;
namespace v1 = klinik::v1;

const fhir::FhirSite kSite{"10000004", "b017aa54-f1df-4ec2-9d84-8823815d7228"};
constexpr const char* kPatientId = "0b6c3a84-1f39-4e0c-8e5c-5b1d9a3f2c10";
constexpr const char* kPatientNik = "3201014501900002";
constexpr const char* kExaminerNik = "3201014501900001";
constexpr const char* kScreeningId = "5f0c8a8e-4d47-4b3e-9f55-0d6c2b7a1e01";
constexpr const char* kReferralId = "44444444-4444-4444-8444-444444444444";
constexpr const char* kSystolicLoinc = "8480-6";

// A FhirClient that answers from a script, in order, and records what it was asked.
class ScriptedClient final : public FhirClient {
 public:
  struct Call {
    std::string method;
    std::string path;
    json body;
  };

  // The next request must be `method` on a path starting with `path_prefix`.
  void Then(std::string method, std::string path_prefix, HttpResponse answer) {
    script_.push_back({std::move(method), std::move(path_prefix), std::move(answer)});
  }

  HttpResponse Get(const std::string& path) override { return Answer("GET", path, nullptr); }
  HttpResponse Post(const std::string& path, const json& body) override {
    return Answer("POST", path, body);
  }
  HttpResponse Put(const std::string& path, const json& body) override {
    return Answer("PUT", path, body);
  }

  [[nodiscard]] const std::vector<Call>& calls() const { return calls_; }
  [[nodiscard]] size_t unanswered() const { return script_.size(); }

 private:
  struct Step {
    std::string method;
    std::string path_prefix;
    HttpResponse answer;
  };

  HttpResponse Answer(const std::string& method, const std::string& path, json body) {
    calls_.push_back({method, path, std::move(body)});
    if (script_.empty()) {
      ADD_FAILURE() << "unscripted " << method << " " << path;
      HttpResponse refused;
      refused.transport_failed = true;
      refused.error = "unscripted request";
      return refused;
    }
    Step step = std::move(script_.front());
    script_.pop_front();
    EXPECT_EQ(method, step.method) << path;
    EXPECT_THAT(path, StartsWith(step.path_prefix));
    return step.answer;
  }

  std::deque<Step> script_;
  std::vector<Call> calls_;
};

HttpResponse Json(int status, json body, std::string request_id = "req-1") {
  HttpResponse r;
  r.status = status;
  r.body = body.dump();
  r.json = std::move(body);
  r.request_id = std::move(request_id);
  return r;
}

HttpResponse Created(const std::string& id) {
  return Json(201, {{"resourceType", "Encounter"}, {"id", id}});
}

// A searchset Bundle holding `id`, or nobody.
HttpResponse Found(std::optional<std::string> id) {
  json bundle = {{"resourceType", "Bundle"}, {"type", "searchset"}, {"total", id ? 1 : 0}};
  bundle["entry"] = json::array();
  if (id) bundle["entry"].push_back({{"resource", {{"id", *id}}}});
  return Json(200, bundle);
}

HttpResponse Outcome(int status, std::string_view code, std::string_view diagnostics) {
  return Json(status,
              {{"resourceType", "OperationOutcome"},
               {"issue", {{{"severity", "error"}, {"code", code}, {"diagnostics", diagnostics}}}}});
}

HttpResponse Text(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.request_id = "req-1";
  return r;
}

// No answer; `maybe_sent`: the request may have reached the server.
HttpResponse NoAnswer(bool maybe_sent) {
  HttpResponse r;
  r.transport_failed = true;
  r.maybe_sent = maybe_sent;
  r.error = maybe_sent ? "Timeout was reached" : "Couldn't connect to server";
  return r;
}

v1::ScreeningCompleted Screening(std::string patient_id, std::string examiner_nik) {
  v1::ScreeningCompleted s;
  s.set_screening_id(kScreeningId);
  s.set_patient_id(std::move(patient_id));
  s.set_examiner_id(std::move(examiner_nik));
  s.mutable_measured_at()->set_seconds(1'795'000'000);
  s.mutable_completed_at()->set_seconds(1'795'000'600);
  s.mutable_measurements()->set_systolic_mmhg(162);
  auto* f = s.add_findings();
  f->set_code("HYPERTENSION_GRADE_2");
  f->set_display("Hipertensi derajat 2");
  f->set_icd10("I10");
  f->set_is_diagnosis(true);
  return s;
}

std::string ObservationRef() { return fhir::ObservationReference(kScreeningId, kSystolicLoinc); }
std::string ConditionRef() { return fhir::ConditionReference(kScreeningId, "I10"); }

class PushStepTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = klinik::Database::Open(klinik::testing::FreshSqliteDatabase(), 2);
    db_->Migrate("klinik_platform", klinik::PlatformMigrations());
    db_->Migrate("satusehat-sync", store::Migrations());
  }

  void TearDown() override { EXPECT_EQ(client_.unanswered(), 0u) << "scripted answers left"; }

  // The patient's registration as FactHandler stores it, and a screening of that patient; the
  // examiner's IHS number is known, the patient's is not.
  void RegisterAndScreen(const std::string& nik = kPatientNik,
                         const std::string& examiner_nik = kExaminerNik) {
    db_->InTransaction([&](klinik::Transaction& tx) {
      store::RememberPatient(tx, kPatientId, nik);
      AddSource(tx, "src-screening",
                std::string(klinik::CeType<klinik::v1::ScreeningEvent>(
                    klinik::v1::ScreeningEvent::kScreeningCompleted)),
                Screening(kPatientId, examiner_nik).SerializeAsString(),
                PlanScreening(Screening(kPatientId, examiner_nik)));
      if (!examiner_nik.empty())
        store::CacheIhs(tx, "practitioner", examiner_nik, "N10000001", klinik::Clock::now());
    });
  }

  void KnowPatientIhs() {
    db_->InTransaction([&](klinik::Transaction& tx) {
      store::CacheIhs(tx, "patient", kPatientNik, "P0001", klinik::Clock::now());
    });
  }

  static void AddSource(klinik::Transaction& tx, const std::string& source_event_id,
                        std::string_view type, const std::string& payload,
                        const std::vector<PlannedJob>& jobs) {
    store::AddJobs(tx, source_event_id, std::string(type), kPatientId, payload, jobs,
                   klinik::Clock::now());
  }

  JobRecord Job(std::string_view k, const std::string& ref) {
    auto job = db_->Read([&](klinik::Transaction& tx) { return store::Find(tx, k, ref); });
    EXPECT_TRUE(job) << k << " " << ref;
    return job.value_or(JobRecord{});
  }

  // Claims the job as a worker would and records it synced with `id`, releasing its dependents.
  void MarkSynced(std::string_view k, const std::string& ref, const std::string& id) {
    std::vector<JobRecord> claimed = store::ClaimDue(*db_, klinik::Clock::now(), 5min);
    std::vector<JobRecord> others;
    std::optional<JobRecord> mine;
    for (JobRecord& j : claimed) {
      if (j.kind == k && j.local_reference == ref) {
        mine = j;
      } else {
        others.push_back(j);
      }
    }
    store::ReleaseClaims(*db_, others, klinik::Clock::now());
    ASSERT_TRUE(mine) << k << " " << ref << " is not due";
    mine->status = status::kSynced;
    mine->satusehat_id = id;
    mine->next_attempt_at.reset();
    db_->InTransaction([&](klinik::Transaction& tx) {
      ASSERT_TRUE(store::Save(tx, *mine, klinik::Clock::now()));
      store::ReleaseDependents(tx, *mine, klinik::Clock::now());
    });
  }

  PushOutcome Push(const JobRecord& job) {
    ClaimCache cache;
    return PushJob(*db_, kSite, client_, job, cache);
  }

  std::unique_ptr<klinik::Database> db_;
  ScriptedClient client_;
};

const std::string& Reason(const PushOutcome& o) {
  static const std::string kSynced = "(synced)";
  return o.problem() != nullptr ? o.problem()->reason : kSynced;
}

TEST_F(PushStepTest, EncounterIsCreatedForThePatientFoundByNik) {
  RegisterAndScreen();
  client_.Then("GET", "Patient?identifier=https%3A%2F%2Ffhir.kemkes.go.id%2Fid%2Fnik%7C",
               Found("P0001"));
  client_.Then("POST", "Encounter", Created("enc-1"));

  PushOutcome o = Push(Job(kind::kEncounter, kScreeningId));

  ASSERT_TRUE(o.synced()) << Reason(o);
  EXPECT_EQ(o.satusehat_id(), "enc-1");
  EXPECT_EQ(o.http_status, 201);
  EXPECT_EQ(o.request_id, "req-1");
  EXPECT_TRUE(o.attempted);
  EXPECT_EQ(o.server, ServerSignal::kAnswered);
  ASSERT_EQ(client_.calls().size(), 2u);
  EXPECT_THAT(client_.calls()[0].path, HasSubstr(kPatientNik));
  const json& body = client_.calls()[1].body;
  EXPECT_EQ(body["subject"]["reference"], "Patient/P0001");
  EXPECT_EQ(body["participant"][0]["individual"]["reference"], "Practitioner/N10000001");
  EXPECT_EQ(body["identifier"][0]["value"], kScreeningId);
  // The IHS number is kept: the next claim does not search again.
  EXPECT_EQ(db_->Read([](klinik::Transaction& tx) {
    return store::CachedIhs(tx, "patient", kPatientNik);
  }),
            "P0001");
}

TEST_F(PushStepTest, PatientLookupIsSyncedWithTheIhsNumber) {
  db_->InTransaction([&](klinik::Transaction& tx) {
    store::RememberPatient(tx, kPatientId, kPatientNik);
    v1::PatientEvent registered;
    registered.mutable_patient_registered()->set_patient_id(kPatientId);
    registered.mutable_patient_registered()->set_nik(kPatientNik);
    AddSource(tx, "src-patient", klinik::CeTypeOf(registered),
              registered.patient_registered().SerializeAsString(),
              PlanPatient(registered.patient_registered()));
  });
  client_.Then("GET", "Patient?identifier=", Found("P0001"));
  PushOutcome o = Push(Job(kind::kPatient, kPatientId));
  ASSERT_TRUE(o.synced()) << Reason(o);
  EXPECT_EQ(o.satusehat_id(), "P0001");
  EXPECT_FALSE(o.attempted) << "a lookup that found the patient is no attempt";
  EXPECT_EQ(o.server, ServerSignal::kAnswered);
}

TEST_F(PushStepTest, PatientNotInTheIndexWaitsWithoutAnAttempt) {
  RegisterAndScreen();
  client_.Then("GET", "Patient?identifier=", Found(std::nullopt));
  PushOutcome o = Push(Job(kind::kEncounter, kScreeningId));
  ASSERT_TRUE(std::holds_alternative<push::Waiting>(o.result)) << Reason(o);
  EXPECT_EQ(Reason(o), "PATIENT_NOT_IN_INDEX");
  EXPECT_FALSE(o.attempted);
  EXPECT_EQ(o.http_status, 200);
  EXPECT_EQ(o.server, ServerSignal::kAnswered);
}

TEST_F(PushStepTest, PatientWithoutRegistrationOrNikWaitsWithoutAsking) {
  db_->InTransaction([&](klinik::Transaction& tx) {
    AddSource(tx, "src-screening",
              std::string(klinik::CeType<klinik::v1::ScreeningEvent>(
                  klinik::v1::ScreeningEvent::kScreeningCompleted)),
              Screening(kPatientId, kExaminerNik).SerializeAsString(),
              PlanScreening(Screening(kPatientId, kExaminerNik)));
  });
  PushOutcome unknown = Push(Job(kind::kEncounter, kScreeningId));
  ASSERT_TRUE(std::holds_alternative<push::Waiting>(unknown.result));
  EXPECT_EQ(Reason(unknown), "PATIENT_UNKNOWN");

  db_->InTransaction([&](klinik::Transaction& tx) { store::RememberPatient(tx, kPatientId, ""); });
  PushOutcome newborn = Push(Job(kind::kEncounter, kScreeningId));
  ASSERT_TRUE(std::holds_alternative<push::Waiting>(newborn.result));
  EXPECT_EQ(Reason(newborn), "PATIENT_NIK_MISSING");
  EXPECT_EQ(newborn.server, ServerSignal::kNone);
  EXPECT_TRUE(client_.calls().empty());
}

TEST_F(PushStepTest, FailedPatientSearchIsAnAttempt) {
  RegisterAndScreen();
  client_.Then("GET", "Patient?identifier=", Text(503, "no healthy upstream"));
  PushOutcome o = Push(Job(kind::kEncounter, kScreeningId));
  ASSERT_NE(o.transient(), nullptr) << Reason(o);
  EXPECT_EQ(Reason(o), "UNAVAILABLE");
  EXPECT_TRUE(o.attempted);
  EXPECT_EQ(o.server, ServerSignal::kDown);
  EXPECT_EQ(client_.calls().size(), 1u) << "no POST without the patient";
}

TEST_F(PushStepTest, ExaminerWithoutNikFailsBeforeSending) {
  RegisterAndScreen(kPatientNik, /*examiner_nik=*/"");
  KnowPatientIhs();
  PushOutcome o = Push(Job(kind::kEncounter, kScreeningId));
  ASSERT_TRUE(std::holds_alternative<push::Permanent>(o.result)) << Reason(o);
  EXPECT_EQ(Reason(o), "PRACTITIONER_NIK_MISSING");
  EXPECT_FALSE(o.attempted);
  EXPECT_TRUE(client_.calls().empty());
}

TEST_F(PushStepTest, MissingSourceFactFails) {
  JobRecord job;
  job.kind = kind::kEncounter;
  job.source_event_id = "never-stored";
  PushOutcome o = Push(job);
  ASSERT_TRUE(std::holds_alternative<push::Permanent>(o.result));
  EXPECT_EQ(Reason(o), "SOURCE_MISSING");
}

TEST_F(PushStepTest, InvalidResourceFailsWithTheOperationOutcome) {
  RegisterAndScreen();
  KnowPatientIhs();
  client_.Then("POST", "Encounter",
               Outcome(400, "invalid", "rule 10117: identifier system names another org"));
  PushOutcome o = Push(Job(kind::kEncounter, kScreeningId));
  ASSERT_TRUE(std::holds_alternative<push::Permanent>(o.result)) << Reason(o);
  EXPECT_EQ(Reason(o), "INVALID_RESOURCE");
  EXPECT_THAT(o.problem()->diagnostics, HasSubstr("rule 10117"));
  EXPECT_EQ(o.http_status, 400);
  EXPECT_EQ(o.request_id, "req-1");
  EXPECT_TRUE(o.attempted);
  EXPECT_EQ(o.server, ServerSignal::kAnswered);
}

TEST_F(PushStepTest, ConfigurationErrorsArePermanent) {
  RegisterAndScreen();
  KnowPatientIhs();
  const std::vector<std::pair<int, std::string>> answers = {
      {403, "FORBIDDEN"}, {404, "NOT_FOUND"}, {422, "HTTP_ERROR"}};
  for (const auto& [status, reason] : answers) {
    client_.Then("POST", "Encounter", Text(status, "<html>refused</html>"));
    PushOutcome o = Push(Job(kind::kEncounter, kScreeningId));
    EXPECT_TRUE(std::holds_alternative<push::Permanent>(o.result)) << status;
    EXPECT_EQ(Reason(o), reason) << status;
    EXPECT_EQ(o.problem()->diagnostics, "<html>refused</html>") << status;
  }
}

TEST_F(PushStepTest, DuplicateIdentifierIsFoundAndAdopted) {
  RegisterAndScreen();
  KnowPatientIhs();
  client_.Then("POST", "Encounter", Outcome(400, "duplicate", "20002: identifier exists"));
  client_.Then("GET",
               "Encounter?identifier=http%3A%2F%2Fsys-ids.kemkes.go.id%2Fencounter%2F10000004%7C" +
                   std::string(kScreeningId),
               Found("enc-9"));
  PushOutcome o = Push(Job(kind::kEncounter, kScreeningId));
  ASSERT_TRUE(o.synced()) << Reason(o);
  EXPECT_EQ(o.satusehat_id(), "enc-9");
  EXPECT_EQ(o.http_status, 200);
}

TEST_F(PushStepTest, DuplicateIdentifierNotFoundStaysInvalid) {
  RegisterAndScreen();
  KnowPatientIhs();
  client_.Then("POST", "Encounter", Outcome(400, "duplicate", "20002: identifier exists"));
  client_.Then("GET", "Encounter?identifier=", Found(std::nullopt));
  PushOutcome o = Push(Job(kind::kEncounter, kScreeningId));
  ASSERT_TRUE(std::holds_alternative<push::Permanent>(o.result)) << Reason(o);
  EXPECT_EQ(Reason(o), "INVALID_RESOURCE");
  EXPECT_EQ(o.http_status, 400);
}

TEST_F(PushStepTest, ServerErrorIsTransientAndTellsTheCircuit) {
  RegisterAndScreen();
  KnowPatientIhs();
  client_.Then("POST", "Encounter", Text(503, "no healthy upstream"));
  PushOutcome o = Push(Job(kind::kEncounter, kScreeningId));
  ASSERT_NE(o.transient(), nullptr) << Reason(o);
  EXPECT_EQ(Reason(o), "UNAVAILABLE");
  EXPECT_EQ(o.problem()->diagnostics, "no healthy upstream");
  EXPECT_FALSE(o.transient()->maybe_stored) << "a 5xx answer is an answer";
  EXPECT_TRUE(o.attempted);
  EXPECT_EQ(o.server, ServerSignal::kDown);
}

// A timeout after sending may have stored the resource; a refused connection stored nothing.
TEST_F(PushStepTest, NoAnswerMayHaveStoredTheResourceOnlyWhenItWasSent) {
  RegisterAndScreen();
  KnowPatientIhs();
  for (bool sent : {true, false}) {
    client_.Then("POST", "Encounter", NoAnswer(/*maybe_sent=*/sent));
    PushOutcome o = Push(Job(kind::kEncounter, kScreeningId));
    ASSERT_NE(o.transient(), nullptr) << Reason(o);
    EXPECT_EQ(o.transient()->maybe_stored, sent);
    EXPECT_EQ(o.http_status, 0);
    EXPECT_EQ(o.server, ServerSignal::kDown);
    EXPECT_EQ(o.problem()->diagnostics,
              sent ? "Timeout was reached" : "Couldn't connect to server");
  }
}

TEST_F(PushStepTest, ThrottledCarriesRetryAfter) {
  RegisterAndScreen();
  KnowPatientIhs();
  HttpResponse throttled = Text(429, "slow down");
  throttled.retry_after = 7s;
  client_.Then("POST", "Encounter", throttled);
  PushOutcome o = Push(Job(kind::kEncounter, kScreeningId));
  ASSERT_NE(o.transient(), nullptr) << Reason(o);
  EXPECT_EQ(Reason(o), "THROTTLED");
  EXPECT_EQ(o.transient()->retry_after, Millis(7000));
  EXPECT_EQ(o.http_status, 429);
  EXPECT_EQ(o.server, ServerSignal::kAnswered) << "a 429 does not open the circuit";
}

// SatuSehatClient logs in again once after a 401; a 401 it returns outlived that.
TEST_F(PushStepTest, UnauthorizedAfterTheTokenRefreshIsTransient) {
  RegisterAndScreen();
  KnowPatientIhs();
  client_.Then("POST", "Encounter",
               Json(401, {{"fault", {{"faultstring", "Invalid Access Token"}}}}));
  PushOutcome o = Push(Job(kind::kEncounter, kScreeningId));
  ASSERT_NE(o.transient(), nullptr) << Reason(o);
  EXPECT_EQ(Reason(o), "UNAUTHORIZED");
  EXPECT_TRUE(o.attempted);
}

TEST_F(PushStepTest, SuppressedAnswerIsSuppressed) {
  RegisterAndScreen();
  KnowPatientIhs();
  client_.Then("POST", "Encounter", Outcome(200, "suppressed", "no consent"));
  PushOutcome o = Push(Job(kind::kEncounter, kScreeningId));
  ASSERT_TRUE(std::holds_alternative<push::Suppressed>(o.result)) << Reason(o);
  EXPECT_EQ(Reason(o), "SUPPRESSED");
  EXPECT_EQ(o.problem()->diagnostics, "no consent");
}

TEST_F(PushStepTest, CreatedWithoutAnIdMayBeStored) {
  RegisterAndScreen();
  KnowPatientIhs();
  client_.Then("POST", "Encounter", Json(201, {{"resourceType", "Encounter"}}));
  PushOutcome o = Push(Job(kind::kEncounter, kScreeningId));
  ASSERT_NE(o.transient(), nullptr) << Reason(o);
  EXPECT_EQ(Reason(o), "NO_ID_IN_ANSWER");
  EXPECT_TRUE(o.transient()->maybe_stored);
  EXPECT_TRUE(o.attempted);
}

TEST_F(PushStepTest, AmbiguousJobAdoptsWhatTheSearchFindsWithoutPosting) {
  RegisterAndScreen();
  KnowPatientIhs();
  JobRecord job = Job(kind::kEncounter, kScreeningId);
  job.ambiguous = true;
  client_.Then("GET", "Encounter?identifier=", Found("enc-5"));
  PushOutcome o = Push(job);
  ASSERT_TRUE(o.synced()) << Reason(o);
  EXPECT_EQ(o.satusehat_id(), "enc-5");
  EXPECT_EQ(client_.calls().size(), 1u);
}

TEST_F(PushStepTest, AmbiguousJobPostsWhenTheSearchFindsNothing) {
  RegisterAndScreen();
  KnowPatientIhs();
  JobRecord job = Job(kind::kEncounter, kScreeningId);
  job.ambiguous = true;
  client_.Then("GET", "Encounter?identifier=", Found(std::nullopt));
  client_.Then("POST", "Encounter", Created("enc-6"));
  PushOutcome o = Push(job);
  ASSERT_TRUE(o.synced()) << Reason(o);
  EXPECT_EQ(o.satusehat_id(), "enc-6");
}

TEST_F(PushStepTest, AmbiguousJobWhoseSearchFailsDoesNotPost) {
  RegisterAndScreen();
  KnowPatientIhs();
  JobRecord job = Job(kind::kEncounter, kScreeningId);
  job.ambiguous = true;
  client_.Then("GET", "Encounter?identifier=", Text(502, "bad gateway"));
  PushOutcome o = Push(job);
  ASSERT_NE(o.transient(), nullptr) << Reason(o);
  EXPECT_TRUE(o.transient()->maybe_stored) << "still unknown: search again next time";
  EXPECT_TRUE(o.attempted);
  EXPECT_EQ(client_.calls().size(), 1u);
}

TEST_F(PushStepTest, ObservationWaitsForItsEncounterWithoutARequest) {
  RegisterAndScreen();
  KnowPatientIhs();
  PushOutcome o = Push(Job(kind::kObservation, ObservationRef()));
  ASSERT_NE(o.transient(), nullptr) << Reason(o);
  EXPECT_EQ(Reason(o), "DEPENDENCY_NOT_SYNCED");
  EXPECT_FALSE(o.attempted);
  EXPECT_EQ(o.server, ServerSignal::kNone);
  EXPECT_TRUE(client_.calls().empty());
}

TEST_F(PushStepTest, ObservationAndConditionReferenceTheSyncedEncounter) {
  RegisterAndScreen();
  KnowPatientIhs();
  MarkSynced(kind::kEncounter, kScreeningId, "enc-1");
  client_.Then("POST", "Observation", Created("obs-1"));
  client_.Then("POST", "Condition", Created("cond-1"));

  PushOutcome observation = Push(Job(kind::kObservation, ObservationRef()));
  PushOutcome condition = Push(Job(kind::kCondition, ConditionRef()));

  EXPECT_EQ(observation.satusehat_id(), "obs-1") << Reason(observation);
  EXPECT_EQ(condition.satusehat_id(), "cond-1") << Reason(condition);
  ASSERT_EQ(client_.calls().size(), 2u);
  EXPECT_EQ(client_.calls()[0].body["encounter"]["reference"], "Encounter/enc-1");
  EXPECT_EQ(client_.calls()[0].body["code"]["coding"][0]["code"], kSystolicLoinc);
  EXPECT_EQ(client_.calls()[1].body["encounter"]["reference"], "Encounter/enc-1");
  EXPECT_EQ(client_.calls()[1].body["code"]["coding"][0]["code"], "I10");
}

TEST_F(PushStepTest, FinishWaitsForItsConditions) {
  RegisterAndScreen();
  KnowPatientIhs();
  MarkSynced(kind::kEncounter, kScreeningId, "enc-1");
  PushOutcome o = Push(Job(kind::kEncounterFinish, kScreeningId));
  ASSERT_NE(o.transient(), nullptr) << Reason(o);
  EXPECT_EQ(Reason(o), "DEPENDENCY_NOT_SYNCED");
  EXPECT_EQ(o.problem()->diagnostics, "a Condition is not synced");
  EXPECT_TRUE(client_.calls().empty());
}

TEST_F(PushStepTest, FinishPutsTheWholeEncounterWithItsDiagnoses) {
  RegisterAndScreen();
  KnowPatientIhs();
  MarkSynced(kind::kEncounter, kScreeningId, "enc-1");
  MarkSynced(kind::kCondition, ConditionRef(), "cond-1");
  client_.Then("PUT", "Encounter/enc-1", Json(200, {{"resourceType", "Encounter"}}));
  PushOutcome o = Push(Job(kind::kEncounterFinish, kScreeningId));
  ASSERT_TRUE(o.synced()) << Reason(o);
  EXPECT_EQ(o.satusehat_id(), "enc-1");
  EXPECT_TRUE(o.attempted);
  ASSERT_EQ(client_.calls().size(), 1u);
  const json& body = client_.calls()[0].body;
  EXPECT_EQ(body["id"], "enc-1");
  EXPECT_EQ(body["status"], "finished");
  EXPECT_EQ(body["diagnosis"][0]["condition"]["reference"], "Condition/cond-1");
}

TEST_F(PushStepTest, FailedUpdateIsRetriedWithoutASearch) {
  RegisterAndScreen();
  KnowPatientIhs();
  MarkSynced(kind::kEncounter, kScreeningId, "enc-1");
  MarkSynced(kind::kCondition, ConditionRef(), "cond-1");
  client_.Then("PUT", "Encounter/enc-1", NoAnswer(/*maybe_sent=*/true));
  PushOutcome o = Push(Job(kind::kEncounterFinish, kScreeningId));
  ASSERT_NE(o.transient(), nullptr) << Reason(o);
  EXPECT_FALSE(o.transient()->maybe_stored) << "a full PUT may be sent again as it is";
}

TEST_F(PushStepTest, EndedReferralPutsItsServiceRequest) {
  db_->InTransaction([&](klinik::Transaction& tx) {
    store::RememberPatient(tx, kPatientId, kPatientNik);
    store::CacheIhs(tx, "patient", kPatientNik, "P0001", klinik::Clock::now());
    store::CacheIhs(tx, "practitioner", kExaminerNik, "N10000001", klinik::Clock::now());
    v1::ReferralEvent created;
    auto* r = created.mutable_referral_created();
    r->set_referral_id(kReferralId);
    r->set_patient_id(kPatientId);
    r->set_requested_by(kExaminerNik);
    r->add_icd10("I10");
    r->mutable_requested_at()->set_seconds(1'795'000'000);
    AddSource(tx, "src-referral", klinik::CeTypeOf(created), r->SerializeAsString(),
              PlanReferralCreated(*r));
    v1::ReferralEvent completed;
    completed.mutable_referral_completed()->set_referral_id(kReferralId);
    AddSource(tx, "src-referral-end", klinik::CeTypeOf(completed),
              completed.referral_completed().SerializeAsString(),
              PlanReferralEnded(kReferralId, "completed"));
  });
  PushOutcome early = Push(Job(kind::kServiceRequestUpdate, kReferralId));
  EXPECT_EQ(Reason(early), "DEPENDENCY_NOT_SYNCED");

  MarkSynced(kind::kServiceRequest, kReferralId, "sr-1");
  client_.Then("PUT", "ServiceRequest/sr-1", Json(200, {{"resourceType", "ServiceRequest"}}));
  PushOutcome o = Push(Job(kind::kServiceRequestUpdate, kReferralId));
  ASSERT_TRUE(o.synced()) << Reason(o);
  EXPECT_EQ(o.satusehat_id(), "sr-1");
  ASSERT_EQ(client_.calls().size(), 1u);
  EXPECT_EQ(client_.calls()[0].body["id"], "sr-1");
  EXPECT_EQ(client_.calls()[0].body["status"], "completed");
}

}  // namespace
}  // namespace satusehat_sync

namespace satusehat_sync {
namespace {

// A withdrawn screening: its finished Encounter is read back, marked entered-in-error and PUT
// whole, after the finishing PUT (the plan waits for it).
class WithdrawalPushTest : public PushStepTest {
 protected:
  void Withdraw() {
    v1::ScreeningEvent e;
    auto* w = e.mutable_screening_withdrawn();
    w->set_screening_id(kScreeningId);
    w->set_patient_id(kPatientId);
    w->set_withdrawn_by(kExaminerNik);
    w->mutable_withdrawn_at()->set_seconds(1'795'100'000);
    db_->InTransaction([&](klinik::Transaction& tx) {
      AddSource(tx, "src-withdrawn", klinik::CeTypeOf(e), w->SerializeAsString(),
                PlanScreeningWithdrawn(*w));
    });
  }
};

TEST_F(WithdrawalPushTest, PlanWaitsForTheFinishedEncounter) {
  v1::ScreeningWithdrawn w;
  w.set_screening_id(kScreeningId);
  std::vector<PlannedJob> jobs = PlanScreeningWithdrawn(w);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].key.kind, kind::kEncounterWithdraw);
  EXPECT_EQ(jobs[0].action, "update");
  EXPECT_EQ(jobs[0].depends_on,
            (std::vector<JobKey>{{std::string(kind::kEncounterFinish), kScreeningId}}));
}

TEST_F(WithdrawalPushTest, TheEncounterSatuSehatHoldsIsMarkedEnteredInError) {
  RegisterAndScreen();
  KnowPatientIhs();
  Withdraw();
  MarkSynced(kind::kEncounter, kScreeningId, "enc-1");
  json held = {{"resourceType", "Encounter"},
               {"id", "enc-1"},
               {"meta", {{"versionId", "2"}}},
               {"status", "finished"},
               {"statusHistory", json::array({{{"status", "finished"}}})},
               {"subject", {{"reference", "Patient/P0001"}}}};
  client_.Then("GET", "Encounter/enc-1", Json(200, held));
  client_.Then("PUT", "Encounter/enc-1", Json(200, {{"resourceType", "Encounter"}}));
  PushOutcome o = Push(Job(kind::kEncounterWithdraw, kScreeningId));
  ASSERT_TRUE(o.synced()) << Reason(o);
  EXPECT_EQ(o.satusehat_id(), "enc-1");
  ASSERT_EQ(client_.calls().size(), 2u);
  const json& body = client_.calls()[1].body;
  EXPECT_EQ(body["status"], "entered-in-error");
  EXPECT_EQ(body["subject"], held["subject"]) << "everything else is kept";
  EXPECT_FALSE(body.contains("meta"));
  ASSERT_EQ(body["statusHistory"].size(), 2u);
  EXPECT_EQ(body["statusHistory"][1]["status"], "entered-in-error");
}

TEST_F(WithdrawalPushTest, AFailedReadIsRetriedAndNothingIsWritten) {
  RegisterAndScreen();
  KnowPatientIhs();
  Withdraw();
  MarkSynced(kind::kEncounter, kScreeningId, "enc-1");
  client_.Then("GET", "Encounter/enc-1", Json(503, {{"resourceType", "OperationOutcome"}}));
  PushOutcome o = Push(Job(kind::kEncounterWithdraw, kScreeningId));
  ASSERT_NE(o.transient(), nullptr) << Reason(o);
  EXPECT_EQ(client_.calls().size(), 1u);
}

TEST_F(WithdrawalPushTest, AnEncounterNotYetSyncedWaitsWithoutARequest) {
  RegisterAndScreen();
  Withdraw();
  PushOutcome o = Push(Job(kind::kEncounterWithdraw, kScreeningId));
  ASSERT_NE(o.transient(), nullptr) << Reason(o);
  EXPECT_EQ(Reason(o), "DEPENDENCY_NOT_SYNCED");
  EXPECT_TRUE(client_.calls().empty());
}

}  // namespace
}  // namespace satusehat_sync
