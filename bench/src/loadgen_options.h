// Command line of klinik-loadgen (bench/README.md): what to send, where, how much and how fast.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace loadgen {

struct LoadgenOptions {
  std::string bootstrap;  // --bootstrap, else $KLINIK_KAFKA_BOOTSTRAP_SERVERS, else 127.0.0.1:9092
  std::string kind;       // --kind registration|screening|pharmacy
  std::string topic;      // --topic: override the kind's intake topic
  int64_t count = 0;      // --count: messages to send (0 = rate x duration)
  double rate = 0;        // --rate: messages per second (0 = as fast as possible)
  double duration = 0;    // --duration: seconds (with --rate)
  uint64_t seed = 20261123;  // --seed: the population (same seed = same residents)
  int64_t first = 0;         // --first: index of the first resident registered or screened
  int64_t population = 0;    // --population: residents screenings are drawn from (default count)
  int clinics = 50;          // --clinics: pharmacy clinics sharing the stream
  int create_topic = 0;      // --create-topic P: create the topic with P partitions first
};

// Parses argv; nullopt with `error` naming the flag on a bad command line.
std::optional<LoadgenOptions> ParseLoadgenOptions(const std::vector<std::string>& args,
                                                  std::string* error);

// How many messages the options ask for.
int64_t PlannedCount(const LoadgenOptions& options);

}  // namespace loadgen
