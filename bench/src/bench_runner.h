// The benchmark scenarios of one pass (one storage backend) on real Kafka and a real database:
// the raw hop ceiling, each service's sustained throughput on a pre-loaded backlog, idle and
// loaded memory, CPU per 1,000 events, and the whole pipeline at fixed screening rates.
// bench/README.md explains what each figure means; the result is one JSON object per pass that
// report.h turns into bench/results/<date>.md and .json.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace bench {

struct PassOptions {
  std::string backend = "postgres";  // postgres | sqlite
  // Backlogs sized for 10-30 s per measurement on 2 cores (bench/README.md).
  int64_t hop_messages = 400000;
  int64_t registrations = 15000;
  int64_t screenings = 8000;
  int64_t pharmacy = 12000;
  double cap_seconds = 30;        // longest a per-service measurement may run
  double sync_push_seconds = 30;  // how long FHIR pushes are timed (from sync's start)
  // In this order; 0 = the highest rate the per-service figures suggest. The unsustainable
  // rates go last so their backlog does not spoil the others.
  std::vector<double> e2e_rates = {0, 100, 1000};
  std::vector<double> e2e_seconds = {30, 60, 60};
  int64_t e2e_patients = 1000;
  double drain_seconds = 20;  // after each rate: time allowed to finish the last screenings
};

// Runs every scenario; throws only when the infrastructure cannot be started.
nlohmann::json RunPass(const PassOptions& options);

}  // namespace bench
