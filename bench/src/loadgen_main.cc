// klinik-loadgen: sends realistic intake events (bench/src/event_generator.h) to Kafka, as the
// upstream apps would, and prints one JSON line: what was sent, delivered, failed, events/s.
//
//   klinik-loadgen --bootstrap 127.0.0.1:9092 --kind registration --count 10000
//   klinik-loadgen --kind screening --rate 100 --duration 60   # screens the same residents
#include <iostream>
#include <random>

#include <nlohmann/json.hpp>

#include "event_generator.h"
#include "klinik/time_util.h"
#include "loadgen_options.h"
#include "rate_sender.h"

int main(int argc, char** argv) {
  std::string error;
  auto options = loadgen::ParseLoadgenOptions({argv + 1, argv + argc}, &error);
  if (!options) {
    std::cerr << "klinik-loadgen: " << error << "\n";
    return 2;
  }
  const loadgen::LoadgenOptions& o = *options;
  int64_t planned = loadgen::PlannedCount(o);
  klinik::KafkaSettings settings;
  settings.properties["bootstrap.servers"] = o.bootstrap;
  settings.properties["client.id"] = "klinik-loadgen";
  try {
    loadgen::Population people(
        {.size = o.first + std::max<int64_t>(planned, o.population), .seed = o.seed});
    std::optional<loadgen::PharmacyStream> pharmacy;
    if (o.kind == "pharmacy") pharmacy.emplace(std::vector<std::string>{}, o.clinics, o.seed);
    std::mt19937_64 rng(o.seed ^ 0x5eed);
    auto next = [&](int64_t i) {
      if (o.kind == "registration") return loadgen::RegistrationMessage(people.at(o.first + i));
      if (o.kind == "screening") {
        int64_t pool = o.population > 0 ? o.population : planned;
        loadgen::ScreeningTarget target{"", people.at(o.first + i % pool)};
        return loadgen::ScreeningMessage(target, klinik::NewUuid(), rng);
      }
      return pharmacy->Next();
    };
    klinik::OutgoingMessage first = next(0);
    std::string topic = o.topic.empty() ? first.topic : o.topic;
    if (o.create_topic > 0) {
      std::string e =
          klinik::CreateTopics(settings, {topic}, o.create_topic, std::chrono::seconds(30));
      if (!e.empty()) {
        std::cerr << "klinik-loadgen: cannot create " << topic << ": " << e << "\n";
        return 1;
      }
    }
    loadgen::RateSender sender(settings, o.rate);
    for (int64_t i = 0; i < planned; ++i) {
      klinik::OutgoingMessage m = i == 0 ? std::move(first) : next(i);
      m.topic = topic;
      sender.Send(m);
    }
    loadgen::SendSummary s = sender.Finish();
    nlohmann::json line = nlohmann::json::parse(s.ToJson());
    line["kind"] = o.kind;
    line["topic"] = topic;
    line["rate_requested"] = o.rate;
    std::cout << line.dump() << std::endl;
    return s.failed == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "klinik-loadgen: " << e.what() << "\n";
    return 1;
  }
}
