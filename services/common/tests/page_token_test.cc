// Unit tests of the page token codec every paged RPC uses.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>

#include "klinik/page_token.h"

namespace klinik {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const PageTokenCodec<int64_t, std::string> kTimeAndId("Test.ListThings");
const PageTokenCodec<std::string, std::string> kNameAndId("Test.SearchThings");
constexpr const char* kId = "0b6e7c8a-4f1d-4c2b-9a53-2f0e6d1c7b90";

TEST(PageToken, RoundTripsEveryCursor) {
  for (int64_t ms : {int64_t{0}, int64_t{1795000000123}, int64_t{-86400000},
                     std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()}) {
    std::string token = kTimeAndId.Encode({ms, kId});
    EXPECT_EQ(kTimeAndId.Decode(token), std::make_tuple(ms, std::string(kId))) << token;
  }
  for (const std::string& name : {std::string("siti aminah"), std::string("dewi \u00e9 \u4e2d"),
                                  std::string(""), std::string(300, 'a')}) {
    std::string token = kNameAndId.Encode({name, kId});
    EXPECT_EQ(kNameAndId.Decode(token), std::make_tuple(name, std::string(kId))) << token;
  }
}

TEST(PageToken, IsUrlSafeAndDoesNotShowItsFieldsInClearText) {
  std::string token = kNameAndId.Encode({"siti aminah", kId});
  EXPECT_EQ(
      token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
      std::string::npos)
      << token;
  EXPECT_THAT(token, Not(HasSubstr("siti")));
  EXPECT_THAT(token, Not(HasSubstr("0b6e7c8a")));
  EXPECT_THAT(kTimeAndId.Encode({1795000000123, kId}), Not(HasSubstr("1795000000123")));
}

TEST(PageToken, RefusesWhatItDidNotMake) {
  std::string good = kTimeAndId.Encode({1795000000123, kId});
  std::string edited = good;
  edited[5] = edited[5] == 'A' ? 'B' : 'A';
  const PageTokenCodec<int64_t, std::string> other_rpc("Test.ListOtherThings");
  const PageTokenCodec<int64_t, int64_t> other_shape("Test.ListThings");
  for (const std::string& bad :
       {std::string("not a token!"), std::string("garbage"), std::string("bm90IGEgdG9rZW4"),
        good.substr(0, good.size() - 3), good + "A", good + "=", edited,
        std::string("1795000000123_") + kId, std::string(kMaxPageTokenLength + 1, 'A')}) {
    EXPECT_FALSE(kTimeAndId.Decode(bad)) << bad;
  }
  EXPECT_FALSE(other_rpc.Decode(good)) << "another RPC's token";
  EXPECT_FALSE(other_shape.Decode(good)) << "another cursor shape";
  EXPECT_FALSE(kNameAndId.Decode(kNameAndId.Encode({std::string("bu\0di", 5), kId}))) << "NUL";
  EXPECT_FALSE(kNameAndId.Decode(kNameAndId.Encode({"\xff\xfe", kId}))) << "not UTF-8";
  EXPECT_FALSE(kNameAndId.Decode(kNameAndId.Encode({"tab\there", kId}))) << "control character";
}

TEST(PageToken, ParseTreatsEmptyAsTheFirstPageAndRefusesGarbageWithInvalidArgument) {
  std::optional<PageTokenCodec<int64_t, std::string>::Cursor> after =
      std::make_tuple(int64_t{1}, std::string("stale"));
  EXPECT_TRUE(kTimeAndId.Parse("", &after).ok());
  EXPECT_FALSE(after.has_value());

  ASSERT_TRUE(kTimeAndId.Parse(kTimeAndId.Encode({42, kId}), &after).ok());
  EXPECT_EQ(after, std::make_tuple(int64_t{42}, std::string(kId)));

  grpc::Status refused = kTimeAndId.Parse("garbage", &after);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(refused.error_message(), HasSubstr("page_token"));
  EXPECT_THAT(refused.error_message(), HasSubstr("Test.ListThings"));
  EXPECT_FALSE(after.has_value());
}

}  // namespace
}  // namespace klinik
