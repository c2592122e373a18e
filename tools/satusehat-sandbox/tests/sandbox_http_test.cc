// Component tests: the real satusehat-sandbox binary as a child process, spoken to over HTTP
// with libcurl exactly as the sync service will. One process serves the whole suite (reset
// between tests); tests of start-up, token lifetime and shutdown start their own.
#include <curl/curl.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <thread>

#include "fixtures.h"
#include "klinik/time_util.h"
#include "test_infra.h"

namespace klinik::sandbox {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
namespace fx = fixtures;

constexpr const char* kClientId = "klinik-test-client";
constexpr const char* kClientSecret = "klinik-test-secret";
constexpr const char* kUnknownNik = "3201019999990009";

struct Reply {
  long status = 0;
  CURLcode curl = CURLE_OK;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names

  [[nodiscard]] json Json() const { return json::parse(body, nullptr, false); }
  [[nodiscard]] std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

size_t CollectBody(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

size_t CollectHeader(char* data, size_t size, size_t n, void* out) {
  std::string line(data, size * n);
  auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    value.erase(value.find_last_not_of("\r\n ") + 1);
    (*static_cast<std::map<std::string, std::string>*>(out))[name] = value;
  }
  return size * n;
}

Reply Request(const std::string& method, const std::string& url, const std::string& body,
              const std::vector<std::string>& headers, std::chrono::milliseconds timeout = 10s) {
  Reply reply;
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  curl_slist* list = nullptr;
  for (const std::string& h : headers) list = curl_slist_append(list, h.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_CUSTOMREQUEST, method.c_str());
  if (!body.empty() || method == "POST" || method == "PUT") {
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  }
  curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, &CollectBody);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &reply.body);
  curl_easy_setopt(curl.get(), CURLOPT_HEADERFUNCTION, &CollectHeader);
  curl_easy_setopt(curl.get(), CURLOPT_HEADERDATA, &reply.headers);
  reply.curl = curl_easy_perform(curl.get());
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &reply.status);
  curl_slist_free_all(list);
  return reply;
}

std::string WriteSeedFile() {
  std::string path = testing::TempDir() + "/seed.json";
  std::ofstream(path)
      << json::array({{{"kind", "patient"}, {"nik", fx::kPatientNik}, {"ihs", fx::kPatientIhs}},
                      {{"kind", "practitioner"},
                       {"nik", fx::kPractitionerNik},
                       {"ihs", fx::kPractitionerIhs}}})
             .dump();
  return path;
}

// A sandbox process and a client of it.
class SandboxProcess {
 public:
  explicit SandboxProcess(std::vector<std::string> extra_args = {}) {
    std::vector<std::string> args = {"--org-id",    fx::kOrg,          "--client-id",
                                     kClientId,     "--client-secret", kClientSecret,
                                     "--seed-file", WriteSeedFile()};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    process_ = std::make_unique<testing::ChildProcess>(KLINIK_SANDBOX_PATH, args,
                                                       std::map<std::string, std::string>{});
    if (!process_->WaitForPorts(20s, nullptr, &port_)) {
      ADD_FAILURE() << "the sandbox did not start:\n" << process_->Output();
    }
  }

  [[nodiscard]] std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

  Reply Login(const std::string& secret = kClientSecret) const {
    return Request("POST", Url("/oauth2/v1/accesstoken?grant_type=client_credentials"),
                   std::string("client_id=") + kClientId + "&client_secret=" + secret,
                   {"Content-Type: application/x-www-form-urlencoded"});
  }
  std::string Token() const { return Login().Json().value("access_token", ""); }

  Reply Fhir(const std::string& method, const std::string& path, const json& body,
             const std::string& token, std::chrono::milliseconds timeout = 10s) const {
    return Request(method, Url("/fhir-r4/v1" + path), body.is_null() ? "" : body.dump(),
                   {"Authorization: Bearer " + token, "Content-Type: application/json"}, timeout);
  }

  Reply Control(const std::string& method, const std::string& path,
                const json& body = nullptr) const {
    return Request(method, Url("/_sandbox" + path), body.is_null() ? "" : body.dump(),
                   {"Content-Type: application/json"});
  }

  testing::ChildProcess& process() { return *process_; }

 private:
  std::unique_ptr<testing::ChildProcess> process_;
  int port_ = 0;
};

class SandboxHttp : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    shared_ = new SandboxProcess();
  }
  static void TearDownTestSuite() {
    delete shared_;
    shared_ = nullptr;
  }

  void SetUp() override {
    ASSERT_EQ(sb().Control("POST", "/reset").status, 204);
    token_ = sb().Token();
    ASSERT_FALSE(token_.empty());
  }

  static SandboxProcess& sb() { return *shared_; }

  Reply Fhir(const std::string& method, const std::string& path, const json& body = nullptr,
             std::chrono::milliseconds timeout = 10s) const {
    return sb().Fhir(method, path, body, token_, timeout);
  }

  std::string Create(const std::string& type, const json& resource) {
    Reply r = Fhir("POST", "/" + type, resource);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.Json().value("id", "");
  }

  size_t Stored(const std::string& type) const {
    return sb().Control("GET", "/resources?type=" + type).Json().value("count", size_t{99});
  }

  void Fault(const json& fault) const {
    ASSERT_EQ(sb().Control("POST", "/faults", fault).status, 204);
  }

  static SandboxProcess* shared_;
  std::string token_;
};

SandboxProcess* SandboxHttp::shared_ = nullptr;

// ---- OAuth ----

TEST_F(SandboxHttp, TokenIsIssuedInTheGatewayShapeAndOpensTheFhirApi) {
  Reply r = sb().Login();
  ASSERT_EQ(r.status, 200) << r.body;
  json body = r.Json();
  EXPECT_EQ(body["token_type"], "BearerToken");
  EXPECT_EQ(body["expires_in"], "3599");
  ASSERT_TRUE(body["issued_at"].is_string());
  EXPECT_NEAR(std::stod(body["issued_at"].get<std::string>()),
              static_cast<double>(ToUnixMillis(Clock::now())), 60'000);
  EXPECT_EQ(Fhir("GET", "/Encounter/absent").status, 404);
  EXPECT_EQ(sb().Fhir("GET", "/Encounter/absent", nullptr, body["access_token"]).status, 404);
}

TEST_F(SandboxHttp, WrongSecretAndMissingOrUnknownTokensAreRefused) {
  Reply wrong = sb().Login("not-the-secret");
  EXPECT_EQ(wrong.status, 401);
  EXPECT_TRUE(wrong.Json()["fault"].contains("faultstring"));
  for (const std::string& token : {std::string(""), std::string("made-up-token")}) {
    Reply r = sb().Fhir("GET", "/Encounter/absent", nullptr, token);
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(r.Json()["fault"]["faultstring"], "Invalid access token");
  }
  Reply no_header = Request("GET", sb().Url("/fhir-r4/v1/Encounter/absent"), "", {});
  EXPECT_EQ(no_header.status, 401);
}

TEST_F(SandboxHttp, ExpireTokensCommandInvalidatesIssuedTokens) {
  Fault({{"mode", "expire_tokens"}});
  EXPECT_EQ(Fhir("GET", "/Encounter/absent").status, 401);
  token_ = sb().Token();
  EXPECT_EQ(Fhir("GET", "/Encounter/absent").status, 404);
}

TEST(SandboxHttpOwnProcess, TokenExpiresAfterItsLifetime) {
  SandboxProcess sandbox({"--token-ttl", "1"});
  Reply login = sandbox.Login();
  ASSERT_EQ(login.Json()["expires_in"], "1");
  std::string token = login.Json()["access_token"];
  EXPECT_EQ(sandbox.Fhir("GET", "/Encounter/absent", nullptr, token).status, 404);
  Reply last;
  EXPECT_TRUE(testing::WaitUntil(
      [&] {
        last = sandbox.Fhir("GET", "/Encounter/absent", nullptr, token);
        return last.status == 401;
      },
      5s));
  EXPECT_EQ(last.Json()["fault"]["detail"]["errorcode"],
            "keymanagement.service.access_token_expired");
}

TEST_F(SandboxHttp, EveryAnswerCarriesARequestId) {
  for (const Reply& r : {sb().Login(), sb().Login("wrong"), Fhir("GET", "/Encounter/absent"),
                         sb().Control("GET", "/stats")}) {
    EXPECT_TRUE(IsUuid(r.Header("x-request-id"))) << r.status << " " << r.Header("x-request-id");
  }
}

// ---- Patient and Practitioner lookup ----

TEST_F(SandboxHttp, PatientSearchFindsSeededNikAndAnswersEmptyForUnknown) {
  Reply known = Fhir("GET", std::string("/Patient?identifier=https://fhir.kemkes.go.id/id/nik|") +
                                fx::kPatientNik);
  ASSERT_EQ(known.status, 200) << known.body;
  json bundle = known.Json();
  EXPECT_EQ(bundle["resourceType"], "Bundle");
  EXPECT_EQ(bundle["type"], "searchset");
  EXPECT_EQ(bundle["total"], 1);
  EXPECT_EQ(bundle["entry"][0]["resource"]["id"], fx::kPatientIhs);

  // The same query percent-encoded, as curl_easy_escape would send it.
  Reply encoded =
      Fhir("GET", std::string("/Patient?identifier=https%3A%2F%2Ffhir.kemkes.go.id%2Fid%2Fnik%7C") +
                      kUnknownNik);
  ASSERT_EQ(encoded.status, 200);
  EXPECT_EQ(encoded.Json()["total"], 0);
  EXPECT_TRUE(encoded.Json()["entry"].empty());

  ASSERT_EQ(sb().Control("POST", "/seed",
                         {{"kind", "patient"}, {"nik", kUnknownNik}, {"ihs", "P09999999999"}})
                .status,
            204);
  Reply learned = Fhir(
      "GET", std::string("/Patient?identifier=https://fhir.kemkes.go.id/id/nik|") + kUnknownNik);
  EXPECT_EQ(learned.Json()["total"], 1);
  EXPECT_EQ(learned.Json()["entry"][0]["resource"]["id"], "P09999999999");
  EXPECT_EQ(Fhir("GET", "/Patient/P09999999999").Json()["id"], "P09999999999");
}

TEST_F(SandboxHttp, PractitionerSearchUsesItsOwnIndex) {
  std::string query =
      std::string("?identifier=https://fhir.kemkes.go.id/id/nik|") + fx::kPractitionerNik;
  Reply r = Fhir("GET", "/Practitioner" + query);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.Json()["entry"][0]["resource"]["id"], fx::kPractitionerIhs);
  EXPECT_EQ(Fhir("GET", "/Patient" + query).Json()["total"], 0);
  EXPECT_EQ(sb().Control("POST", "/seed",
                         json::array({{{"kind", "practitioner"}, {"nik", "12"}, {"ihs", "N2"}}}))
                .status,
            400);
}

TEST_F(SandboxHttp, LogsNeverCarryTheNik) {
  (void)Fhir("GET", std::string("/Patient?identifier=https://fhir.kemkes.go.id/id/nik|") +
                        fx::kPatientNik);
  (void)sb().Control("POST", "/seed",
                     {{"kind", "patient"}, {"nik", kUnknownNik}, {"ihs", "P09999999998"}});
  std::string output = sb().process().Output();
  EXPECT_NE(output.find("\"path\":\"/fhir-r4/v1/Patient\""), std::string::npos) << output;
  EXPECT_EQ(output.find(fx::kPatientNik), std::string::npos);
  EXPECT_EQ(output.find(kUnknownNik), std::string::npos);
}

// ---- create, read, update, search of every writable type ----

TEST_F(SandboxHttp, EveryResourceTypeIsCreatedReadUpdatedAndFoundByIdentifier) {
  std::string enc = Create("Encounter", fx::Encounter("visit-1"));
  std::string med = Create("Medication", fx::Medication("med-1"));
  struct Row {
    std::string type;
    json resource;
    std::string identifier_system;
    std::string identifier_value;
    std::string id;
  };
  std::vector<Row> rows = {
      {"Encounter", fx::Encounter("visit-1"), fx::Sys("encounter"), "visit-1", enc},
      {"Medication", fx::Medication("med-1"), fx::Sys("medication"), "med-1", med},
      {"Observation", fx::Observation(enc, "obs-1"), fx::Sys("observation"), "obs-1", ""},
      {"Condition", fx::Condition(enc, "cond-1"), fx::Sys("condition"), "cond-1", ""},
      {"MedicationDispense", fx::MedicationDispense(enc, med, "rx-1", "rx-1-1"),
       fx::Sys("prescription-item"), "rx-1-1", ""},
      {"ServiceRequest", fx::ServiceRequest(enc, "ref-1"), fx::Sys("servicerequest"), "ref-1", ""},
  };
  for (Row& row : rows) {
    SCOPED_TRACE(row.type);
    if (row.id.empty()) {
      Reply created = Fhir("POST", "/" + row.type, row.resource);
      ASSERT_EQ(created.status, 201) << created.body;
      row.id = created.Json()["id"];
      EXPECT_NE(created.Header("location").find("/" + row.type + "/" + row.id), std::string::npos);
    }
    EXPECT_TRUE(IsUuid(row.id));
    Reply read = Fhir("GET", "/" + row.type + "/" + row.id);
    ASSERT_EQ(read.status, 200);
    EXPECT_EQ(read.Json()["resourceType"], row.type);
    EXPECT_EQ(read.Json()["meta"]["versionId"], "1");

    json changed = read.Json();
    changed["note"] = {{{"text", "updated"}}};
    Reply updated = Fhir("PUT", "/" + row.type + "/" + row.id, changed);
    ASSERT_EQ(updated.status, 200) << updated.body;
    EXPECT_EQ(updated.Json()["meta"]["versionId"], "2");
    EXPECT_EQ(Fhir("GET", "/" + row.type + "/" + row.id).Json()["note"][0]["text"], "updated");

    Reply found = Fhir("GET", "/" + row.type + "?identifier=" + row.identifier_system + "|" +
                                  row.identifier_value);
    ASSERT_EQ(found.status, 200);
    EXPECT_EQ(found.Json()["total"], 1);
    EXPECT_EQ(found.Json()["entry"][0]["resource"]["id"], row.id);
    EXPECT_EQ(Fhir("GET", "/" + row.type + "?identifier=" + row.identifier_system + "|nothing")
                  .Json()["total"],
              0);
    EXPECT_EQ(Fhir("GET", "/" + row.type + "/" + NewUuid()).status, 404);
  }
  json counts = sb().Control("GET", "/stats").Json()["resources_by_type"];
  for (const Row& row : rows) EXPECT_EQ(counts[row.type], 1) << row.type;
}

TEST_F(SandboxHttp, EncounterLifecycleArrivedToFinishedWithDiagnosis) {
  std::string enc = Create("Encounter", fx::Encounter("visit-9"));
  std::string cond = Create("Condition", fx::Condition(enc, "cond-9"));
  json finished = fx::Encounter("visit-9");
  finished["id"] = enc;
  finished["status"] = "finished";
  finished["period"]["end"] = "2026-11-23T02:30:00+00:00";
  finished["statusHistory"].push_back(
      {{"status", "finished"}, {"period", {{"start", "2026-11-23T02:30:00+00:00"}}}});
  finished["diagnosis"] = {{{"condition", {{"reference", "Condition/" + cond}}}, {"rank", 1}}};
  Reply r = Fhir("PUT", "/Encounter/" + enc, finished);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Fhir("GET", "/Encounter/" + enc).Json()["status"], "finished");
  EXPECT_EQ(Stored("Encounter"), 1u);
}

// ---- validation: 400 with an OperationOutcome naming the problem ----

struct InvalidCase {
  std::string name;
  std::string type;
  std::function<json(const std::string& enc, const std::string& med)> make;
  std::string expression;
  std::string diagnostics_part;
};

TEST_F(SandboxHttp, EachValidationRuleAnswers400NamingTheProblem) {
  std::string enc = Create("Encounter", fx::Encounter("visit-1"));
  std::string med = Create("Medication", fx::Medication("med-1"));
  std::vector<InvalidCase> cases = {
      {"identifier of another organization", "Encounter",
       [](auto&, auto&) {
         json e = fx::Encounter("visit-2");
         e["identifier"][0]["system"] = "http://sys-ids.kemkes.go.id/encounter/99999999";
         return e;
       },
       "Encounter.identifier[0].system", "rule 10117"},
      {"unknown patient", "Observation",
       [](auto& e, auto&) {
         json o = fx::Observation(e, "obs-x");
         o["subject"]["reference"] = "Patient/P00000000001";
         return o;
       },
       "Observation.subject.reference", "not in the national index"},
      {"missing encounter", "Condition",
       [](auto&, auto&) { return fx::Condition(NewUuid(), "cond-x"); },
       "Condition.encounter.reference", "does not exist"},
      {"observation without LOINC", "Observation",
       [](auto& e, auto&) {
         json o = fx::Observation(e, "obs-x");
         o["code"]["coding"][0]["system"] = "http://snomed.info/sct";
         return o;
       },
       "Observation.code.coding", "http://loinc.org"},
      {"quantity without UCUM", "Observation",
       [](auto& e, auto&) {
         json o = fx::Observation(e, "obs-x");
         o["valueQuantity"].erase("system");
         return o;
       },
       "Observation.valueQuantity.system", "required"},
      {"condition not ICD-10", "Condition",
       [](auto& e, auto&) {
         json c = fx::Condition(e, "cond-x");
         c["code"]["coding"][0]["system"] = "http://snomed.info/sct";
         return c;
       },
       "Condition.code.coding", "icd-10"},
      {"medication not KFA", "Medication",
       [](auto&, auto&) {
         json m = fx::Medication("med-x");
         m["code"]["coding"][0]["code"] = "12345678";
         return m;
       },
       "Medication.code.coding.code", "KFA"},
      {"medication without MedicationType", "Medication",
       [](auto&, auto&) {
         json m = fx::Medication("med-x");
         m.erase("extension");
         return m;
       },
       "Medication.extension", "MedicationType"},
      {"local time", "MedicationDispense",
       [](auto& e, auto& m) {
         json d = fx::MedicationDispense(e, m, "rx-x", "rx-x-1");
         d["whenHandedOver"] = "2026-11-23T09:00:00+07:00";
         return d;
       },
       "MedicationDispense.whenHandedOver", "UTC"},
      {"referral without identifier", "ServiceRequest",
       [](auto& e, auto&) {
         json s = fx::ServiceRequest(e, "ref-x");
         s.erase("identifier");
         return s;
       },
       "ServiceRequest.identifier", "servicerequest/10000004"},
      {"resourceType differs from URL", "Encounter",
       [](auto& e, auto&) { return fx::Observation(e, "obs-x"); }, "Encounter.resourceType",
       "resourceType"},
  };
  for (const InvalidCase& c : cases) {
    SCOPED_TRACE(c.name);
    Reply r = Fhir("POST", "/" + c.type, c.make(enc, med));
    ASSERT_EQ(r.status, 400) << r.body;
    EXPECT_NE(r.Header("content-type").find("json"), std::string::npos);
    json outcome = r.Json();
    ASSERT_EQ(outcome["resourceType"], "OperationOutcome");
    bool named = false;
    for (const json& issue : outcome["issue"]) {
      EXPECT_EQ(issue["severity"], "error");
      EXPECT_TRUE(issue["details"].contains("text"));
      if (issue.contains("expression") && issue["expression"][0] == c.expression &&
          issue["diagnostics"].get<std::string>().find(c.diagnostics_part) != std::string::npos) {
        named = true;
      }
    }
    EXPECT_TRUE(named) << r.body;
  }
  EXPECT_EQ(Stored("Encounter"), 1u);
  EXPECT_EQ(Stored("Medication"), 1u);
  EXPECT_EQ(Stored("Observation") + Stored("Condition") + Stored("MedicationDispense") +
                Stored("ServiceRequest"),
            0u);
}

TEST_F(SandboxHttp, MalformedRequestsAreRefusedWithAnOperationOutcome) {
  std::string enc = Create("Encounter", fx::Encounter("visit-1"));
  Reply not_json = sb().Fhir("POST", "/Encounter", nullptr, token_);
  EXPECT_EQ(not_json.status, 400);
  EXPECT_EQ(not_json.Json()["resourceType"], "OperationOutcome");
  json other_id = fx::Encounter("visit-1");
  other_id["id"] = NewUuid();
  Reply mismatch = Fhir("PUT", "/Encounter/" + enc, other_id);
  EXPECT_EQ(mismatch.status, 400);
  EXPECT_EQ(mismatch.Json()["issue"][0]["expression"][0], "Encounter.id");
  json absent = fx::Encounter("visit-1");
  absent["id"] = "absent";
  EXPECT_EQ(Fhir("PUT", "/Encounter/absent", absent).status, 404);
  EXPECT_EQ(Fhir("GET", "/Encounter?subject=Patient/P1").status, 400);
  EXPECT_EQ(Fhir("GET", "/Procedure/x").status, 404);
  EXPECT_EQ(Fhir("DELETE", "/Encounter/" + enc).status, 405);
}

TEST_F(SandboxHttp, SecondCreateWithTheSameIdentifierIsRule20002) {
  std::string first = Create("Encounter", fx::Encounter("visit-dup"));
  Reply again = Fhir("POST", "/Encounter", fx::Encounter("visit-dup"));
  ASSERT_EQ(again.status, 400);
  json issue = again.Json()["issue"][0];
  EXPECT_EQ(issue["code"], "duplicate");
  EXPECT_NE(issue["diagnostics"].get<std::string>().find("20002"), std::string::npos);
  EXPECT_NE(issue["diagnostics"].get<std::string>().find(first), std::string::npos);
  EXPECT_EQ(Stored("Encounter"), 1u);
  // Two dispenses of one prescription share its identifier; only the item identifier is unique.
  std::string med = Create("Medication", fx::Medication("med-1"));
  Create("MedicationDispense", fx::MedicationDispense(first, med, "rx-1", "rx-1-1"));
  Create("MedicationDispense", fx::MedicationDispense(first, med, "rx-1", "rx-1-2"));
  EXPECT_EQ(
      Fhir("POST", "/MedicationDispense", fx::MedicationDispense(first, med, "rx-1", "rx-1-2"))
          .status,
      400);
  EXPECT_EQ(Stored("MedicationDispense"), 2u);
}

// ---- transaction bundles ----

json Entry(const std::string& full_url, const json& resource) {
  return {{"fullUrl", full_url},
          {"resource", resource},
          {"request", {{"method", "POST"}, {"url", resource["resourceType"]}}}};
}

TEST_F(SandboxHttp, TransactionBundleStoresEveryEntryWithResolvedReferences) {
  std::string enc_urn = "urn:uuid:" + NewUuid();
  json bundle = {{"resourceType", "Bundle"},
                 {"type", "transaction"},
                 {"entry",
                  {Entry(enc_urn, fx::Encounter("visit-tx")),
                   Entry("urn:uuid:" + NewUuid(), fx::Observation("x", "o-1")),
                   Entry("urn:uuid:" + NewUuid(), fx::Observation("x", "o-2")),
                   Entry("urn:uuid:" + NewUuid(), fx::Condition("x", "c-1"))}}};
  for (size_t i = 1; i < 4; ++i) bundle["entry"][i]["resource"]["encounter"]["reference"] = enc_urn;
  Reply r = Fhir("POST", "", bundle);
  ASSERT_EQ(r.status, 200) << r.body;
  json reply = r.Json();
  EXPECT_EQ(reply["type"], "transaction-response");
  ASSERT_EQ(reply["entry"].size(), 4u);
  for (const json& e : reply["entry"]) {
    EXPECT_EQ(e["response"]["status"], "201 Created");
    EXPECT_FALSE(e["response"]["location"].get<std::string>().empty());
  }
  std::string enc_id = Fhir("GET", "/Encounter?identifier=" + fx::Sys("encounter") + "|visit-tx")
                           .Json()["entry"][0]["resource"]["id"];
  json observations = sb().Control("GET", "/resources?type=Observation").Json();
  ASSERT_EQ(observations["count"], 2);
  for (const json& o : observations["resources"])
    EXPECT_EQ(o["encounter"]["reference"], "Encounter/" + enc_id);
  EXPECT_EQ(Stored("Condition"), 1u);
}

TEST_F(SandboxHttp, TransactionIsAllOrNothing) {
  json bad = fx::Observation("x", "o-2");
  bad["valueQuantity"]["system"] = "http://example.org";
  std::string enc_urn = "urn:uuid:" + NewUuid();
  json bundle = {
      {"resourceType", "Bundle"},
      {"type", "transaction"},
      {"entry", {Entry(enc_urn, fx::Encounter("visit-tx")), Entry("urn:uuid:" + NewUuid(), bad)}}};
  bundle["entry"][1]["resource"]["encounter"]["reference"] = enc_urn;
  Reply r = Fhir("POST", "", bundle);
  ASSERT_EQ(r.status, 400);
  EXPECT_EQ(r.Json()["issue"][0]["expression"][0], "Bundle.entry[1].resource.valueQuantity.system");
  EXPECT_EQ(Stored("Encounter") + Stored("Observation"), 0u);
  json not_transaction = {{"resourceType", "Bundle"}, {"type", "batch"}, {"entry", json::array()}};
  EXPECT_EQ(Fhir("POST", "", not_transaction).status, 400);
}

// ---- fault injection ----

TEST_F(SandboxHttp, TooManyRequestsWithRetryAfterThenRecovery) {
  Fault({{"status", 429}, {"retry_after", 2}, {"count", 2}});
  for (int i = 0; i < 2; ++i) {
    Reply r = Fhir("POST", "/Encounter", fx::Encounter("visit-1"));
    EXPECT_EQ(r.status, 429);
    EXPECT_EQ(r.Header("retry-after"), "2");
  }
  EXPECT_EQ(Stored("Encounter"), 0u);
  EXPECT_EQ(Fhir("POST", "/Encounter", fx::Encounter("visit-1")).status, 201);
  json stats = sb().Control("GET", "/stats").Json();
  EXPECT_EQ(stats["requests_by_status"]["429"], 2);
  EXPECT_EQ(stats["requests_by_status"]["201"], 1);
  EXPECT_EQ(Stored("Encounter"), 1u);
}

TEST_F(SandboxHttp, ServiceUnavailableThenRecovery) {
  Fault({{"status", 503}, {"count", 1}});
  Reply down = Fhir("GET", std::string("/Patient?identifier=https://fhir.kemkes.go.id/id/nik|") +
                               fx::kPatientNik);
  EXPECT_EQ(down.status, 503);
  EXPECT_EQ(down.body, "no healthy upstream");
  EXPECT_EQ(Fhir("POST", "/Encounter", fx::Encounter("visit-1")).status, 201);
}

TEST_F(SandboxHttp, TimeoutAfterStoreKeepsTheResourceTheClientGaveUpOn) {
  Fault({{"mode", "timeout_after_store"}, {"delay_ms", 3000}});
  Reply r = Fhir("POST", "/Encounter", fx::Encounter("visit-ambiguous"), 300ms);
  EXPECT_EQ(r.curl, CURLE_OPERATION_TIMEDOUT);
  EXPECT_TRUE(testing::WaitUntil([&] { return Stored("Encounter") == 1; }, 2s));
  // What the sync service does after an ambiguous failure: search by identifier, find it.
  Reply found = Fhir("GET", "/Encounter?identifier=" + fx::Sys("encounter") + "|visit-ambiguous");
  EXPECT_EQ(found.Json()["total"], 1);
  EXPECT_EQ(Fhir("POST", "/Encounter", fx::Encounter("visit-next")).status,
            201);  // the fault is used up
}

TEST_F(SandboxHttp, SlowAnswersArriveLate) {
  Fault({{"mode", "slow"}, {"delay_ms", 400}, {"count", 2}});
  auto started = std::chrono::steady_clock::now();
  Reply slow = Fhir("POST", "/Encounter", fx::Encounter("visit-slow"));
  EXPECT_EQ(slow.status, 201);
  EXPECT_GE(std::chrono::steady_clock::now() - started, 400ms);
  Reply impatient = Fhir("GET", "/Encounter/" + slow.Json().value("id", ""), nullptr, 100ms);
  EXPECT_EQ(impatient.curl, CURLE_OPERATION_TIMEDOUT);
}

TEST_F(SandboxHttp, InjectedBadRequestCarriesAnOperationOutcome) {
  Fault({{"status", 400}, {"path_prefix", "/fhir-r4/v1/Observation"}});
  std::string enc = Create("Encounter", fx::Encounter("visit-1"));
  Reply r = Fhir("POST", "/Observation", fx::Observation(enc, "obs-1"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.Json()["resourceType"], "OperationOutcome");
  EXPECT_EQ(sb().Control("POST", "/faults", {{"status", 302}}).status, 400);
}

// ---- control API ----

TEST_F(SandboxHttp, ResourcesAndStatsCountWhatWasStored) {
  std::string enc = Create("Encounter", fx::Encounter("visit-1"));
  Create("Encounter", fx::Encounter("visit-2"));
  Create("Observation", fx::Observation(enc, "obs-1"));
  json encounters = sb().Control("GET", "/resources?type=Encounter").Json();
  EXPECT_EQ(encounters["count"], 2);
  EXPECT_EQ(encounters["resources"][0]["identifier"][0]["value"], "visit-1");
  EXPECT_EQ(sb().Control("GET", "/resources").Json()["count"], 3);
  EXPECT_EQ(sb().Control("GET", "/resources?type=Patient").status, 400);
  json stats = sb().Control("GET", "/stats").Json();
  EXPECT_EQ(stats["resources_by_type"]["Encounter"], 2);
  EXPECT_EQ(stats["resources_by_type"]["Observation"], 1);
  EXPECT_EQ(stats["requests_by_status"]["201"], 3);
  EXPECT_EQ(stats["tokens_issued"], 1);
  ASSERT_EQ(sb().Control("POST", "/reset").status, 204);
  EXPECT_EQ(sb().Control("GET", "/resources").Json()["count"], 0);
  EXPECT_EQ(sb().Control("GET", "/nothing").status, 404);
}

TEST_F(SandboxHttp, ConcurrentClientsLoseNothing) {
  std::string enc = Create("Encounter", fx::Encounter("visit-1"));
  std::atomic<int> created{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&, t] {
      for (int i = 0; i < 15; ++i) {
        Reply r = Fhir("POST", "/Observation",
                       fx::Observation(enc, "obs-" + std::to_string(t) + "-" + std::to_string(i)));
        if (r.status == 201) ++created;
      }
    });
  }
  for (auto& c : clients) c.join();
  EXPECT_EQ(created.load(), 60);
  EXPECT_EQ(Stored("Observation"), 60u);
}

TEST_F(SandboxHttp, ConnectionsAreKeptAliveForReuse) {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  std::string sink;
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, &CollectBody);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &sink);
  long connects[2] = {-1, -1};
  for (long& n : connects) {
    curl_easy_setopt(curl.get(), CURLOPT_URL, sb().Url("/_sandbox/health").c_str());
    ASSERT_EQ(curl_easy_perform(curl.get()), CURLE_OK);
    curl_easy_getinfo(curl.get(), CURLINFO_NUM_CONNECTS, &n);
  }
  EXPECT_EQ(connects[0], 1);
  EXPECT_EQ(connects[1], 0);  // the second request reused the first connection
}

// ---- process lifecycle ----

TEST(SandboxHttpOwnProcess, StopsCleanlyOnSigtermAndSigint) {
  for (int sig : {SIGTERM, SIGINT}) {
    SandboxProcess sandbox;
    // A request parked in a long fault delay must not hold the shutdown.
    ASSERT_EQ(sandbox.Control("POST", "/faults", {{"mode", "slow"}, {"delay_ms", 60000}}).status,
              204);
    std::thread parked(
        [&] { (void)sandbox.Fhir("GET", "/Encounter/x", nullptr, sandbox.Token(), 30s); });
    ASSERT_TRUE(testing::WaitUntil(
        [&] { return sandbox.Control("GET", "/stats").Json()["faults_injected"] == 1; }, 5s));
    sandbox.process().Signal(sig);
    EXPECT_EQ(sandbox.process().Wait(10s), 0) << sandbox.process().Output();
    parked.join();
    EXPECT_NE(sandbox.process().Output().find("\"stopped\""), std::string::npos);
  }
}

TEST(SandboxHttpOwnProcess, BadConfigurationExitsTwoNamingTheVariable) {
  testing::ChildProcess bad(KLINIK_SANDBOX_PATH, {"--token-ttl", "0"}, {});
  EXPECT_EQ(bad.Wait(10s), 2);
  EXPECT_NE(bad.Output().find("KLINIK_SANDBOX_TOKEN_TTL"), std::string::npos) << bad.Output();
  testing::ChildProcess unknown(KLINIK_SANDBOX_PATH, {"--colour", "red"}, {});
  EXPECT_EQ(unknown.Wait(10s), 2);
  EXPECT_NE(unknown.Output().find("--colour"), std::string::npos) << unknown.Output();
}

TEST(SandboxHttpOwnProcess, EnvironmentConfiguresLikeFlags) {
  std::string dir = testing::TempDir();
  std::ofstream(dir + "/secret") << "from-a-file\n";
  testing::ChildProcess process(KLINIK_SANDBOX_PATH, {},
                                {{"KLINIK_SANDBOX_CLIENT_ID", "env-client"},
                                 {"KLINIK_SANDBOX_CLIENT_SECRET_FILE", dir + "/secret"},
                                 {"KLINIK_SANDBOX_ORG_ID", "20000001"}});
  int port = 0;
  ASSERT_TRUE(process.WaitForPorts(20s, nullptr, &port)) << process.Output();
  std::string base = "http://127.0.0.1:" + std::to_string(port);
  Reply login = Request("POST", base + "/oauth2/v1/accesstoken?grant_type=client_credentials",
                        "client_id=env-client&client_secret=from-a-file", {});
  EXPECT_EQ(login.status, 200) << login.body;
  EXPECT_EQ(login.Json()["organization_name"], "20000001");
  EXPECT_EQ(process.Output().find("from-a-file"), std::string::npos);
}

}  // namespace
}  // namespace klinik::sandbox
