// Settings::FromConfig: the values KLINIK_* variables accept, and the one-line error naming the
// variable for the ones they do not.
#include "settings.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "klinik/config.h"

namespace pharmacy {
namespace {

using ::testing::HasSubstr;

Settings Read(std::map<std::string, std::string> env) {
  return Settings::FromConfig(klinik::Config(std::move(env)));
}

// Config::UtcOffset (common's unit tests) parses every form; here: pharmacy reads it.
TEST(Settings, LocalOffsetIsReadByOffsetOrZoneName) {
  EXPECT_EQ(Read({}).calendar.utc_offset_minutes, 7 * 60);
  EXPECT_EQ(Read({{"KLINIK_LOCAL_UTC_OFFSET", "+09:00"}}).calendar.utc_offset_minutes, 540);
  EXPECT_EQ(Read({{"KLINIK_LOCAL_UTC_OFFSET", "WITA"}}).calendar.utc_offset_minutes, 480);
}

TEST(Settings, BadValuesNameTheirVariable) {
  for (const auto& [variable, value] :
       std::vector<std::pair<std::string, std::string>>{{"KLINIK_LOCAL_UTC_OFFSET", "+15:00"},
                                                        {"KLINIK_LOCAL_UTC_OFFSET", "Asia/Jakarta"},
                                                        {"KLINIK_EXPIRY_CHECK_INTERVAL", "0s"}}) {
    try {
      (void)Read({{variable, value}});
      ADD_FAILURE() << "accepted " << variable << "=" << value;
    } catch (const klinik::ConfigError& e) {
      EXPECT_THAT(e.what(), HasSubstr(variable + ": ")) << value;
    }
  }
}

}  // namespace
}  // namespace pharmacy
