// Unit tests of klinik/grpc.h's pure parts: the one mapping of a storage failure to a status.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

#include "klinik/grpc.h"
#include "klinik/log.h"
#include "klinik/storage.h"

namespace klinik {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// What a backend may put in what(): the statement and a row's values (here a NIK).
constexpr const char* kLeakyWhat =
    "PostgreSQL: duplicate key value violates unique constraint \"patients_nik\" DETAIL: Key "
    "(nik)=(3201014501900001) already exists. in: SELECT nik FROM patients WHERE nik = $1";

struct StorageCase {
  StorageErrorKind kind;
  grpc::StatusCode code;
};

class StorageErrorStatusTest : public ::testing::TestWithParam<StorageCase> {
 protected:
  void SetUp() override { log::SetSink(&logs_); }
  void TearDown() override { log::SetSink(nullptr); }
  std::ostringstream logs_;
};

TEST_P(StorageErrorStatusTest, RetryableIsUnavailablePermanentIsInternalAndNothingLeaks) {
  grpc::Status status = StorageErrorStatus(StorageError(GetParam().kind, kLeakyWhat), "GetPatient");
  EXPECT_EQ(status.error_code(), GetParam().code);
  for (const char* leak : {"3201014501900001", "SELECT", "patients", "PostgreSQL", "nik"}) {
    EXPECT_THAT(status.error_message(), Not(HasSubstr(leak)));
  }
  EXPECT_THAT(logs_.str(), HasSubstr("GetPatient"));
  EXPECT_THAT(logs_.str(), Not(HasSubstr("3201014501900001"))) << "the log is scrubbed";
}

INSTANTIATE_TEST_SUITE_P(
    Kinds, StorageErrorStatusTest,
    ::testing::Values(StorageCase{StorageErrorKind::kTransient, grpc::StatusCode::UNAVAILABLE},
                      StorageCase{StorageErrorKind::kUniqueViolation,
                                  grpc::StatusCode::UNAVAILABLE},
                      StorageCase{StorageErrorKind::kPermanent, grpc::StatusCode::INTERNAL}));

}  // namespace
}  // namespace klinik
