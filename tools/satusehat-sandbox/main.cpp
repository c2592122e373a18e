// satusehat-sandbox: the SatuSehat API subset KlinikDesa speaks, emulated in memory on loopback
// for tests and `make run` (see README.md). Wiring only: options, seed, server, signals.
//
// Contract with whoever starts it: {"http": <port>} appears atomically in the ports file once it
// serves; SIGTERM or SIGINT stops it with exit 0; a configuration error prints one line naming
// the variable and exits 2.
#include <signal.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "http_server.h"
#include "klinik/config.h"
#include "klinik/log.h"
#include "options.h"
#include "sandbox.h"

namespace {

void WritePortsFile(const std::string& path, int port) {
  if (path.empty()) return;
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    out << "{\"http\": " << port << "}\n";
  }
  std::rename(tmp.c_str(), path.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  using namespace klinik;
  using namespace klinik::sandbox;
  // Blocked before any thread starts so that only sigwait below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a client that gave up must not kill the server

  try {
    std::vector<std::string> args = NormalizeArgs({argv + 1, argv + argc});
    std::vector<char*> normalized{argv[0]};
    for (std::string& a : args) normalized.push_back(a.data());
    Config config = Config::FromProcess(static_cast<int>(normalized.size()), normalized.data());
    if (config.HelpRequested()) {
      std::cout << kUsage;
      return 0;
    }
    Options options = ReadOptions(config);
    config.RejectUnknownFlags();
    log::SetService("satusehat-sandbox");
    try {
      log::SetLevel(log::ParseLevel(options.log_level));
    } catch (const std::invalid_argument& e) {
      throw ConfigError(std::string("KLINIK_SANDBOX_LOG_LEVEL: ") + e.what());
    }
    std::vector<Person> people;
    if (!options.seed_file.empty()) people = LoadSeedFile(options.seed_file);

    Sandbox sandbox(options.sandbox);
    for (const Person& person : people) sandbox.Seed(person);
    {
      HttpServer server(options.listen, options.threads, sandbox);
      WritePortsFile(options.ports_file, server.port());
      log::Info("sandbox started", {{"http_port", server.port()},
                                    {"org_id", options.sandbox.org_id},
                                    {"token_ttl_s", options.sandbox.token_ttl.count()},
                                    {"seeded_people", people.size()}});
      int sig = 0;
      sigwait(&stop_signals, &sig);
      log::Info("stopping", {{"signal", sig}});
      sandbox.Stop();
    }
    log::Info("stopped");
    return 0;
  } catch (const ConfigError& e) {
    std::cerr << "satusehat-sandbox: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    log::Error("sandbox failed", {{"error", e.what()}});
    return 1;
  }
}
