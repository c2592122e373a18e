// FactHandler inside a real transaction on SQLite, without Kafka: a fact whose ce_type names
// another kind than its payload holds is a dead letter, not a job (the worker later decodes the
// stored fact by that ce_type), and nothing of it is stored.
#include "fact_handler.h"

#include <gtest/gtest.h>

#include "klinik/outbox.h"
#include "klinik/topics.h"
#include "klinik/v1/pharmacy.pb.h"
#include "klinik/v1/referral.pb.h"
#include "klinik/v1/registration.pb.h"
#include "klinik/v1/screening.pb.h"
#include "store.h"
#include "test_infra.h"

namespace satusehat_sync {
namespace {

using klinik::HandleResult;
namespace v1 = klinik::v1;

constexpr const char* kPatient = "11111111-2222-4333-8444-555555555555";

// One fact as a producer sends it, with the ce_type it should carry and a wrong one.
struct Labelled {
  std::string_view topic;
  std::string value;
  std::string kind;  // the oneof case the value holds
  std::string right;
  std::string wrong;
  HandleResult::Kind rightly_labelled;
};

std::vector<Labelled> Facts() {
  std::vector<Labelled> out;

  v1::PatientEvent registered;
  registered.mutable_patient_registered()->set_patient_id(kPatient);
  registered.mutable_patient_registered()->set_nik("6472041506900001");
  out.push_back({klinik::topics::kPatients, registered.SerializeAsString(), "patient_registered",
                 "id.klinik.patient.registered.v1", "id.klinik.patient.updated.v1",
                 HandleResult::Kind::kApplied});
  v1::PatientEvent refused;
  refused.mutable_registration_rejected()->set_request_id("req-1");
  out.push_back({klinik::topics::kPatients, refused.SerializeAsString(), "registration_rejected",
                 "id.klinik.patient.registration_rejected.v1", "id.klinik.patient.registered.v1",
                 HandleResult::Kind::kIgnored});

  v1::ScreeningEvent screening;
  auto* s = screening.mutable_screening_completed();
  s->set_screening_id("33333333-3333-4333-8333-333333333333");
  s->set_patient_id(kPatient);
  s->mutable_measured_at()->set_seconds(1'795'000'000);
  s->mutable_measurements()->set_systolic_mmhg(120);
  out.push_back({klinik::topics::kScreenings, screening.SerializeAsString(), "screening_completed",
                 "id.klinik.screening.completed.v1", "id.klinik.pharmacy.medication_dispensed.v1",
                 HandleResult::Kind::kApplied});
  v1::ScreeningEvent screening_refused;
  screening_refused.mutable_screening_rejected()->set_request_id("req-2");
  out.push_back({klinik::topics::kScreenings, screening_refused.SerializeAsString(),
                 "screening_rejected", "id.klinik.screening.rejected.v1",
                 "id.klinik.screening.completed.v1", HandleResult::Kind::kIgnored});

  v1::PharmacyEvent dispensed;
  auto* d = dispensed.mutable_medication_dispensed();
  d->set_request_id("disp-1");
  d->set_clinic_id("clinic-1");
  d->set_patient_id(kPatient);
  d->set_prescription_id("rx-1");
  d->set_dispensed_by("3201010101010001");
  d->mutable_dispensed_at()->set_seconds(1'795'000'000);
  auto* line = d->add_lines();
  line->set_line_no(1);
  line->set_item_code("93000101");
  line->set_quantity(10);
  out.push_back({klinik::topics::kPharmacy, dispensed.SerializeAsString(), "medication_dispensed",
                 "id.klinik.pharmacy.medication_dispensed.v1", "id.klinik.screening.completed.v1",
                 HandleResult::Kind::kApplied});
  v1::PharmacyEvent low;
  low.mutable_stock_low()->set_clinic_id("clinic-1");
  out.push_back({klinik::topics::kPharmacy, low.SerializeAsString(), "stock_low",
                 "id.klinik.pharmacy.stock_low.v1", "id.klinik.pharmacy.medication_dispensed.v1",
                 HandleResult::Kind::kIgnored});

  v1::ReferralEvent created;
  created.mutable_referral_created()->set_referral_id("44444444-4444-4444-8444-444444444444");
  created.mutable_referral_created()->set_patient_id(kPatient);
  out.push_back({klinik::topics::kReferrals, created.SerializeAsString(), "referral_created",
                 "id.klinik.referral.created.v1", "id.klinik.referral.completed.v1",
                 HandleResult::Kind::kApplied});
  // Completed and cancelled become different ServiceRequest updates: the label must not lie.
  v1::ReferralEvent completed;
  completed.mutable_referral_completed()->set_referral_id("44444444-4444-4444-8444-444444444444");
  completed.mutable_referral_completed()->set_patient_id(kPatient);
  out.push_back({klinik::topics::kReferrals, completed.SerializeAsString(), "referral_completed",
                 "id.klinik.referral.completed.v1", "id.klinik.referral.cancelled.v1",
                 HandleResult::Kind::kApplied});
  return out;
}

class FactHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = klinik::Database::Open(klinik::testing::FreshSqliteDatabase(), 2);
    db_->Migrate("klinik_platform", klinik::PlatformMigrations());
    db_->Migrate("satusehat-sync", store::Migrations());
  }

  // One event in one transaction, as the consume loop runs it.
  HandleResult Handle(const Labelled& fact, const std::string& ce_type) {
    klinik::ConsumedMessage m;
    m.topic = std::string(fact.topic);
    m.key = kPatient;
    m.value = fact.value;
    klinik::CloudEvent ce = klinik::NewCloudEvent(ce_type, "/test", kPatient);
    return klinik::InOutboxTransaction(*db_, "/klinik/satusehat-sync",
                                       [&](klinik::OutboxWriter& out) {
                                         return handler_.Handle(klinik::InboundEvent{m, ce}, out);
                                       });
  }

  int64_t Count(const std::string& table) {
    return db_->Read([&](klinik::Transaction& tx) {
      return tx.Query("SELECT COUNT(*) FROM " + table).front().Int(0);
    });
  }

  std::unique_ptr<klinik::Database> db_;
  FactHandler handler_;
};

TEST_F(FactHandlerTest, CeTypeMismatchIsDeadLetterNotAJob) {
  const std::vector<Labelled> facts = Facts();
  for (const Labelled& f : facts) {
    HandleResult r = Handle(f, f.wrong);
    EXPECT_EQ(r.kind(), HandleResult::Kind::kDeadLetter) << f.kind << " as " << f.wrong;
    EXPECT_EQ(r.detail(), "ce_type '" + f.wrong + "' does not match " + f.kind);
  }
  for (const char* table : {"sync_sources", "sync_jobs", "sync_patients", "klinik_outbox"})
    EXPECT_EQ(Count(table), 0) << table;

  // The same facts rightly labelled are planned (or ignored, as before), under their own type.
  for (const Labelled& f : facts) {
    HandleResult r = Handle(f, f.right);
    EXPECT_EQ(r.kind(), f.rightly_labelled) << f.kind << ": " << r.detail();
  }
  auto types = db_->Read([](klinik::Transaction& tx) {
    std::vector<std::string> out;
    for (const klinik::Row& row :
         tx.Query("SELECT source_event_type FROM sync_sources ORDER BY source_event_type"))
      out.push_back(row.Text(0));
    return out;
  });
  EXPECT_EQ(types,
            (std::vector<std::string>{
                "id.klinik.patient.registered.v1", "id.klinik.pharmacy.medication_dispensed.v1",
                "id.klinik.referral.completed.v1", "id.klinik.referral.created.v1",
                "id.klinik.screening.completed.v1"}));
}

// A fact of a kind this build does not know (here: none set) is another service's news: ignored
// on every fact topic, with nothing stored.
TEST_F(FactHandlerTest, AnUnknownFactKindIsIgnored) {
  for (std::string_view topic : {klinik::topics::kPatients, klinik::topics::kScreenings,
                                 klinik::topics::kPharmacy, klinik::topics::kReferrals}) {
    Labelled unknown{topic, "", "", "", "", HandleResult::Kind::kIgnored};
    EXPECT_EQ(Handle(unknown, "id.klinik.newer.kind.v1").kind(), HandleResult::Kind::kIgnored)
        << topic;
  }
  for (const char* table : {"sync_sources", "sync_jobs", "sync_patients", "klinik_outbox"})
    EXPECT_EQ(Count(table), 0) << table;
}

}  // namespace
}  // namespace satusehat_sync
