// Turns the JSON of each pass into the report: bench/results/<date>.json (everything) and
// <date>.md (machine, versions, every figure, ratios to the raw hop, targets met or not).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace bench {

// Machine and library versions as this process sees them; `source_dir` is the git checkout.
nlohmann::json Environment(const std::string& source_dir);

// The targets of the benchmark issue, judged on the passes.
nlohmann::json Targets(const std::vector<nlohmann::json>& passes);

std::string Markdown(const nlohmann::json& report);

}  // namespace bench
