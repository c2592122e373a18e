// Command-line flags and KLINIK_SANDBOX_* environment of the sandbox. A flag wins over the
// environment (--listen over KLINIK_SANDBOX_LISTEN); the ports file is also read from
// KLINIK_PORTS_FILE because the test helper (testing::ChildProcess) sets that.
//
//   std::vector<std::string> args = NormalizeArgs({argv + 1, argv + argc});  // --listen ->
//   --sandbox-listen klinik::Config config = ...FromProcess(normalized...); Options options =
//   ReadOptions(config);  // throws ConfigError naming the variable
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "klinik/config.h"
#include "resource_store.h"
#include "sandbox.h"

namespace klinik::sandbox {

inline constexpr std::string_view kUsage =
    "usage: satusehat-sandbox [flags]   (each flag is also KLINIK_SANDBOX_<NAME> in the "
    "environment)\n"
    "\n"
    "An in-memory emulation of the SatuSehat OAuth and FHIR API subset KlinikDesa uses.\n"
    "\n"
    "  --listen HOST:PORT         address to serve on; port 0 picks a free one (default "
    "127.0.0.1:0)\n"
    "  --ports-file PATH          write {\"http\": <port>} there once listening (also "
    "KLINIK_PORTS_FILE)\n"
    "  --org-id ORG               the client's Organization id (default 10000004)\n"
    "  --client-id ID             accepted OAuth client id (default klinikdesa-sandbox)\n"
    "  --client-secret SECRET     accepted OAuth client secret (default "
    "klinikdesa-sandbox-secret)\n"
    "  --client-secret-file PATH  read the secret from a file instead\n"
    "  --token-ttl SECONDS        access token lifetime, 1-86400 (default 3599)\n"
    "  --seed-file PATH           JSON array of "
    "{\"kind\":\"patient\"|\"practitioner\",\"nik\",\"ihs\"}\n"
    "  --threads N                HTTP worker threads, 2-256 (default 16)\n"
    "  --log-level LEVEL          debug, info, warn or error (default info)\n";

inline constexpr std::string_view kDefaultClientId = "klinikdesa-sandbox";
inline constexpr std::string_view kDefaultClientSecret = "klinikdesa-sandbox-secret";

struct Options {
  std::string listen = "127.0.0.1:0";
  std::string ports_file;
  std::string seed_file;
  int threads = 16;
  std::string log_level = "info";
  SandboxOptions sandbox;
};

// Maps the documented short flags onto KLINIK_SANDBOX_* names ("--listen=x" ->
// "--sandbox-listen=x"); throws ConfigError naming an unknown flag.
[[nodiscard]] std::vector<std::string> NormalizeArgs(const std::vector<std::string>& args);
[[nodiscard]] Options ReadOptions(const Config& config);
// The people of a seed file; throws ConfigError naming KLINIK_SANDBOX_SEED_FILE.
[[nodiscard]] std::vector<Person> LoadSeedFile(const std::string& path);

}  // namespace klinik::sandbox
