// The pharmacy process on real Kafka with each storage backend: the stock flow with its alerts,
// refusals that leave stock untouched, redelivery, a recall across clinics, and the expiry check
// across a restart.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <regex>

#include "intake_handler.h"
#include "klinik/grpc.h"
#include "klinik/metrics.h"
#include "klinik/outbox.h"
#include "klinik/time_util.h"
#include "pharmacy_test_util.h"
#include "store.h"

namespace pharmacy {
namespace {

using namespace std::chrono_literals;
using testing::Fact;
using ::testing::HasSubstr;
using testing::PharmacyWorld;

constexpr const char* kItem = "93000101";
constexpr const char* kItem2 = "94000202";

int CountType(const std::vector<Fact>& facts, const std::string& clinic,
              const std::string& suffix) {
  int n = 0;
  for (const auto& f : facts) n += f.key == clinic && f.ce_type.ends_with(suffix) ? 1 : 0;
  return n;
}

const Fact* Find(const std::vector<Fact>& facts, const std::string& request_id,
                 const std::string& suffix) {
  for (const auto& f : facts) {
    if (testing::RequestIdOf(f.event) == request_id && f.ce_type.ends_with(suffix)) return &f;
  }
  return nullptr;
}

// Value of a counter line in the Prometheus text, 0 when absent.
double MetricValue(const std::string& text, const std::string& series) {
  std::smatch m;
  std::regex re(std::regex_replace(series, std::regex(R"([{}"\\])"), R"(\$&)") + R"( ([0-9.e+]+))");
  return std::regex_search(text, m, re) ? std::stod(m[1]) : 0;
}

class PharmacyComponentTest : public ::testing::TestWithParam<std::string> {};

TEST_P(PharmacyComponentTest, ReceiveDispenseThenLowThenOutEachRaisedOnce) {
  PharmacyWorld world(GetParam());
  auto service = world.Start();
  int grpc_port = 0, http_port = 0;
  ASSERT_TRUE(service->WaitForPorts(60s, &grpc_port, &http_port)) << service->Output();
  const std::string clinic = "clinic-" + klinik::NewUuid().substr(0, 8);

  world.Send(clinic, testing::ReorderLevel("lvl", clinic, kItem, 10));
  world.Send(clinic, testing::Receive("rcv-late", clinic, kItem, "LOT-LATE",
                                      testing::DaysFromToday(400), 20));
  world.Send(clinic, testing::Receive("rcv-early", clinic, kItem, "LOT-EARLY",
                                      testing::DaysFromToday(200), 10));
  world.Send(clinic,
             testing::Dispense("d1", clinic, {{kItem, 15}}));  // early 10 + late 5 -> 15 left
  world.Send(clinic, testing::Dispense("d2", clinic, {{kItem, 6}}));  // 9 <= 10: StockLow
  world.Send(clinic, testing::Dispense("d3", clinic, {{kItem, 4}}));  // 5: still low, no repeat
  world.Send(clinic, testing::Dispense("d4", clinic, {{kItem, 5}}));  // 0: StockOut
  world.Send(clinic, testing::Dispense("d5", clinic, {{kItem, 1}}));  // refused, no new alert
  world.Send(clinic, testing::ReorderLevel("marker", clinic, kItem2, 3));

  auto facts = world.WaitForFact("marker", "reorder_level_set.v1", 90s);
  const Fact* d1 = Find(facts, "d1", "medication_dispensed.v1");
  ASSERT_NE(d1, nullptr) << service->Output();
  const auto& line = d1->event.medication_dispensed().lines(0);
  ASSERT_EQ(line.allocations_size(), 2);
  EXPECT_EQ(line.allocations(0).lot_number(), "LOT-EARLY");
  EXPECT_EQ(line.allocations(0).quantity(), 10);
  EXPECT_EQ(line.allocations(1).lot_number(), "LOT-LATE");
  EXPECT_EQ(line.allocations(1).quantity(), 5);
  EXPECT_EQ(line.usable_quantity(), 15);
  EXPECT_EQ(line.dosage_text(), "3x1 tablet sesudah makan");
  EXPECT_EQ(d1->key, clinic);

  EXPECT_EQ(CountType(facts, clinic, "stock_low.v1"), 1);
  EXPECT_EQ(CountType(facts, clinic, "stock_out.v1"), 1);
  EXPECT_EQ(CountType(facts, clinic, "medication_dispensed.v1"), 4);
  const Fact* refused = Find(facts, "d5", "dispense_rejected.v1");
  ASSERT_NE(refused, nullptr);
  EXPECT_EQ(refused->event.dispense_rejected().reasons(0).code(), "INSUFFICIENT_STOCK");
  EXPECT_EQ(refused->event.dispense_rejected().reasons(0).field(), "lines[0].quantity");
  // StockLow came right after d2, before d3's fact; StockOut after d4.
  auto position = [&](const std::string& request_id, const std::string& suffix) {
    for (size_t i = 0; i < facts.size(); ++i) {
      if (facts[i].key == clinic && testing::RequestIdOf(facts[i].event) == request_id &&
          facts[i].ce_type.ends_with(suffix)) {
        return static_cast<int>(i);
      }
    }
    return -1;
  };
  int low = -1, out = -1;
  for (size_t i = 0; i < facts.size(); ++i) {
    if (facts[i].key != clinic) continue;
    if (facts[i].ce_type.ends_with("stock_low.v1")) low = static_cast<int>(i);
    if (facts[i].ce_type.ends_with("stock_out.v1")) out = static_cast<int>(i);
  }
  EXPECT_GT(low, position("d2", "medication_dispensed.v1"));
  EXPECT_LT(low, position("d3", "medication_dispensed.v1"));
  EXPECT_GT(out, position("d4", "medication_dispensed.v1"));
  EXPECT_EQ(facts[static_cast<size_t>(low)].event.stock_low().usable_quantity(), 9);
  EXPECT_EQ(facts[static_cast<size_t>(low)].event.stock_low().reorder_level(), 10);

  // Lookups agree with the facts.
  auto stub = testing::Client(grpc_port);
  klinik::v1::GetStockRequest get;
  get.set_clinic_id(clinic);
  get.set_item_code(kItem);
  klinik::v1::GetStockResponse stock;
  auto ctx = klinik::ContextWithDeadline(10s);
  ASSERT_TRUE(stub->GetStock(ctx.get(), get, &stock).ok());
  EXPECT_EQ(stock.stock().usable_quantity(), 0);
  EXPECT_EQ(stock.stock().reorder_level(), 10);
  EXPECT_EQ(stock.stock().lots_size(), 0) << "no lot has stock on hand";

  klinik::v1::GetStockCardRequest card_request;
  card_request.set_clinic_id(clinic);
  card_request.set_item_code(kItem);
  klinik::v1::GetStockCardResponse card;
  ctx = klinik::ContextWithDeadline(10s);
  ASSERT_TRUE(stub->GetStockCard(ctx.get(), card_request, &card).ok());
  ASSERT_EQ(card.entries_size(), 2 + 5);  // two receipts, d1 from two lots, d2..d4
  int64_t balance = card.opening_balance();
  for (const auto& e : card.entries()) {
    balance += e.delta();
    EXPECT_EQ(e.running_balance(), balance) << "running balance is the sum of movements";
  }
  EXPECT_EQ(balance, 0);

  klinik::v1::ListAlertsRequest alerts_request;
  alerts_request.set_clinic_id(clinic);
  alerts_request.set_open_only(true);
  klinik::v1::ListAlertsResponse alerts;
  ctx = klinik::ContextWithDeadline(10s);
  ASSERT_TRUE(stub->ListAlerts(ctx.get(), alerts_request, &alerts).ok());
  EXPECT_EQ(alerts.alerts_size(), 2);

  // Restocking above the level resolves both alerts.
  world.Send(clinic, testing::Receive("restock", clinic, kItem, "LOT-NEW",
                                      testing::DaysFromToday(300), 50));
  world.WaitForFact("restock", "stock_received.v1", 60s);
  ASSERT_TRUE(klinik::testing::WaitUntil(
      [&] {
        klinik::v1::ListAlertsResponse open;
        auto c = klinik::ContextWithDeadline(10s);
        return stub->ListAlerts(c.get(), alerts_request, &open).ok() && open.alerts_size() == 0;
      },
      30s));

  int status = 0;
  std::string metrics = klinik::testing::HttpGet(http_port, "/metrics", &status);
  EXPECT_EQ(MetricValue(metrics, "klinik_pharmacy_movements_total{kind=\"dispensed\"}"), 5);
  EXPECT_EQ(MetricValue(metrics, "klinik_dispenses_rejected_total{reason=\"INSUFFICIENT_STOCK\"}"),
            1);
  EXPECT_EQ(MetricValue(metrics, "klinik_stock_alerts_total{kind=\"low\"}"), 1);
  EXPECT_EQ(MetricValue(metrics, "klinik_stock_alerts_total{kind=\"out\"}"), 1);
  EXPECT_THAT(metrics, ::testing::Not(HasSubstr(clinic))) << "no clinic ids in labels";
  service->Signal(SIGTERM);
  EXPECT_EQ(service->Wait(30s), 0) << service->Output();
}

TEST_P(PharmacyComponentTest, RefusalsAndRedeliveryChangeNothingAndRecallReachesEveryClinic) {
  PharmacyWorld world(GetParam());
  auto service = world.Start();
  int grpc_port = 0;
  ASSERT_TRUE(service->WaitForPorts(60s, &grpc_port, nullptr)) << service->Output();
  const std::string clinic = "clinic-" + klinik::NewUuid().substr(0, 8);

  world.Send(clinic, testing::Receive("r1", clinic, kItem, "A", testing::DaysFromToday(100), 10));
  world.Send(clinic, testing::Receive("r2", clinic, kItem2, "B", testing::DaysFromToday(100), 4));
  // Line 1 fits, line 2 does not: nothing of either moves.
  world.Send(clinic, testing::Dispense("short", clinic, {{kItem, 3}, {kItem2, 5}}));
  world.Send(clinic,
             testing::Receive("bad-code", clinic, "91000001", "C", testing::DaysFromToday(100), 5));
  world.Send(clinic,
             testing::Receive("expired", clinic, kItem, "D", testing::DaysFromToday(-1), 5));
  // The same event twice (same ce_id): applied once.
  std::string ce_id = klinik::NewUuid();
  world.Send(clinic, testing::Dispense("twice", clinic, {{kItem, 2}}), ce_id);
  world.Send(clinic, testing::Dispense("twice", clinic, {{kItem, 2}}), ce_id);
  world.Send(clinic, testing::ReorderLevel("marker", clinic, kItem, 1));

  auto facts = world.WaitForFact("marker", "reorder_level_set.v1", 90s);
  const Fact* shortf = Find(facts, "short", "dispense_rejected.v1");
  ASSERT_NE(shortf, nullptr) << service->Output();
  const auto& rejected = shortf->event.dispense_rejected();
  ASSERT_EQ(rejected.reasons_size(), 1);
  EXPECT_EQ(rejected.reasons(0).code(), "INSUFFICIENT_STOCK");
  EXPECT_EQ(rejected.reasons(0).field(), "lines[1].quantity");
  ASSERT_EQ(rejected.shortages_size(), 1);
  EXPECT_EQ(rejected.shortages(0).line_no(), 2);
  EXPECT_EQ(rejected.shortages(0).usable_quantity(), 4);

  const Fact* bad = Find(facts, "bad-code", "request_rejected.v1");
  ASSERT_NE(bad, nullptr);
  EXPECT_EQ(bad->event.pharmacy_request_rejected().reasons(0).code(), "ITEM_CODE_FORMAT");
  EXPECT_EQ(bad->event.pharmacy_request_rejected().request_type(),
            "id.klinik.intake.receive_stock.v1");
  const Fact* expired = Find(facts, "expired", "request_rejected.v1");
  ASSERT_NE(expired, nullptr);
  EXPECT_EQ(expired->event.pharmacy_request_rejected().reasons(0).code(), "EXPIRY_IN_PAST");

  int twice = 0;
  for (const auto& f : facts) twice += testing::RequestIdOf(f.event) == "twice" ? 1 : 0;
  EXPECT_EQ(twice, 1) << "a redelivered event is applied once";

  auto stub = testing::Client(grpc_port);
  for (auto [item, usable] : {std::pair{kItem, 8}, std::pair{kItem2, 4}}) {
    klinik::v1::GetStockRequest get;
    get.set_clinic_id(clinic);
    get.set_item_code(item);
    klinik::v1::GetStockResponse stock;
    auto ctx = klinik::ContextWithDeadline(10s);
    ASSERT_TRUE(stub->GetStock(ctx.get(), get, &stock).ok());
    EXPECT_EQ(stock.stock().usable_quantity(), usable) << item;
  }
  klinik::v1::GetStockRequest unknown;
  unknown.set_clinic_id(clinic);
  unknown.set_item_code("93999999");
  klinik::v1::GetStockResponse none;
  auto ctx = klinik::ContextWithDeadline(10s);
  EXPECT_EQ(stub->GetStock(ctx.get(), unknown, &none).error_code(), grpc::StatusCode::NOT_FOUND);
  unknown.set_item_code("12");
  ctx = klinik::ContextWithDeadline(10s);
  EXPECT_EQ(stub->GetStock(ctx.get(), unknown, &none).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  // A recall reaches every clinic holding the lot, one fact each keyed by that clinic, and the
  // lot cannot be delivered again.
  const std::string clinic2 = clinic + "-b";
  world.Send(clinic2, testing::Receive("r3", clinic2, kItem2, "B", testing::DaysFromToday(100), 3));
  world.WaitForFact("r3", "stock_received.v1", 60s);
  klinik::v1::PharmacyIntake recall;
  recall.mutable_recall_lot()->set_request_id("recall");
  recall.mutable_recall_lot()->set_item_code(kItem2);
  recall.mutable_recall_lot()->set_lot_number("B");
  recall.mutable_recall_lot()->set_reason("BPOM recall 1");
  world.Send(kItem2, recall);
  std::map<std::string, int64_t> recalled;
  ASSERT_TRUE(klinik::testing::WaitUntil(
      [&] {
        recalled.clear();
        for (const auto& f : world.Facts(100, 1s)) {
          if (f.event.has_lot_recalled() && f.event.lot_recalled().request_id() == "recall") {
            recalled[f.key] += f.event.lot_recalled().quantity();
            EXPECT_EQ(f.event.lot_recalled().usable_quantity(), 0);
          }
        }
        return recalled.size() == 2;
      },
      60s))
      << service->Output();
  EXPECT_EQ(recalled, (std::map<std::string, int64_t>{{clinic, 4}, {clinic2, 3}}));
  world.Send(clinic,
             testing::Receive("again", clinic, kItem2, "B", testing::DaysFromToday(100), 1));
  auto after = world.WaitForFact("again", "request_rejected.v1", 60s);
  const Fact* again = Find(after, "again", "request_rejected.v1");
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->event.pharmacy_request_rejected().reasons(0).code(), "LOT_RECALLED");
  klinik::v1::GetStockRequest recalled_item;
  recalled_item.set_clinic_id(clinic);
  recalled_item.set_item_code(kItem2);
  klinik::v1::GetStockResponse recalled_stock;
  ctx = klinik::ContextWithDeadline(10s);
  ASSERT_TRUE(stub->GetStock(ctx.get(), recalled_item, &recalled_stock).ok());
  EXPECT_EQ(recalled_stock.stock().usable_quantity(), 0);
  EXPECT_EQ(recalled_stock.stock().unusable_quantity(), 4);
  ASSERT_EQ(recalled_stock.stock().lots_size(), 1);
  EXPECT_EQ(recalled_stock.stock().lots(0).state(), klinik::v1::LOT_STATE_RECALLED);

  // The running month's report (the service's calendar is WIB) shows this month's receipts and
  // use; the recalled lot counts as used.
  klinik::v1::GetMonthlyReportRequest report_request;
  report_request.set_clinic_id(clinic);
  report_request.set_month(
      klinik::FormatCivilDate(klinik::ToCivilDate(klinik::Clock::now() + std::chrono::hours(7)))
          .substr(0, 7));
  klinik::v1::GetMonthlyReportResponse report;
  ctx = klinik::ContextWithDeadline(10s);
  auto st = stub->GetMonthlyReport(ctx.get(), report_request, &report);
  ASSERT_TRUE(st.ok()) << st.error_message();
  ASSERT_EQ(report.lines_size(), 2);
  EXPECT_EQ(report.lines(0).item_code(), kItem);
  EXPECT_EQ(report.lines(0).received(), 10);
  EXPECT_EQ(report.lines(0).dispensed(), 2);
  EXPECT_EQ(report.lines(0).closing(), 8);
  EXPECT_EQ(report.lines(0).used(), 2);
  EXPECT_EQ(report.lines(1).item_code(), kItem2);
  EXPECT_EQ(report.lines(1).received(), 4);
  EXPECT_EQ(report.lines(1).used(), 4);
  EXPECT_EQ(report.lines(1).closing(), 0);
  service->Signal(SIGTERM);
  EXPECT_EQ(service->Wait(30s), 0) << service->Output();
}

TEST_P(PharmacyComponentTest, ExpiryCheckWarnsOnceAcrossARestart) {
  PharmacyWorld world(GetParam());
  std::map<std::string, std::string> fast{{"KLINIK_EXPIRY_CHECK_INTERVAL", "300ms"}};
  const std::string clinic = "clinic-" + klinik::NewUuid().substr(0, 8);
  auto checks_done = [](int http_port) {
    int status = 0;
    return MetricValue(klinik::testing::HttpGet(http_port, "/metrics", &status),
                       "klinik_pharmacy_expiry_checks_total");
  };
  {
    auto first = world.Start(fast);
    int http_port = 0;
    ASSERT_TRUE(first->WaitForPorts(60s, nullptr, &http_port)) << first->Output();
    world.Send(clinic,
               testing::Receive("later", clinic, kItem, "LATER", testing::DaysFromToday(300), 100));
    world.Send(clinic,
               testing::Receive("soon", clinic, kItem, "SOON", testing::DaysFromToday(30), 12));
    world.WaitForFact("soon", "stock_received.v1", 60s);
    ASSERT_TRUE(klinik::testing::WaitUntil(
        [&] { return CountType(world.Facts(100, 1s), clinic, "stock_expiring_soon.v1") == 1; },
        60s))
        << first->Output();
    first->Signal(SIGTERM);
    ASSERT_EQ(first->Wait(30s), 0) << first->Output();
  }
  auto second = world.Start(fast);
  int http_port = 0, grpc_port = 0;
  ASSERT_TRUE(second->WaitForPorts(60s, &grpc_port, &http_port)) << second->Output();
  // Several full checks after the restart must not repeat the warning.
  ASSERT_TRUE(klinik::testing::WaitUntil([&] { return checks_done(http_port) >= 3; }, 60s))
      << second->Output();
  auto facts = world.Facts(100, 2s);
  ASSERT_EQ(CountType(facts, clinic, "stock_expiring_soon.v1"), 1);
  for (const auto& f : facts) {
    if (!f.ce_type.ends_with("stock_expiring_soon.v1")) continue;
    EXPECT_EQ(f.event.stock_expiring_soon().lot_number(), "SOON");
    EXPECT_EQ(f.event.stock_expiring_soon().quantity(), 12);
    EXPECT_NEAR(f.event.stock_expiring_soon().days_left(), 30, 1);
  }
  auto stub = testing::Client(grpc_port);
  klinik::v1::ListAlertsRequest request;
  request.set_clinic_id(clinic);
  klinik::v1::ListAlertsResponse alerts;
  auto ctx = klinik::ContextWithDeadline(10s);
  ASSERT_TRUE(stub->ListAlerts(ctx.get(), request, &alerts).ok());
  ASSERT_EQ(alerts.alerts_size(), 1);
  EXPECT_EQ(alerts.alerts(0).kind(), klinik::v1::STOCK_ALERT_KIND_EXPIRING_SOON);
  second->Signal(SIGTERM);
  EXPECT_EQ(second->Wait(30s), 0) << second->Output();
}

INSTANTIATE_TEST_SUITE_P(Backends, PharmacyComponentTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

// The handler alone, in a transaction on SQLite: each kind of request labelled with the next
// kind's ce_type is a dead letter naming the header and the payload's kind, and moves nothing;
// the same requests rightly labelled are then applied.
TEST(PharmacyIntakeHandler, CeTypeMismatchIsDeadLetterAndMovesNoStock) {
  auto db = klinik::Database::Open(klinik::testing::FreshSqliteDatabase(), 2);
  db->Migrate("klinik_platform", klinik::PlatformMigrations());
  db->Migrate("pharmacy", store::Migrations());
  Settings settings;
  settings.intake_topic = "klinik.intake.pharmacy.v1";
  settings.output_topic = "klinik.pharmacy.v1";
  settings.now = [] { return klinik::ToUnixMillis(klinik::Clock::now()); };
  klinik::Metrics registry("pharmacy-test");
  ServiceMetrics metrics(registry);
  IntakeHandler handler(settings, metrics);
  const std::string clinic = "clinic-ce";

  klinik::v1::PharmacyIntake adjust;
  auto* a = adjust.mutable_adjust_stock();
  a->set_request_id("a1");
  a->set_clinic_id(clinic);
  a->set_item_code(kItem);
  a->set_lot_number("A");
  a->set_reason(klinik::v1::ADJUSTMENT_REASON_DAMAGED);
  a->set_quantity_delta(-1);
  a->set_adjusted_by(testing::kStaffNik);
  klinik::v1::PharmacyIntake recall;
  recall.mutable_recall_lot()->set_request_id("x1");
  recall.mutable_recall_lot()->set_item_code(kItem);
  recall.mutable_recall_lot()->set_lot_number("A");
  // In the order they can all be applied; each is first sent as the next one's kind.
  const std::vector<std::pair<klinik::v1::PharmacyIntake, std::string>> requests = {
      {testing::Receive("r1", clinic, kItem, "A", testing::DaysFromToday(100), 10),
       "id.klinik.intake.receive_stock.v1"},
      {testing::Dispense("d1", clinic, {{kItem, 3}}), "id.klinik.intake.dispense_medication.v1"},
      {adjust, "id.klinik.intake.adjust_stock.v1"},
      {testing::ReorderLevel("l1", clinic, kItem, 5), "id.klinik.intake.set_reorder_level.v1"},
      {recall, "id.klinik.intake.recall_lot.v1"},
  };
  auto handle = [&](const klinik::v1::PharmacyIntake& intake, const std::string& ce_type) {
    klinik::ConsumedMessage m;
    m.topic = settings.intake_topic;
    m.key = clinic;
    m.value = intake.SerializeAsString();
    klinik::CloudEvent ce = klinik::NewCloudEvent(ce_type, "/test", clinic);
    return klinik::InOutboxTransaction(*db, "/klinik/pharmacy", [&](klinik::OutboxWriter& out) {
      return handler.Handle(klinik::InboundEvent{m, ce}, out);
    });
  };
  auto outbox_rows = [&] {
    return db->Read([](klinik::Transaction& tx) { return klinik::ReadOutbox(tx); }).size();
  };

  for (size_t i = 0; i < requests.size(); ++i) {
    const auto& [intake, right] = requests[i];
    const std::string& wrong = requests[(i + 1) % requests.size()].second;
    klinik::HandleResult r = handle(intake, wrong);
    EXPECT_EQ(r.kind(), klinik::HandleResult::Kind::kDeadLetter) << right;
    const std::string kind =
        klinik::v1::PharmacyIntake::descriptor()->FindFieldByNumber(intake.kind_case())->name();
    EXPECT_EQ(r.detail(), "ce_type '" + wrong + "' does not match " + kind);
  }
  EXPECT_EQ(outbox_rows(), 0u) << "no fact, no rejection, no alert";
  db->Read([&](klinik::Transaction& tx) {
    EXPECT_TRUE(store::LoadLots(tx, clinic, {}).empty());
    EXPECT_FALSE(store::LoadItem(tx, clinic, kItem).has_value());
    EXPECT_TRUE(store::ClinicsWithLot(tx, kItem, "A").empty());
  });

  for (const auto& [intake, right] : requests) {
    klinik::HandleResult r = handle(intake, right);
    EXPECT_EQ(r.kind(), klinik::HandleResult::Kind::kApplied) << right << ": " << r.detail();
  }
}

TEST(PharmacyConfig, BadSettingIsNamed) {
  PharmacyWorld world("sqlite");
  auto service = world.Start({{"KLINIK_LOCAL_UTC_OFFSET", "+15:00"}});
  EXPECT_EQ(service->Wait(30s), 2);
  EXPECT_THAT(service->Output(), HasSubstr("KLINIK_LOCAL_UTC_OFFSET"));
}

}  // namespace
}  // namespace pharmacy
