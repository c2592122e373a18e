// Topic name → partitions, parsed from services/common/include/klinik/topics.h (the one list of
// topics), for the chart checks (validate.mjs, chart_topology.mjs).
import { readFileSync } from "node:fs";

export function topicsFromHeader(path) {
  const text = readFileSync(path, "utf8");
  const names = {};
  for (const m of text.matchAll(/inline constexpr std::string_view (k\w+) = "([^"]+)";/g)) names[m[1]] = m[2];
  const partitions = {};
  for (const m of text.matchAll(/\{(k\w+),\s*(\d+)\}/g)) partitions[names[m[1]]] = Number(m[2]);
  if (Object.keys(partitions).length === 0) throw new Error(`no topics found in ${path}`);
  return partitions;
}
