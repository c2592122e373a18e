// Command-line options of the devbroker. Parsing has no side effects, so the rules (which flags
// exist, their ranges, the one-line message that names a bad flag) are unit-tested without
// starting a process.
//
//   ParsedArgs parsed = ParseOptions({"--brokers", "3", "--bootstrap-file", "/tmp/bs"});
//   if (!parsed.ok()) { std::fprintf(stderr, "devbroker: %s\n", parsed.error.c_str()); return 2; }
//   StartBroker(parsed.options);
#pragma once

#include <charconv>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace klinik::devbroker {

inline constexpr std::string_view kUsage =
    "usage: devbroker [--brokers N] [--bootstrap-file PATH] [--partitions-override N]\n"
    "\n"
    "A development Kafka broker (librdkafka's mock cluster) with every KlinikDesa topic\n"
    "created. Prints 'devbroker listening on <bootstrap>' once ready; stops on SIGTERM/SIGINT.\n"
    "\n"
    "  --brokers N               number of mock brokers, 1-64 (default 1)\n"
    "  --bootstrap-file PATH     write the bootstrap address to PATH once ready (atomically);\n"
    "                            removed again on shutdown\n"
    "  --partitions-override N   create every topic with N partitions (1-10000) instead of\n"
    "                            the count in klinik/topics.h\n"
    "\n"
    "There is no --listen: librdkafka 2.0.2's mock cluster always binds ephemeral ports on\n"
    "127.0.0.1; read the address from stdout or --bootstrap-file.\n";

// Each broker is a listener thread in this process; more than a handful is never useful on a
// laptop, the cap only catches typos such as `--brokers 300`.
inline constexpr int kMaxBrokers = 64;
inline constexpr int kMaxPartitions = 10000;

struct Options {
  int brokers = 1;
  std::string bootstrap_file;              // empty: the address is only printed
  std::optional<int> partitions_override;  // unset: each topic's count from klinik/topics.h
  bool help = false;
};

// Either options or a one-line error that starts with the offending flag.
struct [[nodiscard]] ParsedArgs {
  Options options;
  std::string error;
  bool ok() const { return error.empty(); }
};

namespace internal {

// The whole text must be a number: "3x" is a typo, not 3.
inline std::optional<int> ParseIntInRange(std::string_view text, int min, int max) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < min || value > max) {
    return std::nullopt;
  }
  return value;
}

inline ParsedArgs Fail(std::string message) { return ParsedArgs{{}, std::move(message)}; }

}  // namespace internal

// `args` excludes argv[0]. Accepts both `--flag value` and `--flag=value`; a repeated flag
// takes its last value.
inline ParsedArgs ParseOptions(const std::vector<std::string>& args) {
  using internal::Fail;
  using internal::ParseIntInRange;
  ParsedArgs parsed;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    std::string_view flag = arg;
    std::optional<std::string_view> inline_value;
    if (const auto eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
      flag = arg.substr(0, eq);
      inline_value = arg.substr(eq + 1);
    }
    // Fetches the flag's value from `--flag=value` or the next argument.
    auto value = [&]() -> std::optional<std::string_view> {
      if (inline_value) return inline_value;
      if (i + 1 < args.size()) return std::string_view(args[++i]);
      return std::nullopt;
    };

    if (flag == "-h" || flag == "--help") {
      parsed.options.help = true;
    } else if (flag == "--brokers") {
      const auto text = value();
      if (!text) return Fail("--brokers: needs a value");
      const auto n = ParseIntInRange(*text, 1, kMaxBrokers);
      if (!n) {
        return Fail("--brokers: '" + std::string(*text) + "' is not a whole number from 1 to " +
                    std::to_string(kMaxBrokers));
      }
      parsed.options.brokers = *n;
    } else if (flag == "--bootstrap-file") {
      const auto text = value();
      if (!text || text->empty()) return Fail("--bootstrap-file: needs a path");
      parsed.options.bootstrap_file = std::string(*text);
    } else if (flag == "--partitions-override") {
      const auto text = value();
      if (!text) return Fail("--partitions-override: needs a value");
      const auto n = ParseIntInRange(*text, 1, kMaxPartitions);
      if (!n) {
        return Fail("--partitions-override: '" + std::string(*text) +
                    "' is not a whole number from 1 to " + std::to_string(kMaxPartitions));
      }
      parsed.options.partitions_override = *n;
    } else if (flag == "--listen") {
      // Named explicitly because it is the flag people expect from a broker.
      return Fail(
          "--listen: not supported: librdkafka 2.0.2's mock cluster cannot bind a chosen port; "
          "read the address from stdout or --bootstrap-file");
    } else {
      return Fail(std::string(arg) + ": unknown flag (see --help)");
    }
  }
  return parsed;
}

}  // namespace klinik::devbroker
