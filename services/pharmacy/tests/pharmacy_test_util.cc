#include "pharmacy_test_util.h"

#include <gtest/gtest.h>

#include "klinik/cloudevents.h"
#include "klinik/grpc.h"
#include "klinik/time_util.h"
#include "klinik/topics.h"

namespace pharmacy::testing {

using namespace std::chrono_literals;

PharmacyWorld::PharmacyWorld(const std::string& backend, int partitions) {
  input_ = klinik::testing::UniqueName("test.pharmacy.in");
  output_ = klinik::testing::UniqueName("test.pharmacy.out");
  group_ = "pharmacy-" + input_;
  klinik::testing::CreateTopics({input_, output_}, partitions);
  klinik::testing::CreateTopics({std::string(klinik::topics::kDeadLetter)});
  url_ = klinik::testing::FreshDatabase(backend);
  producer_ = std::make_unique<klinik::Producer>(klinik::testing::KafkaTestSettings());
}

std::map<std::string, std::string> PharmacyWorld::Env(
    std::map<std::string, std::string> extra) const {
  std::map<std::string, std::string> env = {
      {"KLINIK_DATABASE_URL", url_},
      {"KLINIK_KAFKA_BOOTSTRAP_SERVERS", klinik::testing::KafkaBootstrap()},
      {"KLINIK_CONSUMER_GROUP", group_},
      {"KLINIK_GRPC_ADDRESS", "127.0.0.1:0"},
      {"KLINIK_HTTP_ADDRESS", "127.0.0.1:0"},
      {"KLINIK_PHARMACY_INTAKE_TOPIC", input_},
      {"KLINIK_PHARMACY_TOPIC", output_},
      {"KLINIK_RETRY_INITIAL", "100ms"},
      {"KLINIK_SHUTDOWN_TIMEOUT", "15s"},
      {"KLINIK_KAFKA_TOPIC_METADATA_REFRESH_INTERVAL_MS", "1000"},
  };
  for (auto& [k, v] : extra) env[k] = v;
  return env;
}

std::unique_ptr<klinik::testing::ChildProcess> PharmacyWorld::Start(
    std::map<std::string, std::string> extra) const {
  return std::make_unique<klinik::testing::ChildProcess>(
      klinik::testing::BinaryPath("services/pharmacy/pharmacy"), std::vector<std::string>{},
      Env(std::move(extra)));
}

void PharmacyWorld::Send(const std::string& key, const klinik::v1::PharmacyIntake& intake,
                         const std::string& ce_id) {
  static const std::map<int, std::string> kTypes = {
      {klinik::v1::PharmacyIntake::kReceiveStock, "id.klinik.intake.receive_stock.v1"},
      {klinik::v1::PharmacyIntake::kDispenseMedication, "id.klinik.intake.dispense_medication.v1"},
      {klinik::v1::PharmacyIntake::kAdjustStock, "id.klinik.intake.adjust_stock.v1"},
      {klinik::v1::PharmacyIntake::kRecallLot, "id.klinik.intake.recall_lot.v1"},
      {klinik::v1::PharmacyIntake::kSetReorderLevel, "id.klinik.intake.set_reorder_level.v1"},
  };
  klinik::OutgoingMessage m{input_, key, intake.SerializeAsString(), {}};
  klinik::CloudEvent ce = klinik::NewCloudEvent(kTypes.at(intake.kind_case()), "/test", key);
  if (!ce_id.empty()) ce.id = ce_id;
  klinik::AppendCloudEventHeaders(ce, m.headers);
  auto r = producer_->SendSync(m, 30s);
  ASSERT_TRUE(r.ok) << r.error;
}

std::vector<Fact> PharmacyWorld::Facts(size_t at_least, std::chrono::milliseconds timeout) const {
  std::vector<Fact> out;
  for (const auto& m : klinik::testing::ReadTopic(output_, at_least, timeout)) {
    Fact f;
    f.ce_type = klinik::FindHeader(m.headers, "ce_type").value_or("");
    f.ce_id = klinik::FindHeader(m.headers, "ce_id").value_or("");
    f.key = m.key;
    EXPECT_TRUE(f.event.ParseFromString(m.value));
    out.push_back(std::move(f));
  }
  return out;
}

std::vector<Fact> PharmacyWorld::WaitForFact(const std::string& request_id,
                                             const std::string& type_suffix,
                                             std::chrono::milliseconds timeout) const {
  std::vector<Fact> facts;
  bool found = klinik::testing::WaitUntil(
      [&] {
        facts = Facts(100000, 1500ms);
        for (const auto& f : facts) {
          if (RequestIdOf(f.event) == request_id && f.ce_type.ends_with(type_suffix)) return true;
        }
        return false;
      },
      timeout);
  EXPECT_TRUE(found) << "no " << type_suffix << " for " << request_id;
  return facts;
}

std::string RequestIdOf(const klinik::v1::PharmacyEvent& e) {
  using E = klinik::v1::PharmacyEvent;
  switch (e.kind_case()) {
    case E::kStockReceived:
      return e.stock_received().request_id();
    case E::kMedicationDispensed:
      return e.medication_dispensed().request_id();
    case E::kDispenseRejected:
      return e.dispense_rejected().request_id();
    case E::kStockAdjusted:
      return e.stock_adjusted().request_id();
    case E::kLotRecalled:
      return e.lot_recalled().request_id();
    case E::kPharmacyRequestRejected:
      return e.pharmacy_request_rejected().request_id();
    case E::kReorderLevelSet:
      return e.reorder_level_set().request_id();
    default:
      return "";
  }
}

klinik::v1::PharmacyIntake Receive(const std::string& request_id, const std::string& clinic,
                                   const std::string& item, const std::string& lot,
                                   const std::string& expiry, int64_t quantity) {
  klinik::v1::PharmacyIntake intake;
  auto* r = intake.mutable_receive_stock();
  r->set_request_id(request_id);
  r->set_clinic_id(clinic);
  r->set_item_code(item);
  r->set_item_name("Paracetamol 500 mg");
  r->set_lot_number(lot);
  r->set_expiry_date(expiry);
  r->set_quantity(quantity);
  r->set_unit("TAB");
  r->set_supplier("Kimia Farma");
  r->set_delivery_note_ref("SJ-" + request_id);
  return intake;
}

klinik::v1::PharmacyIntake Dispense(const std::string& request_id, const std::string& clinic,
                                    const std::vector<std::pair<std::string, int64_t>>& lines) {
  klinik::v1::PharmacyIntake intake;
  auto* d = intake.mutable_dispense_medication();
  d->set_request_id(request_id);
  d->set_clinic_id(clinic);
  d->set_patient_id(klinik::NewUuid());
  d->set_prescription_id("rx-" + request_id);
  d->set_dispensed_by(kStaffNik);
  int n = 0;
  for (const auto& [item, qty] : lines) {
    auto* l = d->add_lines();
    l->set_line_no(++n);
    l->set_item_code(item);
    l->set_quantity(qty);
    l->set_dosage_text("3x1 tablet sesudah makan");
  }
  return intake;
}

klinik::v1::PharmacyIntake ReorderLevel(const std::string& request_id, const std::string& clinic,
                                        const std::string& item, int64_t level) {
  klinik::v1::PharmacyIntake intake;
  auto* s = intake.mutable_set_reorder_level();
  s->set_request_id(request_id);
  s->set_clinic_id(clinic);
  s->set_item_code(item);
  s->set_reorder_level(level);
  return intake;
}

std::unique_ptr<klinik::v1::PharmacyService::Stub> Client(int grpc_port) {
  return klinik::v1::PharmacyService::NewStub(
      klinik::MakeClientChannel("127.0.0.1:" + std::to_string(grpc_port)));
}

std::string DaysFromToday(int days) {
  return klinik::FormatCivilDate(klinik::AddDays(klinik::ToCivilDate(klinik::Clock::now()), days));
}

}  // namespace pharmacy::testing
