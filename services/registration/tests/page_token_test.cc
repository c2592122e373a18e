// Page tokens: what SearchPatients hands out comes back as the same keyset position; anything
// else is refused (the directory answers INVALID_ARGUMENT).
#include "page_token.h"

#include <gtest/gtest.h>

namespace registration {
namespace {

constexpr char kId[] = "0b6f2a8e-5a43-4f3e-9d2b-6a1c3e5f7a90";

TEST(PageToken, RoundTripsNameKeyAndPatientId) {
  for (std::string name : {"a", "siti aminah", "ni luh putu ayu", "Élise ñ 漢字"}) {
    std::string token = EncodePageToken({name, kId});
    EXPECT_EQ(
        token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
        std::string::npos)
        << "URL-safe and opaque";
    auto key = DecodePageToken(token);
    ASSERT_TRUE(key) << name;
    EXPECT_EQ(key->name_key, name);
    EXPECT_EQ(key->patient_id, kId);
  }
}

TEST(PageToken, DoesNotShowTheNameInClearText) {
  EXPECT_EQ(EncodePageToken({"siti aminah", kId}).find("siti"), std::string::npos);
}

TEST(PageToken, RefusesWhatItDidNotMake) {
  std::string good = EncodePageToken({"budi", kId});
  EXPECT_FALSE(DecodePageToken(""));
  EXPECT_FALSE(DecodePageToken("not a token!"));
  EXPECT_FALSE(DecodePageToken(good.substr(0, good.size() - 3))) << "truncated";
  EXPECT_FALSE(DecodePageToken(good + "A")) << "extra character";
  EXPECT_FALSE(DecodePageToken(EncodePageToken({"budi", "not-a-uuid-at-all-not-a-uuid-at-all0"})));
  EXPECT_FALSE(DecodePageToken(EncodePageToken({std::string("bu\0di", 5), kId})))
      << "NUL in the name key";
  EXPECT_FALSE(DecodePageToken(EncodePageToken({"\xff\xfe", kId}))) << "not UTF-8";
  EXPECT_FALSE(DecodePageToken(EncodePageToken({"", kId}))) << "names are never empty";
}

}  // namespace
}  // namespace registration
