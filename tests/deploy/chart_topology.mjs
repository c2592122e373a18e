// deploy.chart_topology: the Helm chart's services, topics and consumer groups against
// services/services.json (the one list of services) and topics.h (the one list of topics).
// Fails when a service, topic or consumer group is missing or extra on either side: in the
// manifest against topics.h, in the chart's copy of the manifest, values.yaml and
// values.schema.json, and in the objects the chart renders with every service and every
// topology-bearing feature on (Deployments, Services, KEDA triggers, Strimzi KafkaUsers and
// KafkaTopics). Then, when all agree, it proves that it bites: each single change in `mutations`
// made to the real inputs must be reported.
//
//   node chart_topology.mjs --modules <node_modules> --helm <helm> --root <repository>
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { topicsFromHeader } from "./topics_header.mjs";

const args = process.argv.slice(2);
const option = (name) => {
  const i = args.indexOf(name);
  return i < 0 ? undefined : args[i + 1];
};
const [modules, helm, root] = ["--modules", "--helm", "--root"].map(option);
if (!modules || !helm || !root) {
  console.error("usage: chart_topology.mjs --modules <node_modules> --helm <helm> --root <repository>");
  process.exit(2);
}
const yaml = createRequire(join(modules, "noop.js"))("js-yaml");
const chart = join(root, "deploy/helm/klinik");

// Reports every element of `expected` missing from `actual` and every extra one.
function compare(problems, what, expected, actual, expectedFrom, actualFrom) {
  const e = new Set(expected), a = new Set(actual);
  for (const x of e) if (!a.has(x)) problems.push(`${what}: ${x} is in ${expectedFrom} but not in ${actualFrom}`);
  for (const x of a) if (!e.has(x)) problems.push(`${what}: ${x} is in ${actualFrom} but not in ${expectedFrom}`);
}

const consumed = (s) => (s.consumers ?? []).flatMap((c) => c.topics ?? []);
const groups = (s) => (s.consumers ?? []).map((c) => c.group);
const published = (m) => m.services.flatMap((s) => s.publishes ?? []);
const subscriberTopics = (schema) => schema.properties.strimzi.properties.subscribers.items.properties.topics.items;

// The manifest on its own and against topics.h: every topic it names exists, every topic of
// topics.h is consumed or published by some service, groups follow KLINIK_CONSUMER_GROUP.
function checkManifest(m, topics) {
  const problems = [];
  const names = m.services.map((s) => s.name);
  const ports = m.services.flatMap((s) => [s.dev_ports?.grpc, s.dev_ports?.http]);
  if (new Set(names).size !== names.length) problems.push(`manifest: a service is listed twice: ${names}`);
  if (ports.some((p) => !Number.isInteger(p)) || new Set(ports).size !== ports.length)
    problems.push(`manifest: dev_ports must be distinct integers, got ${ports}`);
  if (!(m.dead_letter_topic in topics)) problems.push(`manifest: dead_letter_topic ${m.dead_letter_topic} is not in topics.h`);
  m.services.forEach((s, i) => {
    if (!/^[a-z][a-z0-9-]*$/.test(s.name ?? "") || !s.binary) problems.push(`manifest: service #${i} needs a name and a binary`);
    for (const t of [...consumed(s), ...(s.publishes ?? [])])
      if (!(t in topics)) problems.push(`manifest: ${s.name} names ${t}, which is not in topics.h`);
    for (const c of s.consumers ?? []) {
      if (!c.group?.startsWith(`klinik-${s.name}`)) problems.push(`manifest: ${s.name}'s consumer group ${c.group} must start with klinik-${s.name}, the default KLINIK_CONSUMER_GROUP`);
      if (!(c.topics ?? []).length) problems.push(`manifest: ${s.name}'s consumer ${c.group} consumes no topic`);
    }
    for (const [callee, env] of Object.entries(s.calls ?? {})) {
      if (!names.slice(0, i).includes(callee)) problems.push(`manifest: ${s.name} calls ${callee}, which must be listed before it (start order)`);
      if (!/^KLINIK_[A-Z0-9_]+$/.test(env)) problems.push(`manifest: ${s.name}'s address variable ${env} must be KLINIK_*`);
    }
  });
  const used = [m.dead_letter_topic, ...m.services.flatMap((s) => [...consumed(s), ...(s.publishes ?? [])])];
  compare(problems, "topic", Object.keys(topics), used, "topics.h", "the manifest's consumes/publishes");
  return problems;
}

// The chart's own lists: its copy of the manifest, values.yaml's service blocks and the schema.
function checkChartFiles(inputs) {
  const { manifest, manifestText, chartManifestText, values, schema } = inputs;
  const problems = [];
  if (chartManifestText !== manifestText)
    problems.push("deploy/helm/klinik/files/services.json differs from services/services.json: cp services/services.json deploy/helm/klinik/files/");
  const names = manifest.services.map((s) => s.name);
  compare(problems, "service", names, Object.keys(values.services ?? {}), "the manifest", "values.yaml services");
  compare(problems, "service", names, Object.keys(schema.properties.services.properties ?? {}), "the manifest", "values.schema.json services");
  const enumOf = subscriberTopics(schema).enum ?? [];
  compare(problems, "fact topic", published(manifest), enumOf, "the manifest's publishes", "values.schema.json strimzi.subscribers topics");
  return problems;
}

const byService = (objects, kind) =>
  new Map(objects.filter((o) => o.kind === kind && o.metadata?.labels?.["app.kubernetes.io/component"] === "service")
    .map((o) => [o.metadata.labels["app.kubernetes.io/name"], o]));

// Deployments and Services: one per manifest service, each running its binary with its group.
function checkWorkloads(problems, manifest, objects) {
  const deployments = byService(objects, "Deployment");
  const names = manifest.services.map((s) => s.name);
  compare(problems, "service", names, [...deployments.keys()], "the manifest", "the rendered Deployments");
  compare(problems, "service", names, [...byService(objects, "Service").keys()], "the manifest", "the rendered Services");
  for (const s of manifest.services) {
    const container = deployments.get(s.name)?.spec.template.spec.containers[0];
    if (!container) continue;
    if (container.command?.[0] !== `/usr/local/bin/${s.binary}`) problems.push(`Deployment ${s.name}: runs ${container.command}, not /usr/local/bin/${s.binary}`);
    const group = (container.env ?? []).find((e) => e.name === "KLINIK_CONSUMER_GROUP")?.value;
    if (group !== `klinik-${s.name}`) problems.push(`Deployment ${s.name}: KLINIK_CONSUMER_GROUP is ${group}, not klinik-${s.name}`);
  }
}

// KEDA triggers, KafkaUser ACLs and KafkaTopics against each service's topics and groups.
function checkKafkaObjects(problems, manifest, topics, objects) {
  const scaled = byService(objects, "ScaledObject"), users = byService(objects, "KafkaUser");
  const names = manifest.services.map((s) => s.name);
  compare(problems, "service", names, [...scaled.keys()], "the manifest", "the rendered ScaledObjects");
  compare(problems, "service", names, [...users.keys()], "the manifest", "the rendered KafkaUsers");
  for (const s of manifest.services) {
    const pairs = (s.consumers ?? []).flatMap((c) => (c.topics ?? []).map((t) => `${t} in group ${c.group}`));
    const triggers = (scaled.get(s.name)?.spec.triggers ?? []).filter((t) => t.type === "kafka")
      .map((t) => `${t.metadata.topic} in group ${t.metadata.consumerGroup}`);
    if (scaled.has(s.name)) compare(problems, `${s.name} KEDA trigger`, pairs, triggers, "the manifest", "its ScaledObject");
    if (!users.has(s.name)) continue;
    const acls = users.get(s.name).spec.authorization.acls;
    const on = (type, op) => acls.filter((a) => a.resource.type === type && a.operations.includes(op)).map((a) => a.resource.name);
    compare(problems, `${s.name} read ACL`, consumed(s), on("topic", "Read"), "the manifest", "its KafkaUser");
    compare(problems, `${s.name} write ACL`, [...(s.publishes ?? []), manifest.dead_letter_topic], on("topic", "Write"), "the manifest", "its KafkaUser");
    compare(problems, `${s.name} consumer group`, groups(s), on("group", "Read"), "the manifest", "its KafkaUser");
  }
  const kafkaTopics = objects.filter((o) => o.kind === "KafkaTopic").map((t) => `${t.spec.topicName} (${t.spec.partitions} partitions)`);
  compare(problems, "topic", Object.entries(topics).map(([t, p]) => `${t} (${p} partitions)`), kafkaTopics, "topics.h", "the rendered KafkaTopics");
}

function check(inputs) {
  const problems = [...checkManifest(inputs.manifest, inputs.topics), ...checkChartFiles(inputs)];
  if (inputs.renderError) problems.push(`helm template with every service on failed: ${inputs.renderError}`);
  else {
    checkWorkloads(problems, inputs.manifest, inputs.objects);
    checkKafkaObjects(problems, inputs.manifest, inputs.topics, inputs.objects);
  }
  return problems;
}

// Every service on, with KEDA, and the Strimzi topics and users: all topology the chart renders.
function render(manifest) {
  const sets = manifest.services.flatMap((s) => ["--set", `services.${s.name}.enabled=true`, "--set", `services.${s.name}.keda.enabled=true`]);
  const out = execFileSync(helm, ["template", "klinik", chart, "--namespace", "klinik",
    "--values", join(root, "tests/deploy/values-all-features.yaml"), ...sets], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  return yaml.loadAll(out).filter((d) => d?.kind);
}

function loadInputs() {
  const manifestText = readFileSync(join(root, "services/services.json"), "utf8");
  const inputs = {
    manifestText,
    manifest: JSON.parse(manifestText),
    chartManifestText: readFileSync(join(chart, "files/services.json"), "utf8"),
    topics: topicsFromHeader(join(root, "services/common/include/klinik/topics.h")),
    values: yaml.load(readFileSync(join(chart, "values.yaml"), "utf8")),
    schema: JSON.parse(readFileSync(join(chart, "values.schema.json"), "utf8")),
    objects: [],
  };
  try {
    inputs.objects = render(inputs.manifest);
  } catch (e) {
    inputs.renderError = String(e.stderr || e.message).trim().split("\n").filter((l) => l.trim()).join(" | ").slice(0, 600);
  }
  return inputs;
}

const service = (m, name) => m.services.find((s) => s.name === name);
const ofService = (objects, kind, name) =>
  objects.find((o) => o.kind === kind && o.metadata.labels?.["app.kubernetes.io/name"] === name);

// [what, change to the real inputs, what the report must then say]. `manifest` changes rewrite
// the chart's copy too, so they are caught by the comparison itself, not by the copy check.
const audit = {
  name: "audit", binary: "audit", consumers: [{ group: "klinik-audit", topics: ["klinik.patients.v1"] }],
  publishes: [], calls: {}, dev_ports: { grpc: 50099, http: 9199 },
};
const mutations = [
  ["manifest lacks a service", { manifest: (m) => { m.services = m.services.filter((s) => s.name !== "pharmacy"); } },
    /pharmacy is in the rendered Deployments but not in the manifest/],
  ["manifest has an extra service", { manifest: (m) => { m.services.push(audit); } },
    /audit is in the manifest but not in the rendered Deployments/],
  ["chart lacks a Deployment", { objects: (o) => o.splice(o.indexOf(ofService(o, "Deployment", "registration")), 1) },
    /registration is in the manifest but not in the rendered Deployments/],
  ["topics.h lacks a topic", { topics: (t) => { delete t["klinik.referrals.v1"]; } }, /names klinik.referrals.v1, which is not in topics.h/],
  ["topics.h has an extra topic", { topics: (t) => { t["klinik.audit.v1"] = 12; } }, /klinik.audit.v1 is in topics.h but not in the manifest/],
  ["manifest lacks a consumed topic", { manifest: (m) => { service(m, "referral").consumers[0].topics = ["klinik.intake.referral.v1"]; } },
    /klinik.screenings.v1 in group klinik-referral is in its ScaledObject but not in the manifest/],
  ["manifest has an extra consumer group", { manifest: (m) => { service(m, "referral").consumers.push({ group: "klinik-referral-sla", topics: ["klinik.screenings.v1"] }); } },
    /klinik-referral-sla is in the manifest but not in its KafkaUser/],
  ["KEDA trigger on another group", { objects: (o) => { ofService(o, "ScaledObject", "screening").spec.triggers[0].metadata.consumerGroup = "klinik-other"; } },
    /in group klinik-other is in its ScaledObject but not in the manifest/],
  ["KafkaUser lacks its group ACL", { objects: (o) => {
    const acls = ofService(o, "KafkaUser", "registration").spec.authorization.acls;
    acls.splice(acls.findIndex((a) => a.resource.type === "group"), 1);
  } },
    /registration consumer group: klinik-registration is in the manifest but not in its KafkaUser/],
  ["chart lacks a KafkaTopic", { objects: (o) => o.splice(o.findIndex((x) => x.spec?.topicName === "klinik.deadletter.v1"), 1) },
    /klinik.deadletter.v1 \(3 partitions\) is in topics.h but not in the rendered KafkaTopics/],
  ["values.yaml lacks a service block", { values: (v) => { delete v.services.pharmacy; } }, /pharmacy is in the manifest but not in values.yaml/],
  ["values.schema.json lacks a service", { schema: (s) => { delete s.properties.services.properties.referral; } },
    /referral is in the manifest but not in values.schema.json/],
  ["subscribers' topic enum lacks a fact topic", { schema: (s) => { subscriberTopics(s).enum.pop(); } },
    /is in the manifest's publishes but not in values.schema.json/],
  ["chart's copy of the manifest is stale", { chartManifestText: (t) => t + " " }, /files\/services.json differs/],
  ["group without the service's prefix", { manifest: (m) => { service(m, "pharmacy").consumers[0].group = "klinik-stock"; } }, /must start with klinik-pharmacy,/],
  ["service listed before the service it calls", { manifest: (m) => { m.services.unshift(...m.services.splice(1, 1)); } }, /calls registration, which must be listed before it/],
];

function runMutations(real) {
  let failures = 0;
  for (const [what, changes, expected] of mutations) {
    const inputs = structuredClone(real);
    for (const [key, change] of Object.entries(changes)) {
      const result = change(inputs[key]);
      if (typeof result === "string") inputs[key] = result;
    }
    if (changes.manifest) inputs.manifestText = inputs.chartManifestText = JSON.stringify(inputs.manifest);
    const problems = check(inputs);
    if (problems.some((p) => expected.test(p))) {
      console.log(`ok: detects: ${what}`);
    } else {
      console.error(`FAIL: does not detect: ${what} (wanted ${expected}; got: ${problems.join("; ") || "no problem"})`);
      failures++;
    }
  }
  return failures;
}

const real = loadInputs();
const problems = check(real);
if (problems.length > 0) {
  // The mutations assume consistent inputs; on inconsistent ones they would only add noise.
  for (const p of problems) console.error(`FAIL: ${p}`);
  process.exit(1);
}
console.log(`ok: chart matches services/services.json (${real.manifest.services.length} services) and topics.h (${Object.keys(real.topics).length} topics)`);
process.exit(runMutations(real) === 0 ? 0 : 1);
