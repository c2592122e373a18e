// The intake handler inside a real transaction on both backends, without Kafka: which fact each
// request produces (kind, key, ce_type, content), what the register holds afterwards, and that
// two concurrent registrations of one new NIK end as one patient.
#include "intake_handler.h"

#include <gtest/gtest.h>

#include <future>
#include <nlohmann/json.hpp>

#include "klinik/metrics.h"
#include "klinik/outbox.h"
#include "klinik/topics.h"
#include "store.h"
#include "test_support.h"

namespace registration {
namespace {

using klinik::HandleResult;
using testing::Registration;
namespace types = testing::types;

struct Fact {
  std::string topic;
  std::string key;
  std::string ce_type;
  std::string ce_subject;
  klinik::v1::PatientEvent event;
};

class IntakeHandlerTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    url_ = testing::FreshDatabase(GetParam());
    db_ = klinik::Database::Open(url_, 4);
    db_->Migrate("klinik_platform", klinik::PlatformMigrations());
    db_->Migrate("registration", store::Migrations(db_->dialect()));
  }

  IntakeHandler MakeHandler() {
    return IntakeHandler(RegistrationValidator([] {
                           return klinik::CivilDate{2026, 11, 23};
                         }),
                         metrics_, [] { return klinik::FromUnixMillis(1'795'000'000'000); });
  }

  static klinik::ConsumedMessage Message(const klinik::v1::RegistrationIntake& intake) {
    klinik::ConsumedMessage m;
    m.topic = std::string(klinik::topics::kIntakeRegistration);
    m.value = intake.SerializeAsString();
    return m;
  }

  // One event in one transaction, as the consume loop runs it.
  HandleResult Handle(IntakeHandler& handler, const klinik::ConsumedMessage& m,
                      std::string_view ce_type) {
    klinik::CloudEvent ce = klinik::NewCloudEvent(std::string(ce_type), "/test", "subject");
    return klinik::InOutboxTransaction(*db_, "/klinik/registration",
                                       [&](klinik::OutboxWriter& out) {
                                         return handler.Handle(klinik::InboundEvent{m, ce}, out);
                                       });
  }

  HandleResult Register(const klinik::v1::RegisterPatient& r) {
    IntakeHandler handler = MakeHandler();
    klinik::v1::RegistrationIntake intake;
    *intake.mutable_register_patient() = r;
    return Handle(handler, Message(intake), types::kRegisterPatient);
  }

  HandleResult Update(const klinik::v1::UpdateContactDetails& u) {
    IntakeHandler handler = MakeHandler();
    klinik::v1::RegistrationIntake intake;
    *intake.mutable_update_contact() = u;
    return Handle(handler, Message(intake), types::kUpdateContactDetails);
  }

  std::vector<Fact> Facts() {
    std::vector<Fact> out;
    for (const klinik::OutboxRow& r :
         db_->Read([](klinik::Transaction& tx) { return klinik::ReadOutbox(tx); })) {
      Fact f{r.message.topic, r.message.key, "", "", {}};
      EXPECT_TRUE(f.event.ParseFromString(r.message.value));
      f.ce_type = klinik::FindHeader(r.message.headers, "ce_type").value_or("");
      f.ce_subject = klinik::FindHeader(r.message.headers, "ce_subject").value_or("");
      out.push_back(std::move(f));
    }
    return out;
  }

  int64_t Patients() {
    return db_->Read([](klinik::Transaction& tx) {
      return tx.Query("SELECT COUNT(*) FROM registration_patients").front().Int(0);
    });
  }

  std::string url_;
  std::unique_ptr<klinik::Database> db_;
  klinik::Metrics registry_{"registration-test"};
  ServiceMetrics metrics_{registry_};
};

TEST_P(IntakeHandlerTest, NewNikIsRegisteredWithAFactKeyedByTheNewPatientId) {
  EXPECT_EQ(Register(Registration("req-1", 1)).kind(), HandleResult::Kind::kApplied);
  auto facts = Facts();
  ASSERT_EQ(facts.size(), 1u);
  const auto& registered = facts[0].event.patient_registered();
  ASSERT_TRUE(facts[0].event.has_patient_registered());
  EXPECT_TRUE(klinik::IsUuid(registered.patient_id()));
  EXPECT_EQ(facts[0].topic, klinik::topics::kPatients);
  EXPECT_EQ(facts[0].key, registered.patient_id());
  EXPECT_EQ(facts[0].ce_subject, registered.patient_id());
  EXPECT_EQ(facts[0].ce_type, types::kPatientRegistered);
  EXPECT_EQ(registered.request_id(), "req-1");
  EXPECT_EQ(registered.nik(), "6472041506900001");
  EXPECT_EQ(registered.birth_date(), "1990-06-15");
  EXPECT_EQ(registered.sex(), klinik::v1::SEX_MALE);
  EXPECT_EQ(registered.village_code(), "64.72.04.1004");
  EXPECT_EQ(registered.clinic_id(), "clinic-a");
  EXPECT_EQ(registered.registered_at().seconds(), 1'795'000'000);
  EXPECT_TRUE(registered.warnings().empty());
  EXPECT_EQ(Patients(), 1);
}

TEST_P(IntakeHandlerTest, WarningsTravelWithTheRegisteredFact) {
  auto r = Registration("req-1", 1);
  r.set_birth_date("1990-06-16");
  r.set_sex(klinik::v1::SEX_FEMALE);
  EXPECT_EQ(Register(r).kind(), HandleResult::Kind::kApplied);
  auto facts = Facts();
  ASSERT_EQ(facts.size(), 1u);
  std::set<std::string> codes;
  for (const auto& w : facts[0].event.patient_registered().warnings()) codes.insert(w.code());
  EXPECT_EQ(codes, (std::set<std::string>{"NIK_BIRTH_DATE_MISMATCH", "NIK_SEX_MISMATCH"}));
}

TEST_P(IntakeHandlerTest, SecondRegistrationOfTheNikIsMatchedAndCreatesNothing) {
  ASSERT_EQ(Register(Registration("req-1", 1)).kind(), HandleResult::Kind::kApplied);
  EXPECT_EQ(Register(Registration("req-2", 1, "BUDI S.", "clinic-b")).kind(),
            HandleResult::Kind::kApplied);
  auto facts = Facts();
  ASSERT_EQ(facts.size(), 2u);
  ASSERT_TRUE(facts[1].event.has_registration_matched());
  const auto& matched = facts[1].event.registration_matched();
  EXPECT_EQ(matched.patient_id(), facts[0].event.patient_registered().patient_id());
  EXPECT_EQ(matched.request_id(), "req-2");
  EXPECT_EQ(matched.clinic_id(), "clinic-b");
  ASSERT_EQ(matched.warnings_size(), 1);
  EXPECT_EQ(matched.warnings(0).code(), "NAME_DIFFERS");
  EXPECT_EQ(facts[1].key, matched.patient_id());
  EXPECT_EQ(facts[1].ce_type, types::kRegistrationMatched);
  EXPECT_EQ(Patients(), 1);
}

TEST_P(IntakeHandlerTest, SameNikWithAnotherBirthDateIsRejectedAsConflict) {
  ASSERT_EQ(Register(Registration("req-1", 1)).kind(), HandleResult::Kind::kApplied);
  auto r = Registration("req-2", 1);
  r.set_birth_date("1991-01-01");
  EXPECT_EQ(Register(r).kind(), HandleResult::Kind::kRejected);
  auto facts = Facts();
  ASSERT_EQ(facts.size(), 2u);
  ASSERT_TRUE(facts[1].event.has_registration_rejected());
  const auto& rejected = facts[1].event.registration_rejected();
  ASSERT_EQ(rejected.reasons_size(), 1);
  EXPECT_EQ(rejected.reasons(0).code(), "NIK_CONFLICT");
  EXPECT_EQ(rejected.request_id(), "req-2");
  EXPECT_EQ(rejected.patient_id(), "") << "a refused registration names no patient";
  EXPECT_EQ(facts[1].key, "req-2");
  EXPECT_EQ(facts[1].ce_type, types::kRegistrationRejected);
  EXPECT_EQ(Patients(), 1);
}

TEST_P(IntakeHandlerTest, InvalidRegistrationIsRejectedWithEveryReasonAndStoresNothing) {
  auto r = Registration("req-9", 1);
  r.set_nik("9972041513900001");
  r.set_full_name("");
  r.mutable_address()->set_village_code("64.72.04");
  EXPECT_EQ(Register(r).kind(), HandleResult::Kind::kRejected);
  auto facts = Facts();
  ASSERT_EQ(facts.size(), 1u);
  std::set<std::string> codes;
  for (const auto& reason : facts[0].event.registration_rejected().reasons())
    codes.insert(reason.code());
  EXPECT_EQ(codes, (std::set<std::string>{"NIK_PROVINCE", "NIK_MONTH", "NAME_MISSING",
                                          "VILLAGE_CODE_FORMAT"}));
  EXPECT_EQ(facts[0].key, "req-9");
  EXPECT_EQ(Patients(), 0);
}

TEST_P(IntakeHandlerTest, NewbornsAreOnePatientPerMotherBirthDateAndOrder) {
  auto newborn = [](const std::string& request_id, int order) {
    auto r = Registration(request_id, 1, "Bayi Ny. Siti");
    r.clear_nik();
    r.set_mother_nik("3201015203950007");
    r.set_birth_order(order);
    r.set_birth_date("2026-11-20");
    return r;
  };
  EXPECT_EQ(Register(newborn("twin-1", 1)).kind(), HandleResult::Kind::kApplied);
  EXPECT_EQ(Register(newborn("twin-2", 2)).kind(), HandleResult::Kind::kApplied);
  EXPECT_EQ(Register(newborn("twin-1-again", 1)).kind(), HandleResult::Kind::kApplied);
  auto facts = Facts();
  ASSERT_EQ(facts.size(), 3u);
  EXPECT_TRUE(facts[0].event.has_patient_registered());
  EXPECT_EQ(facts[0].event.patient_registered().mother_nik(), "3201015203950007");
  EXPECT_EQ(facts[0].event.patient_registered().birth_order(), 1);
  EXPECT_TRUE(facts[1].event.has_patient_registered());
  ASSERT_TRUE(facts[2].event.has_registration_matched());
  EXPECT_EQ(facts[2].event.registration_matched().patient_id(),
            facts[0].event.patient_registered().patient_id());
  EXPECT_EQ(Patients(), 2);
}

TEST_P(IntakeHandlerTest, ContactUpdateChangesThePatientAndNamesTheFields) {
  ASSERT_EQ(Register(Registration("req-1", 1)).kind(), HandleResult::Kind::kApplied);
  std::string id = Facts()[0].event.patient_registered().patient_id();
  klinik::v1::UpdateContactDetails u;
  u.set_request_id("req-u");
  u.set_patient_id(id);
  u.set_clinic_id("clinic-b");
  u.set_phone("+6281111111111");
  u.mutable_address()->set_village_code("64.72.05.2001");
  EXPECT_EQ(Update(u).kind(), HandleResult::Kind::kApplied);
  auto facts = Facts();
  ASSERT_EQ(facts.size(), 2u);
  ASSERT_TRUE(facts[1].event.has_patient_updated());
  const auto& updated = facts[1].event.patient_updated();
  EXPECT_EQ(updated.patient_id(), id);
  EXPECT_EQ(updated.request_id(), "req-u");
  EXPECT_EQ(updated.village_code(), "64.72.05.2001");
  EXPECT_EQ(
      std::vector<std::string>(updated.changed_fields().begin(), updated.changed_fields().end()),
      (std::vector<std::string>{"address", "phone"}));
  EXPECT_EQ(facts[1].key, id);
  EXPECT_EQ(facts[1].ce_type, types::kPatientUpdated);
  auto stored = db_->Read([&](klinik::Transaction& tx) { return store::FindById(tx, id); });
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->phone, "+6281111111111");
  EXPECT_EQ(stored->address.village_code, "64.72.05.2001");
  EXPECT_EQ(stored->address.street, "") << "the address is replaced as a whole";
  EXPECT_EQ(stored->full_name, "Budi Santoso");
}

TEST_P(IntakeHandlerTest, ContactUpdateOfAnUnknownPatientIsRejected) {
  klinik::v1::UpdateContactDetails u;
  u.set_request_id("req-u");
  u.set_patient_id("0b6f2a8e-5a43-4f3e-9d2b-6a1c3e5f7a90");
  u.set_clinic_id("clinic-b");
  u.set_phone("081234567890");
  EXPECT_EQ(Update(u).kind(), HandleResult::Kind::kRejected);
  auto facts = Facts();
  ASSERT_EQ(facts.size(), 1u);
  const auto& rejected = facts[0].event.registration_rejected();
  ASSERT_EQ(rejected.reasons_size(), 1);
  EXPECT_EQ(rejected.reasons(0).code(), "PATIENT_UNKNOWN");
  EXPECT_EQ(rejected.patient_id(), u.patient_id());
  EXPECT_EQ(facts[0].key, u.patient_id());
}

TEST_P(IntakeHandlerTest, UndecodableOrMislabelledIntakeIsDeadLettered) {
  IntakeHandler handler = MakeHandler();
  klinik::ConsumedMessage garbage;
  garbage.value = std::string("\xff\xff\xff\xff\x0f", 5);
  EXPECT_EQ(Handle(handler, garbage, types::kRegisterPatient).kind(),
            HandleResult::Kind::kDeadLetter);
  klinik::v1::RegistrationIntake empty;
  EXPECT_EQ(Handle(handler, Message(empty), types::kRegisterPatient).kind(),
            HandleResult::Kind::kDeadLetter);
  klinik::v1::RegistrationIntake intake;
  *intake.mutable_register_patient() = Registration("req-1", 1);
  EXPECT_EQ(Handle(handler, Message(intake), types::kUpdateContactDetails).kind(),
            HandleResult::Kind::kDeadLetter);
  EXPECT_TRUE(Facts().empty());
  EXPECT_EQ(Patients(), 0);
}

// Each kind labelled with the other's ce_type: a dead letter naming the header and the payload's
// kind, with nothing stored or published; the same payloads rightly labelled are then applied.
TEST_P(IntakeHandlerTest, CeTypeMismatchIsDeadLetterAndChangesNothing) {
  ASSERT_EQ(Register(Registration("req-1", 1)).kind(), HandleResult::Kind::kApplied);
  const std::string id = Facts()[0].event.patient_registered().patient_id();
  IntakeHandler handler = MakeHandler();
  klinik::v1::RegistrationIntake update;
  update.mutable_update_contact()->set_request_id("req-u");
  update.mutable_update_contact()->set_patient_id(id);
  update.mutable_update_contact()->set_clinic_id("clinic-a");
  update.mutable_update_contact()->set_phone("+6281111111111");
  klinik::v1::RegistrationIntake registration;
  *registration.mutable_register_patient() = Registration("req-2", 2);

  auto phone = [&] {
    return db_->Read([&](klinik::Transaction& tx) { return store::FindById(tx, id)->phone; });
  };
  const std::string phone_before = phone();

  HandleResult r = Handle(handler, Message(update), types::kRegisterPatient);
  EXPECT_EQ(r.kind(), HandleResult::Kind::kDeadLetter);
  EXPECT_EQ(r.detail(),
            "ce_type '" + std::string(types::kRegisterPatient) + "' does not match update_contact");
  r = Handle(handler, Message(registration), types::kUpdateContactDetails);
  EXPECT_EQ(r.kind(), HandleResult::Kind::kDeadLetter);
  EXPECT_EQ(r.detail(), "ce_type '" + std::string(types::kUpdateContactDetails) +
                            "' does not match register_patient");
  EXPECT_EQ(Facts().size(), 1u);
  EXPECT_EQ(Patients(), 1);
  EXPECT_EQ(phone(), phone_before);

  EXPECT_EQ(Handle(handler, Message(update), types::kUpdateContactDetails).kind(),
            HandleResult::Kind::kApplied);
  EXPECT_EQ(phone(), "+6281111111111");
  EXPECT_EQ(Handle(handler, Message(registration), types::kRegisterPatient).kind(),
            HandleResult::Kind::kApplied);
  EXPECT_EQ(Patients(), 2);
}

// Two replicas register the same new NIK at once. On PostgreSQL the second INSERT waits for the
// first transaction and then fails with a unique violation, which the consume loop retries; on
// SQLite the second writer waits at BEGIN. Either way: one patient, one Registered, one Matched.
TEST_P(IntakeHandlerTest, ConcurrentRegistrationsOfOneNewNikEndAsOnePatient) {
  std::promise<void> first_inserted, release_first;
  int64_t first_pid = 0;
  auto first = std::async(std::launch::async, [&] {
    IntakeHandler handler = MakeHandler();
    klinik::v1::RegistrationIntake intake;
    *intake.mutable_register_patient() = Registration("req-a", 7);
    klinik::CloudEvent ce =
        klinik::NewCloudEvent(std::string(types::kRegisterPatient), "/test", "s");
    klinik::ConsumedMessage m = Message(intake);
    return db_->InTransaction([&](klinik::Transaction& tx) {
      klinik::OutboxWriter out(tx, "/klinik/registration");
      HandleResult r = handler.Handle(klinik::InboundEvent{m, ce}, out);
      if (tx.dialect() == klinik::Dialect::kPostgres)
        first_pid = tx.Query("SELECT pg_backend_pid()").front().Int(0);
      first_inserted.set_value();
      release_first.get_future().wait();  // hold the transaction open
      return r.kind();
    });
  });
  first_inserted.get_future().wait();

  int unique_violations = 0;
  auto second = std::async(std::launch::async, [&] {
    for (;;) {
      try {
        return Register(Registration("req-b", 7)).kind();
      } catch (const klinik::StorageError& e) {
        EXPECT_EQ(e.kind(), klinik::StorageErrorKind::kUniqueViolation) << e.what();
        if (++unique_violations > 3) throw;
      }
    }
  });
  bool second_blocked = true;
  if (GetParam() == "postgres") {
    // Release the first only once the second is really blocked on it.
    auto observer = klinik::Database::Open(url_, 1);
    second_blocked = klinik::testing::WaitUntil(
        [&] {
          return observer->Read([&](klinik::Transaction& tx) {
            return tx
                .Query(
                    "SELECT COUNT(*) FROM pg_stat_activity WHERE $1::integer = "
                    "ANY(pg_blocking_pids(pid))",
                    {first_pid})
                .front()
                .Int(0);
          }) > 0;
        },
        std::chrono::seconds(10));
  }
  release_first.set_value();  // before any assertion, so a failure cannot leave a thread waiting
  EXPECT_TRUE(second_blocked) << "the second INSERT did not wait for the first: no UNIQUE index?";
  EXPECT_EQ(first.get(), HandleResult::Kind::kApplied);
  EXPECT_EQ(second.get(), HandleResult::Kind::kApplied);
  if (GetParam() == "postgres") {
    EXPECT_EQ(unique_violations, 1) << "the database, not memory, refused the second";
  }

  EXPECT_EQ(Patients(), 1);
  auto facts = Facts();
  ASSERT_EQ(facts.size(), 2u);
  EXPECT_TRUE(facts[0].event.has_patient_registered());
  ASSERT_TRUE(facts[1].event.has_registration_matched());
  EXPECT_EQ(facts[1].event.registration_matched().request_id(), "req-b");
  EXPECT_EQ(facts[1].event.registration_matched().patient_id(),
            facts[0].event.patient_registered().patient_id());
}

INSTANTIATE_TEST_SUITE_P(Backends, IntakeHandlerTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace registration
