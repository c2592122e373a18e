// Configuration is validated at start and every error names its variable; the secret is never
// part of an error message.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "settings.h"

namespace satusehat_sync {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::map<std::string, std::string> Valid() {
  return {{"KLINIK_SATUSEHAT_ORG_ID", "10000004"},
          {"KLINIK_SATUSEHAT_LOCATION_ID", "b017aa54-f1df-4ec2-9d84-8823815d7228"},
          {"KLINIK_SATUSEHAT_CLIENT_ID", "client"},
          {"KLINIK_SATUSEHAT_CLIENT_SECRET", "s3cr3t-value"}};
}

std::string ErrorOf(std::map<std::string, std::string> values) {
  try {
    (void)Settings::FromConfig(klinik::Config(std::move(values)));
  } catch (const klinik::ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(Settings, DefaultsPointAtStagingAndTrailingSlashesAreDropped) {
  auto values = Valid();
  values["KLINIK_SATUSEHAT_FHIR_URL"] = "http://127.0.0.1:8080/fhir-r4/v1/";
  Settings s = Settings::FromConfig(klinik::Config(values));
  EXPECT_EQ(s.auth_url, "https://api-satusehat-stg.dto.kemkes.go.id/oauth2/v1");
  EXPECT_EQ(s.fhir_url, "http://127.0.0.1:8080/fhir-r4/v1");
  EXPECT_EQ(s.site.org_id, "10000004");
  EXPECT_EQ(s.client_secret, "s3cr3t-value");
  EXPECT_EQ(s.patient_retry, std::chrono::hours(1));
  EXPECT_EQ(s.max_attempts, 10);
}

TEST(Settings, EachBadValueNamesItsVariable) {
  struct Case {
    std::string variable;
    std::string value;  // "" = remove it
  };
  for (const Case& c : std::vector<Case>{{"KLINIK_SATUSEHAT_ORG_ID", ""},
                                         {"KLINIK_SATUSEHAT_ORG_ID", "1000/0004"},
                                         {"KLINIK_SATUSEHAT_LOCATION_ID", ""},
                                         {"KLINIK_SATUSEHAT_CLIENT_ID", ""},
                                         {"KLINIK_SATUSEHAT_CLIENT_SECRET", ""},
                                         {"KLINIK_SATUSEHAT_FHIR_URL", "ftp://host/fhir"},
                                         {"KLINIK_SATUSEHAT_RATE", "0"},
                                         {"KLINIK_SATUSEHAT_TIMEOUT", "soon"},
                                         {"KLINIK_SYNC_MAX_ATTEMPTS", "0"},
                                         {"KLINIK_SYNC_BACKOFF_MAX", "1ms"},
                                         {"KLINIK_SYNC_POLL_INTERVAL", "0s"},
                                         {"KLINIK_SYNC_LEASE", "10s"}}) {
    auto values = Valid();
    if (c.value.empty()) {
      values.erase(c.variable);
    } else {
      values[c.variable] = c.value;
    }
    std::string error = ErrorOf(values);
    EXPECT_THAT(error, HasSubstr(c.variable)) << c.variable << "=" << c.value;
    EXPECT_THAT(error, Not(HasSubstr("s3cr3t-value")));
  }
}

}  // namespace
}  // namespace satusehat_sync
