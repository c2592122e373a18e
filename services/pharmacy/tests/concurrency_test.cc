// Two pharmacy processes in one consumer group on one PostgreSQL database take a burst of
// dispenses against the same clinics. The burst's keys are deliberately scattered over the
// partitions (a misbehaving producer), so both processes dispense from the same clinic at the
// same time and only the clinic row lock stands between them and overselling.
#include <gtest/gtest.h>
#include <signal.h>

#include <iostream>
#include <map>
#include <random>
#include <regex>
#include <set>

#include "klinik/storage.h"
#include "klinik/time_util.h"
#include "pharmacy_test_util.h"

namespace pharmacy {
namespace {

using namespace std::chrono_literals;
using testing::PharmacyWorld;

constexpr const char* kItem = "93000777";

int64_t DispensedMetric(int http_port) {
  int status = 0;
  std::string text = klinik::testing::HttpGet(http_port, "/metrics", &status);
  std::smatch m;
  static const std::regex kRe(R"(klinik_pharmacy_movements_total\{kind="dispensed"\} ([0-9.e+]+))");
  return std::regex_search(text, m, kRe) ? static_cast<int64_t>(std::stod(m[1])) : 0;
}

TEST(PharmacyConcurrency, TwoInstancesNeverOversellTheSameClinics) {
  PharmacyWorld world("postgres", 6);
  // B starts once A has migrated: the platform's Migrate creates its bookkeeping table before
  // taking the advisory lock, so two replicas starting on an empty database can collide there.
  auto a = world.Start();
  int port_a = 0, port_b = 0;
  ASSERT_TRUE(a->WaitForPorts(60s, nullptr, &port_a)) << a->Output();
  auto b = world.Start();
  ASSERT_TRUE(b->WaitForPorts(60s, nullptr, &port_b)) << b->Output();

  // Both members must own partitions before the burst: probe with scattered keys (reorder levels
  // of a clinic outside the test) until each process has applied some.
  auto applied = [&](int port) {
    int status = 0;
    std::string text = klinik::testing::HttpGet(port, "/metrics", &status);
    std::string series =
        "klinik_events_consumed_total{outcome=\"applied\",topic=\"" + world.input() + "\"} ";
    auto at = text.find(series);
    return at == std::string::npos ? 0.0 : std::stod(text.substr(at + series.size()));
  };
  int probes = 0;
  ASSERT_TRUE(klinik::testing::WaitUntil(
      [&] {
        for (int i = 0; i < 12; ++i) {
          world.Send(klinik::NewUuid(), testing::ReorderLevel("probe-" + std::to_string(probes++),
                                                              "probe-clinic", kItem, 1));
        }
        return applied(port_a) > 0 && applied(port_b) > 0;
      },
      60s))
      << "both members never got partitions";

  constexpr int kClinics = 3;
  constexpr int64_t kStockPerClinic = 120;  // two lots of 60
  constexpr int kDispenses = 300;           // asking for about 2.5x the stock
  std::vector<std::string> clinics;
  for (int c = 0; c < kClinics; ++c) {
    clinics.push_back("clinic-" + klinik::NewUuid().substr(0, 8));
    world.Send(clinics.back(), testing::Receive("rA" + std::to_string(c), clinics.back(), kItem,
                                                "A", testing::DaysFromToday(200), 60));
    world.Send(clinics.back(), testing::Receive("rB" + std::to_string(c), clinics.back(), kItem,
                                                "B", testing::DaysFromToday(300), 60));
  }
  world.WaitForFact("rB" + std::to_string(kClinics - 1), "stock_received.v1", 60s);

  std::mt19937 rng(42);
  std::map<std::string, std::string> clinic_of;
  for (int i = 0; i < kDispenses; ++i) {
    const std::string& clinic = clinics[static_cast<size_t>(i % kClinics)];
    std::string id = "burst-" + std::to_string(i);
    clinic_of[id] = clinic;
    int64_t quantity = std::uniform_int_distribution<int64_t>(1, 5)(rng);
    world.Send(klinik::NewUuid(),
               testing::Dispense(id, clinic, {{kItem, quantity}}));  // scattered key
  }

  std::vector<testing::Fact> facts;
  std::map<std::string, int> outcomes;  // request_id -> facts about it
  ASSERT_TRUE(klinik::testing::WaitUntil(
      [&] {
        facts = world.Facts(100000, 2s);
        outcomes.clear();
        for (const auto& f : facts) {
          std::string id = testing::RequestIdOf(f.event);
          if (clinic_of.count(id)) ++outcomes[id];
        }
        return outcomes.size() == static_cast<size_t>(kDispenses);
      },
      180s))
      << "outcomes so far: " << outcomes.size() << "\n"
      << a->Output() << b->Output();

  std::map<std::string, int64_t> dispensed;
  std::map<std::string, int> accepted, refused;
  for (const auto& f : facts) {
    std::string id = testing::RequestIdOf(f.event);
    if (!clinic_of.count(id)) continue;
    EXPECT_EQ(outcomes[id], 1) << id << " has more than one outcome";
    if (f.event.has_medication_dispensed()) {
      dispensed[clinic_of[id]] += f.event.medication_dispensed().lines(0).quantity();
      ++accepted[clinic_of[id]];
    } else {
      ASSERT_TRUE(f.event.has_dispense_rejected());
      EXPECT_EQ(f.event.dispense_rejected().reasons(0).code(), "INSUFFICIENT_STOCK");
      ++refused[clinic_of[id]];
    }
  }

  auto db = klinik::Database::Open(world.url(), 1);
  for (const auto& clinic : clinics) {
    auto rows = db->Read([&](klinik::Transaction& tx) {
      return tx.Query("SELECT MIN(quantity), SUM(quantity) FROM pharmacy_lots WHERE clinic_id = $1",
                      {clinic});
    });
    auto card = db->Read([&](klinik::Transaction& tx) {
      return tx.Query("SELECT COALESCE(SUM(delta), 0) FROM pharmacy_movements WHERE clinic_id = $1",
                      {clinic});
    });
    int64_t on_hand = rows[0].Int(1);
    std::cout << "[ concurrency ] " << clinic << ": stock " << kStockPerClinic << ", dispensed "
              << dispensed[clinic] << " in " << accepted[clinic] << " dispenses, refused "
              << refused[clinic] << ", left " << on_hand << "\n";
    EXPECT_LE(dispensed[clinic], kStockPerClinic) << "oversold";
    EXPECT_GE(rows[0].Int(0), 0) << "a lot went negative";
    EXPECT_EQ(on_hand, kStockPerClinic - dispensed[clinic]);
    EXPECT_EQ(card[0].Int(0), on_hand) << "balance = sum of movements";
    // Demand far exceeds supply: each clinic should have been (nearly) emptied, and a refusal
    // only happens when the request did not fit what was left.
    EXPECT_GT(refused[clinic], 0);
    EXPECT_LT(on_hand, 5);
  }
  int64_t by_a = DispensedMetric(port_a), by_b = DispensedMetric(port_b);
  std::cout << "[ concurrency ] movements written by instance A: " << by_a
            << ", by instance B: " << by_b << "\n";
  EXPECT_GT(by_a, 0) << "instance A took part in the burst";
  EXPECT_GT(by_b, 0) << "instance B took part in the burst";
  a->Signal(SIGTERM);
  b->Signal(SIGTERM);
  EXPECT_EQ(a->Wait(30s), 0);
  EXPECT_EQ(b->Wait(30s), 0);
}

}  // namespace
}  // namespace pharmacy
