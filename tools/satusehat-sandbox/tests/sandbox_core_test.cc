// Unit tests of the request router without sockets: token lifetime on a fake clock, the fault
// queue's counting rules, transaction semantics, control parsing and the start-up options.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>

#include "fault_plan.h"
#include "fixtures.h"
#include "options.h"
#include "sandbox.h"

namespace klinik::sandbox {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
namespace fx = fixtures;

class SandboxCore : public ::testing::Test {
 protected:
  void SetUp() override {
    sandbox_.Seed({PersonKind::kPatient, fx::kPatientNik, fx::kPatientIhs});
    token_ = Login("sandbox-secret");
    ASSERT_FALSE(token_.empty());
  }

  std::string Login(const std::string& secret) {
    HttpResponse r = sandbox_.Handle({"POST",
                                      "/oauth2/v1/accesstoken",
                                      "grant_type=client_credentials",
                                      "client_id=sandbox-client&client_secret=" + secret,
                                      {}});
    return r.status == 200 ? json::parse(r.body)["access_token"].get<std::string>() : "";
  }

  HttpResponse Fhir(const std::string& method, const std::string& path, const json& body = nullptr,
                    const std::string& query = "") {
    return sandbox_.Handle({method,
                            "/fhir-r4/v1" + path,
                            query,
                            body.is_null() ? "" : body.dump(),
                            {{"authorization", "Bearer " + token_}}});
  }

  HttpResponse Control(const std::string& method, const std::string& path,
                       const json& body = nullptr, const std::string& query = "") {
    return sandbox_.Handle(
        {method, "/_sandbox" + path, query, body.is_null() ? "" : body.dump(), {}});
  }

  std::string CreateEncounter(const std::string& visit) {
    HttpResponse r = Fhir("POST", "/Encounter", fx::Encounter(visit));
    EXPECT_EQ(r.status, 201) << r.body;
    return r.status == 201 ? json::parse(r.body)["id"].get<std::string>() : "";
  }

  size_t Stored(const std::string& type) {
    return json::parse(Control("GET", "/resources", nullptr, "type=" + type).body)["count"]
        .get<size_t>();
  }

  TimePoint now_ = FromUnixMillis(1'795'000'000'000);
  Sandbox sandbox_{{.org_id = fx::kOrg,
                    .client_id = "sandbox-client",
                    .client_secret = "sandbox-secret",
                    .token_ttl = 60s},
                   [this] { return now_; }};
  std::string token_;
};

TEST_F(SandboxCore, TokenIsRefusedOnceItsLifetimeHasPassed) {
  EXPECT_EQ(Fhir("GET", "/Encounter/none").status, 404);
  now_ += 59s;
  EXPECT_EQ(Fhir("GET", "/Encounter/none").status, 404);
  now_ += 1s;
  HttpResponse expired = Fhir("GET", "/Encounter/none");
  EXPECT_EQ(expired.status, 401);
  EXPECT_EQ(json::parse(expired.body)["fault"]["detail"]["errorcode"],
            "keymanagement.service.access_token_expired");
  token_ = Login("sandbox-secret");
  EXPECT_EQ(Fhir("GET", "/Encounter/none").status, 404);
}

TEST_F(SandboxCore, TokenReplyHasTheGatewayShape) {
  HttpResponse r = sandbox_.Handle({"POST",
                                    "/oauth2/v1/accesstoken",
                                    "grant_type=client_credentials",
                                    "client_id=sandbox-client&client_secret=sandbox-secret",
                                    {}});
  ASSERT_EQ(r.status, 200);
  json body = json::parse(r.body);
  EXPECT_EQ(body["token_type"], "BearerToken");
  EXPECT_EQ(body["expires_in"], "60");  // a string, as the real gateway sends it
  EXPECT_EQ(body["issued_at"], std::to_string(ToUnixMillis(now_)));
  EXPECT_NE(body["access_token"], token_);
  EXPECT_EQ(Login("wrong"), "");
  HttpResponse no_grant = sandbox_.Handle({"POST",
                                           "/oauth2/v1/accesstoken",
                                           "",
                                           "client_id=sandbox-client&client_secret=sandbox-secret",
                                           {}});
  EXPECT_EQ(no_grant.status, 400);
}

TEST_F(SandboxCore, StatusFaultAnswersBeforeAnythingIsStoredThenRecovers) {
  ASSERT_EQ(Control("POST", "/faults", {{"status", 503}, {"count", 2}}).status, 204);
  EXPECT_EQ(Fhir("POST", "/Encounter", fx::Encounter("v1")).status, 503);
  EXPECT_EQ(Fhir("GET", "/Encounter", nullptr, "identifier=x").status, 503);
  EXPECT_EQ(Stored("Encounter"), 0u);
  EXPECT_EQ(Fhir("POST", "/Encounter", fx::Encounter("v1")).status, 201);
  EXPECT_EQ(Stored("Encounter"), 1u);
}

TEST_F(SandboxCore, FaultsApplyInOrderAndOnlyToMatchingPaths) {
  ASSERT_EQ(
      Control("POST", "/faults", {{"status", 429}, {"path_prefix", "/fhir-r4/v1/Observation"}})
          .status,
      204);
  ASSERT_EQ(Control("POST", "/faults", {{"status", 502}}).status, 204);
  // The 429 does not match an Encounter, so the next queued fault answers.
  EXPECT_EQ(Fhir("POST", "/Encounter", fx::Encounter("v1")).status, 502);
  std::string enc = CreateEncounter("v1");
  HttpResponse throttled = Fhir("POST", "/Observation", fx::Observation(enc, "o1"));
  EXPECT_EQ(throttled.status, 429);
  bool retry_after = false;
  for (const auto& [k, v] : throttled.headers) retry_after |= k == "Retry-After" && v == "1";
  EXPECT_TRUE(retry_after);
  EXPECT_EQ(Fhir("POST", "/Observation", fx::Observation(enc, "o1")).status, 201);
}

TEST_F(SandboxCore, FaultsNeverTouchTheTokenEndpointUnlessAimedAtIt) {
  ASSERT_EQ(Control("POST", "/faults", {{"status", 503}, {"count", -1}}).status, 204);
  EXPECT_FALSE(Login("sandbox-secret").empty());
  EXPECT_EQ(Fhir("GET", "/Encounter/x").status, 503);
  EXPECT_EQ(Fhir("GET", "/Encounter/x").status, 503);  // -1: until cleared
  ASSERT_EQ(Control("DELETE", "/faults").status, 204);
  EXPECT_EQ(Fhir("GET", "/Encounter/x").status, 404);
  ASSERT_EQ(Control("POST", "/faults", {{"status", 503}, {"path_prefix", "/oauth2/v1"}}).status,
            204);
  EXPECT_EQ(Login("sandbox-secret"), "");
  EXPECT_FALSE(Login("sandbox-secret").empty());
}

TEST_F(SandboxCore, TimeoutAfterStoreIsUsedOnlyByRequestsThatStore) {
  ASSERT_EQ(Control("POST", "/faults", {{"mode", "timeout_after_store"}, {"delay_ms", 1}}).status,
            204);
  EXPECT_EQ(Fhir("GET", "/Patient", nullptr,
                 "identifier=https://fhir.kemkes.go.id/id/nik|" + std::string(fx::kPatientNik))
                .status,
            200);
  json refused = fx::Encounter("v1");
  refused.erase("subject");
  EXPECT_EQ(Fhir("POST", "/Encounter", refused).status, 400);
  EXPECT_EQ(json::parse(Control("GET", "/faults").body)["faults"].size(), 1u);
  EXPECT_EQ(Fhir("POST", "/Encounter", fx::Encounter("v1")).status, 201);
  EXPECT_EQ(json::parse(Control("GET", "/faults").body)["faults"].size(), 0u);
  EXPECT_EQ(Stored("Encounter"), 1u);
}

TEST_F(SandboxCore, StopReleasesSlowRequests) {
  ASSERT_EQ(Control("POST", "/faults", {{"mode", "slow"}, {"delay_ms", 60000}}).status, 204);
  sandbox_.Stop();
  EXPECT_EQ(Fhir("GET", "/Encounter/x").status, 503);
}

TEST_F(SandboxCore, ExpireTokensInvalidatesEveryIssuedToken) {
  std::string second = Login("sandbox-secret");
  ASSERT_EQ(Control("POST", "/faults", {{"mode", "expire_tokens"}}).status, 204);
  EXPECT_EQ(Fhir("GET", "/Encounter/x").status, 401);
  token_ = second;
  EXPECT_EQ(Fhir("GET", "/Encounter/x").status, 401);
  token_ = Login("sandbox-secret");
  EXPECT_EQ(Fhir("GET", "/Encounter/x").status, 404);
}

TEST_F(SandboxCore, TransactionResolvesEntryReferencesInAnyOrder) {
  json bundle = {{"resourceType", "Bundle"}, {"type", "transaction"}};
  json obs = fx::Observation("ignored", "o1");
  obs["encounter"]["reference"] = "urn:uuid:8c1b1f7e-0000-4000-8000-000000000001";
  bundle["entry"] = {
      {{"fullUrl", "urn:uuid:8c1b1f7e-0000-4000-8000-000000000002"},
       {"resource", obs},
       {"request", {{"method", "POST"}, {"url", "Observation"}}}},
      {{"fullUrl", "urn:uuid:8c1b1f7e-0000-4000-8000-000000000001"},
       {"resource", fx::Encounter("v1")},
       {"request", {{"method", "POST"}, {"url", "Encounter"}}}},
  };
  HttpResponse r = Fhir("POST", "", bundle);
  ASSERT_EQ(r.status, 200) << r.body;
  json reply = json::parse(r.body);
  EXPECT_EQ(reply["type"], "transaction-response");
  ASSERT_EQ(reply["entry"].size(), 2u);
  EXPECT_EQ(reply["entry"][0]["response"]["status"], "201 Created");
  std::string enc_location = reply["entry"][1]["response"]["location"];
  std::string enc_id = enc_location.substr(10, enc_location.find("/_history") - 10);
  json stored =
      json::parse(Control("GET", "/resources", nullptr, "type=Observation").body)["resources"][0];
  EXPECT_EQ(stored["encounter"]["reference"], "Encounter/" + enc_id);
  EXPECT_EQ(Fhir("GET", "/Encounter/" + enc_id).status, 200);
}

TEST_F(SandboxCore, TransactionStoresNothingWhenOneEntryFails) {
  std::string enc = CreateEncounter("v0");
  json bad = fx::Condition(enc, "c2");
  bad["code"]["coding"][0]["code"] = "not-icd";
  json bundle = {{"resourceType", "Bundle"},
                 {"type", "transaction"},
                 {"entry",
                  {{{"resource", fx::Condition(enc, "c1")},
                    {"request", {{"method", "POST"}, {"url", "Condition"}}}},
                   {{"resource", bad}, {"request", {{"method", "POST"}, {"url", "Condition"}}}}}}};
  HttpResponse r = Fhir("POST", "", bundle);
  ASSERT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body)["issue"][0]["expression"][0],
            "Bundle.entry[1].resource.code.coding[0].code");
  EXPECT_EQ(Stored("Condition"), 0u);
}

TEST_F(SandboxCore, UpdateKeepsItsOwnIdentifierButNotAnother) {
  std::string first = CreateEncounter("v1");
  std::string second = CreateEncounter("v2");
  json update = fx::Encounter("v1");
  update["id"] = first;
  update["status"] = "in-progress";
  HttpResponse ok = Fhir("PUT", "/Encounter/" + first, update);
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(json::parse(ok.body)["meta"]["versionId"], "2");
  update["id"] = second;
  HttpResponse dup = Fhir("PUT", "/Encounter/" + second, update);
  ASSERT_EQ(dup.status, 400);
  EXPECT_NE(json::parse(dup.body)["issue"][0]["diagnostics"].get<std::string>().find("20002"),
            std::string::npos);
}

TEST_F(SandboxCore, StatsCountApiRequestsOnlyAndResetKeepsTheIndex) {
  (void)CreateEncounter("v1");
  (void)Fhir("GET", "/Encounter/none");
  json stats = json::parse(Control("GET", "/stats").body);
  EXPECT_EQ(stats["requests_by_status"]["201"], 1);
  EXPECT_EQ(stats["requests_by_status"]["404"], 1);
  EXPECT_EQ(stats["requests_by_status"]["200"], 1);  // the token request of SetUp
  EXPECT_EQ(stats["requests_by_status"].size(), 3u);
  ASSERT_EQ(Control("POST", "/reset").status, 204);
  stats = json::parse(Control("GET", "/stats").body);
  EXPECT_TRUE(stats["requests_by_status"].empty());
  EXPECT_TRUE(stats["resources_by_type"].empty());
  EXPECT_EQ(CreateEncounter("v1").empty(),
            false);  // the patient is still known, the token still valid
}

TEST(SandboxFaultParsing, RefusesMalformedCommands) {
  for (const char* text :
       {R"({"status":200})", R"({"status":"503"})", R"({"status":503,"mode":"slow","delay_ms":5})",
        R"({"mode":"slow"})", R"({"mode":"nope"})", R"({"status":503,"count":0})",
        R"({"status":503,"count":-2})", R"({"status":429,"retry_after":-1})",
        R"({"status":503,"path_prefix":"fhir"})", R"({"mode":"slow","delay_ms":600000})", R"({})",
        R"([])"}) {
    std::string error;
    EXPECT_FALSE(ParseFault(json::parse(text), &error).has_value()) << text;
    EXPECT_FALSE(error.empty()) << text;
  }
  std::string error;
  auto fault = ParseFault(json::parse(R"({"mode":"timeout_after_store"})"), &error);
  ASSERT_TRUE(fault.has_value()) << error;
  EXPECT_EQ(fault->delay, 5000ms);
  EXPECT_EQ(fault->remaining, 1);
}

TEST(SandboxQuery, DecodesPercentAndPlus) {
  auto q = ParseQuery("identifier=https%3A%2F%2Ffhir.kemkes.go.id%2Fid%2Fnik%7C123&x=a+b&flag");
  ASSERT_EQ(q.size(), 3u);
  EXPECT_EQ(q[0].second, "https://fhir.kemkes.go.id/id/nik|123");
  EXPECT_EQ(q[1].second, "a b");
  EXPECT_EQ(q[2].first, "flag");
}

TEST(SandboxOptions, FlagsAndEnvironmentMapOntoSandboxNames) {
  auto args =
      NormalizeArgs({"--listen", "127.0.0.1:8089", "--org-id=123", "--sandbox-token-ttl", "5"});
  EXPECT_EQ(args, (std::vector<std::string>{"--sandbox-listen", "127.0.0.1:8089",
                                            "--sandbox-org-id=123", "--sandbox-token-ttl", "5"}));
  EXPECT_THROW((void)NormalizeArgs({"--colour", "red"}), ConfigError);

  Options o = ReadOptions(Config({{"KLINIK_SANDBOX_ORG_ID", "123"},
                                  {"KLINIK_PORTS_FILE", "/tmp/p.json"},
                                  {"KLINIK_SANDBOX_TOKEN_TTL", "5"},
                                  {"KLINIK_SANDBOX_CLIENT_SECRET", "s3"}}));
  EXPECT_EQ(o.listen, "127.0.0.1:0");
  EXPECT_EQ(o.ports_file, "/tmp/p.json");
  EXPECT_EQ(o.sandbox.org_id, "123");
  EXPECT_EQ(o.sandbox.token_ttl, 5s);
  EXPECT_EQ(o.sandbox.client_secret, "s3");
  EXPECT_EQ(o.sandbox.client_id, kDefaultClientId);

  for (const auto& [name, value] :
       std::vector<std::pair<std::string, std::string>>{{"KLINIK_SANDBOX_TOKEN_TTL", "0"},
                                                        {"KLINIK_SANDBOX_LISTEN", "localhost"},
                                                        {"KLINIK_SANDBOX_ORG_ID", "a/b"},
                                                        {"KLINIK_SANDBOX_THREADS", "1"}}) {
    try {
      (void)ReadOptions(Config(std::map<std::string, std::string>{{name, value}}));
      ADD_FAILURE() << name << " accepted " << value;
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
    }
  }
}

TEST(SandboxSeed, SeedFileErrorsNameTheVariableAndTheEntry) {
  std::string path = ::testing::TempDir() + "/sandbox-seed-" + NewUuid() + ".json";
  std::ofstream(path)
      << R"([{"kind":"patient","nik":"3201014501900001","ihs":"P1"},{"kind":"patient","nik":"1"}])";
  try {
    (void)LoadSeedFile(path);
    ADD_FAILURE() << "a malformed seed file was accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("KLINIK_SANDBOX_SEED_FILE: entry 1"), std::string::npos)
        << e.what();
  }
  std::ofstream(path) << R"([{"kind":"practitioner","nik":"3201010101800002","ihs":"N1"}])";
  auto people = LoadSeedFile(path);
  ASSERT_EQ(people.size(), 1u);
  EXPECT_EQ(people[0].ihs, "N1");
  EXPECT_THROW((void)LoadSeedFile(path + ".absent"), ConfigError);
}

TEST(SandboxSeed, RefusesMalformedPeopleWithoutEchoingTheNik) {
  std::string error;
  EXPECT_FALSE(
      ParsePerson({{"kind", "patient"}, {"nik", "320101450190000"}, {"ihs", "P1"}}, &error));
  EXPECT_EQ(error.find("320101450190000"), std::string::npos);
  EXPECT_FALSE(ParsePerson({{"kind", "doctor"}, {"nik", fx::kPatientNik}, {"ihs", "P1"}}, &error));
  EXPECT_FALSE(ParsePerson({{"kind", "patient"}, {"nik", fx::kPatientNik}, {"ihs", ""}}, &error));
  auto ok =
      ParsePerson({{"kind", "practitioner"}, {"nik", fx::kPractitionerNik}, {"ihs", "N1"}}, &error);
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->kind, PersonKind::kPractitioner);
}

}  // namespace
}  // namespace klinik::sandbox

namespace klinik::sandbox {
namespace {

// The store's indexes give the answers a full scan would: by IHS number after a re-seed, and by
// identifier in creation order, without a resource whose update dropped the identifier.
TEST(ResourceStoreIndexes, AnswerLikeAFullScan) {
  ResourceStore store;
  store.Seed({PersonKind::kPatient, "3201010101900001", "P100"});
  store.Seed({PersonKind::kPatient, "3201010101900001", "P200"});  // corrected IHS number
  EXPECT_FALSE(store.FindByIhs(PersonKind::kPatient, "P100").has_value());
  ASSERT_TRUE(store.FindByIhs(PersonKind::kPatient, "P200").has_value());
  EXPECT_EQ(store.FindByIhs(PersonKind::kPatient, "P200")->nik, "3201010101900001");
  EXPECT_FALSE(store.FindByIhs(PersonKind::kPractitioner, "P200").has_value());

  auto with_id = [](const std::string& system, const std::string& value) {
    return json{{"identifier", json::array({{{"system", system}, {"value", value}}})}};
  };
  auto now = Clock::now();
  std::string a = store.Create("Encounter", with_id("sys-a", "v1"), now)["id"];
  std::string b = store.Create("Encounter", with_id("sys-b", "v1"), now)["id"];
  std::string c = store.Create("Encounter", with_id("sys-a", "v1"), now)["id"];
  store.Create("Observation", with_id("sys-a", "v1"), now);
  EXPECT_EQ(store.FindByIdentifier("Encounter", "sys-a", "v1"), a);
  std::vector<std::string> ids;
  for (const json& r : store.SearchByIdentifier("Encounter", "", "v1", true))
    ids.push_back(r["id"]);
  EXPECT_EQ(ids, (std::vector<std::string>{a, b, c}));

  ASSERT_TRUE(store.Update("Encounter", a, with_id("sys-a", "v2"), now).has_value());
  EXPECT_EQ(store.FindByIdentifier("Encounter", "sys-a", "v1"), c);
  EXPECT_EQ(store.FindByIdentifier("Encounter", "sys-a", "v2"), a);
  EXPECT_EQ(store.SearchByIdentifier("Encounter", "sys-a", "v1", false).size(), 1u);
  store.ClearResources();
  EXPECT_FALSE(store.FindByIdentifier("Encounter", "sys-a", "v2").has_value());
}

}  // namespace
}  // namespace klinik::sandbox
