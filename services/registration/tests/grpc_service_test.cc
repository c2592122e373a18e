// PatientDirectory over a real gRPC channel on both backends: lookups, status codes, keyset
// pages, and the register's UNIQUE constraints.
#include "grpc_service.h"

#include <gtest/gtest.h>

#include <set>

#include "klinik/grpc.h"
#include "registrar.h"
#include "store.h"
#include "test_support.h"

namespace registration {
namespace {

using klinik::v1::PatientDirectory;

PatientRecord Person(int serial, std::string name, std::string village = "64.72.04.1004",
                     std::string clinic = "clinic-a") {
  RegistrationRequest r;
  char nik[17];
  std::snprintf(nik, sizeof nik, "64720415069%05d", serial);
  r.nik = nik;
  r.full_name = std::move(name);
  r.birth_date = "1990-06-15";
  r.sex = Sex::kMale;
  r.address = Address{std::move(village), "003", "011", "Jl. Merdeka"};
  r.clinic_id = std::move(clinic);
  r.request_id = "req-" + std::to_string(serial);
  return NewPatient(r, klinik::NewUuid(), klinik::FromUnixMillis(1'795'000'000'000));
}

class PatientDirectoryTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    db_ = klinik::Database::Open(testing::FreshDatabase(GetParam()), 2);
    db_->Migrate("registration", store::Migrations(db_->dialect()));
    directory_ = std::make_unique<registration::GrpcService>(*db_);
    server_ = std::make_unique<klinik::GrpcServer>("127.0.0.1:0", nullptr);
    server_->AddService(directory_.get());
    server_->Start();
    stub_ = PatientDirectory::NewStub(
        klinik::MakeClientChannel("127.0.0.1:" + std::to_string(server_->port())));
  }
  void TearDown() override { server_->Shutdown(std::chrono::milliseconds(100)); }

  void Insert(const std::vector<PatientRecord>& patients) {
    db_->InTransaction([&](klinik::Transaction& tx) {
      for (const auto& p : patients) store::Insert(tx, p);
    });
  }

  grpc::Status Search(klinik::v1::SearchPatientsRequest request,
                      klinik::v1::SearchPatientsResponse* response) {
    auto ctx = klinik::ContextWithDeadline(std::chrono::seconds(5));
    return stub_->SearchPatients(ctx.get(), request, response);
  }

  std::unique_ptr<klinik::Database> db_;
  std::unique_ptr<registration::GrpcService> directory_;
  std::unique_ptr<klinik::GrpcServer> server_;
  std::unique_ptr<PatientDirectory::Stub> stub_;
};

TEST_P(PatientDirectoryTest, GetPatientReturnsTheWholeRecord) {
  PatientRecord p = Person(1, "Siti Aminah");
  p.phone = "081234567890";
  p.bpjs_number = "0001234567890";
  Insert({p});
  klinik::v1::GetPatientRequest request;
  request.set_patient_id(p.patient_id);
  klinik::v1::GetPatientResponse response;
  auto ctx = klinik::ContextWithDeadline(std::chrono::seconds(5));
  ASSERT_TRUE(stub_->GetPatient(ctx.get(), request, &response).ok());
  const auto& got = response.patient();
  EXPECT_EQ(got.patient_id(), p.patient_id);
  EXPECT_EQ(got.nik(), p.nik);
  EXPECT_EQ(got.full_name(), "Siti Aminah");
  EXPECT_EQ(got.birth_date(), "1990-06-15");
  EXPECT_EQ(got.sex(), klinik::v1::SEX_MALE);
  EXPECT_EQ(got.address().village_code(), "64.72.04.1004");
  EXPECT_EQ(got.address().rt(), "003");
  EXPECT_EQ(got.phone(), "081234567890");
  EXPECT_EQ(got.bpjs_number(), "0001234567890");
  EXPECT_EQ(got.clinic_id(), "clinic-a");
  EXPECT_EQ(got.request_id(), "req-1");
  EXPECT_EQ(got.created_at().seconds(), 1'795'000'000);
}

TEST_P(PatientDirectoryTest, UnknownIdsAreNotFoundAndMalformedOnesInvalid) {
  klinik::v1::GetPatientRequest request;
  klinik::v1::GetPatientResponse response;
  request.set_patient_id(klinik::NewUuid());
  auto ctx = klinik::ContextWithDeadline(std::chrono::seconds(5));
  EXPECT_EQ(stub_->GetPatient(ctx.get(), request, &response).error_code(),
            grpc::StatusCode::NOT_FOUND);
  request.set_patient_id("6472041506900001");
  ctx = klinik::ContextWithDeadline(std::chrono::seconds(5));
  grpc::Status st = stub_->GetPatient(ctx.get(), request, &response);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message().find("6472041506900001"), std::string::npos);
}

TEST_P(PatientDirectoryTest, FindPatientByNik) {
  PatientRecord p = Person(2, "Budi");
  Insert({p});
  klinik::v1::FindPatientByNikRequest request;
  klinik::v1::FindPatientByNikResponse response;
  request.set_nik(p.nik);
  auto ctx = klinik::ContextWithDeadline(std::chrono::seconds(5));
  ASSERT_TRUE(stub_->FindPatientByNik(ctx.get(), request, &response).ok());
  EXPECT_EQ(response.patient().patient_id(), p.patient_id);

  request.set_nik("6472041506900999");
  ctx = klinik::ContextWithDeadline(std::chrono::seconds(5));
  EXPECT_EQ(stub_->FindPatientByNik(ctx.get(), request, &response).error_code(),
            grpc::StatusCode::NOT_FOUND);

  for (const char* bad : {"647204150690", "6472041513900001", "9972041506900001", ""}) {
    request.set_nik(bad);
    ctx = klinik::ContextWithDeadline(std::chrono::seconds(5));
    grpc::Status st = stub_->FindPatientByNik(ctx.get(), request, &response);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << bad;
    EXPECT_FALSE(st.error_message().empty());
    if (*bad) {
      EXPECT_EQ(st.error_message().find(bad), std::string::npos)
          << "the message never echoes the NIK";
    }
  }
}

TEST_P(PatientDirectoryTest, SearchPagesThroughAVillageInNameOrderWithoutGapsOrRepeats) {
  std::vector<PatientRecord> people;
  for (int i = 0; i < 7; ++i)
    people.push_back(Person(10 + i, std::string(1, static_cast<char>('G' - i)) + " Warga"));
  people.push_back(Person(30, "a warga"));  // sorts case-insensitively with "A Warga"
  people.push_back(Person(31, "Zaenal", "64.72.05.1001"));
  Insert(people);

  klinik::v1::SearchPatientsRequest request;
  request.set_village_code("64.72.04.1004");
  request.set_page_size(3);
  std::vector<std::string> names;
  std::set<std::string> ids;
  int pages = 0;
  for (;;) {
    klinik::v1::SearchPatientsResponse response;
    ASSERT_TRUE(Search(request, &response).ok());
    ++pages;
    for (const auto& p : response.patients()) {
      names.push_back(p.full_name());
      ids.insert(p.patient_id());
    }
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
    ASSERT_LT(pages, 10);
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(ids.size(), 8u);
  ASSERT_EQ(names.size(), 8u);
  EXPECT_EQ(names[2], "B Warga");
  EXPECT_EQ(names.back(), "G Warga");
  EXPECT_TRUE(std::is_sorted(
      names.begin(), names.end(),
      [](const std::string& a, const std::string& b) { return NameKey(a) < NameKey(b); }));
}

TEST_P(PatientDirectoryTest, SearchFiltersByClinicAndNamePrefix) {
  Insert({Person(1, "Siti Aminah"), Person(2, "SITI Rahma", "64.72.05.1001"),
          Person(3, "Sitompul", "64.72.04.1004", "clinic-b"),
          Person(4, "Budi", "64.72.04.1004", "clinic-a")});
  klinik::v1::SearchPatientsRequest request;
  request.set_clinic_id("clinic-a");
  request.set_name_prefix("siti");
  klinik::v1::SearchPatientsResponse response;
  ASSERT_TRUE(Search(request, &response).ok());
  std::vector<std::string> names;
  for (const auto& p : response.patients()) names.push_back(p.full_name());
  EXPECT_EQ(names, (std::vector<std::string>{"Siti Aminah", "SITI Rahma"}));
  EXPECT_TRUE(response.next_page_token().empty());

  request.set_village_code("64.72.04.1004");
  request.set_name_prefix("SIT");
  request.clear_clinic_id();
  response.Clear();
  ASSERT_TRUE(Search(request, &response).ok());
  EXPECT_EQ(response.patients_size(), 2) << "Siti Aminah and Sitompul";
}

TEST_P(PatientDirectoryTest, SearchRefusesMissingFiltersBadSizesAndForeignTokens) {
  klinik::v1::SearchPatientsResponse response;
  klinik::v1::SearchPatientsRequest request;
  EXPECT_EQ(Search(request, &response).error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << "no filter";
  request.set_village_code("64.72.04.1004");
  request.set_page_size(501);
  EXPECT_EQ(Search(request, &response).error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << "page too big";
  request.set_page_size(-1);
  EXPECT_EQ(Search(request, &response).error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << "negative page";
  request.set_page_size(0);
  request.set_page_token("bm90IGEgdG9rZW4");
  grpc::Status st = Search(request, &response);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(st.error_message().find("page_token"), std::string::npos);
  request.clear_page_token();
  request.set_village_code("6472041004");
  EXPECT_EQ(Search(request, &response).error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << "bad village";
}

TEST_P(PatientDirectoryTest, TheRegisterHoldsOnePatientPerNikAndPerNewbornKey) {
  PatientRecord first = Person(1, "Budi");
  Insert({first});
  PatientRecord same_nik = Person(1, "Budi Again");
  try {
    Insert({same_nik});
    ADD_FAILURE() << "a second row with the same NIK was accepted";
  } catch (const klinik::StorageError& e) {
    EXPECT_EQ(e.kind(), klinik::StorageErrorKind::kUniqueViolation) << e.what();
  }
  auto newborn = [](int order) {
    PatientRecord p = Person(99, "Bayi");
    p.nik.clear();
    p.mother_nik = "3201015203950007";
    p.birth_order = order;
    return p;
  };
  Insert({newborn(1), newborn(2)});  // twins; rows without NIK never collide on the NIK index
  try {
    Insert({newborn(1)});
    ADD_FAILURE() << "a second newborn with the same mother, date and order was accepted";
  } catch (const klinik::StorageError& e) {
    EXPECT_EQ(e.kind(), klinik::StorageErrorKind::kUniqueViolation) << e.what();
  }
  EXPECT_EQ(db_->Read([](klinik::Transaction& tx) {
    return tx.Query("SELECT COUNT(*) FROM registration_patients").front().Int(0);
  }),
            3);
}

INSTANTIATE_TEST_SUITE_P(Backends, PatientDirectoryTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace registration
