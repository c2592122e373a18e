// Validates rendered Kubernetes manifests offline against the schemas of the npm packages
// kubernetes-models, @kubernetes-models/keda, @kubernetes-models/prometheus-operator and
// @kubernetes-models/strimzi-kafka-operator, refusing unknown kinds and unknown fields, then checks
// the chart's own invariants (topics match topics.h, KEDA within partitions, secure pods, drain
// bound below the grace period).
//
//   node validate.mjs --modules <node_modules> [--topics-header topics.h] rendered.yaml…
//   node validate.mjs --modules <node_modules> --self-test
//
// Why a Proxy: the packages ship precompiled validators that, like the Kubernetes OpenAPI
// schemas, do not say `additionalProperties: false`, so they accept any extra field. A compiled
// validator reads every property its schema declares and enumerates the keys of a map
// (additionalProperties), so a key of an object that was probed but never read and never
// enumerated is not in the schema: an unknown field. An object the validator never touched has
// a free-form schema (x-kubernetes-preserve-unknown-fields) and is accepted as such.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const args = process.argv.slice(2);
function takeOption(name) {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const [, value] = args.splice(i, 2);
  return value;
}
const modules = takeOption("--modules");
const topicsHeader = takeOption("--topics-header");
const selfTest = args.includes("--self-test");
const files = args.filter((a) => a !== "--self-test");
if (!modules) {
  console.error("validate: --modules <node_modules dir> is required (tools/dev/deps.d/node-deploy.sh installs it)");
  process.exit(2);
}
const yaml = createRequire(join(modules, "noop.js"))("js-yaml");

// apiVersion group → the package folder whose <group>/<version>/index.js exports the kinds.
const packages = {
  "": "kubernetes-models",
  "apps": "kubernetes-models",
  "autoscaling": "kubernetes-models",
  "policy": "kubernetes-models",
  "networking.k8s.io": "kubernetes-models",
  "rbac.authorization.k8s.io": "kubernetes-models",
  "batch": "kubernetes-models",
  "keda.sh": "@kubernetes-models/keda",
  "monitoring.coreos.com": "@kubernetes-models/prometheus-operator",
  "kafka.strimzi.io": "@kubernetes-models/strimzi-kafka-operator",
};

const moduleCache = new Map();
async function modelFor(apiVersion, kind) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  const pkg = packages[group];
  if (!pkg) return null;
  const file = group === "" ? join(modules, pkg, version, "index.js") : join(modules, pkg, group, version, "index.js");
  if (!moduleCache.has(file)) {
    moduleCache.set(file, await import(pathToFileURL(file).href).catch(() => null));
  }
  const mod = moduleCache.get(file);
  const model = mod?.[kind];
  return model && model.apiVersion === apiVersion && model.kind === kind ? model : null;
}

// Wraps `value` so every property read and key enumeration is recorded in `seen`.
function track(value, path, seen) {
  if (Array.isArray(value)) return value.map((v, i) => track(v, `${path}[${i}]`, seen));
  if (value === null || typeof value !== "object") return value;
  const info = { path, keys: Object.keys(value), read: new Set(), enumerated: false };
  seen.push(info);
  const copy = {};
  for (const k of info.keys) copy[k] = track(value[k], `${path}.${k}`, seen);
  return new Proxy(copy, {
    get(target, key, receiver) {
      if (typeof key === "string") info.read.add(key);
      return Reflect.get(target, key, receiver);
    },
    has(target, key) {
      if (typeof key === "string") info.read.add(key);
      return Reflect.has(target, key);
    },
    ownKeys(target) {
      info.enumerated = true;
      return Reflect.ownKeys(target);
    },
  });
}

function formatErrors(errors) {
  return (errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? e.keyword} ${JSON.stringify(e.params ?? {})}`);
}

// Returns a list of problems with one object (empty when valid).
async function validateObject(obj) {
  if (!obj || typeof obj !== "object" || !obj.apiVersion || !obj.kind) return ["not a Kubernetes object (no apiVersion/kind)"];
  const model = await modelFor(obj.apiVersion, obj.kind);
  if (!model) return [`unknown kind ${obj.kind} in ${obj.apiVersion}: no schema to validate it against`];
  const seen = [];
  const tracked = track(obj, "", seen);
  try {
    model.prototype.validate.call(tracked);
  } catch (e) {
    return e.errors ? formatErrors(e.errors) : [String(e.message ?? e)];
  }
  const problems = [];
  for (const info of seen) {
    if (info.enumerated || info.read.size === 0) continue;
    for (const k of info.keys) {
      if (!info.read.has(k)) problems.push(`${info.path || "/"}: unknown field "${k}"`);
    }
  }
  return problems;
}

// Topic name → partitions, parsed from topics.h (the one list of topics).
function topicsFromHeader(path) {
  const text = readFileSync(path, "utf8");
  const names = {};
  for (const m of text.matchAll(/inline constexpr std::string_view (k\w+) = "([^"]+)";/g)) names[m[1]] = m[2];
  const partitions = {};
  for (const m of text.matchAll(/\{(k\w+),\s*(\d+)\}/g)) partitions[names[m[1]]] = Number(m[2]);
  if (Object.keys(partitions).length === 0) throw new Error(`no topics found in ${path}`);
  return partitions;
}

function envValue(container, name) {
  return (container.env ?? []).find((e) => e.name === name)?.value;
}

// The chart's own rules that a schema cannot express.
function checkInvariants(objects, topics) {
  const problems = [];
  const byKind = (k) => objects.filter((o) => o.kind === k);
  for (const d of byKind("Deployment")) {
    const pod = d.spec.template.spec;
    const where = `Deployment ${d.metadata.name}`;
    if (pod.securityContext?.runAsNonRoot !== true) problems.push(`${where}: pod must run as non-root`);
    if (pod.automountServiceAccountToken !== false) problems.push(`${where}: service account token must not be mounted`);
    for (const c of pod.containers) {
      const sc = c.securityContext ?? {};
      if (sc.readOnlyRootFilesystem !== true) problems.push(`${where}/${c.name}: root filesystem must be read-only`);
      if (sc.allowPrivilegeEscalation !== false) problems.push(`${where}/${c.name}: privilege escalation must be off`);
      if (!(sc.capabilities?.drop ?? []).includes("ALL")) problems.push(`${where}/${c.name}: must drop ALL capabilities`);
      if (!c.readinessProbe || !c.livenessProbe) problems.push(`${where}/${c.name}: needs readiness and liveness probes`);
      const drain = /^(\d+)s$/.exec(envValue(c, "KLINIK_SHUTDOWN_TIMEOUT") ?? "");
      if (!drain) problems.push(`${where}/${c.name}: KLINIK_SHUTDOWN_TIMEOUT must be set in seconds`);
      else if (Number(drain[1]) >= pod.terminationGracePeriodSeconds) {
        problems.push(`${where}: terminationGracePeriodSeconds ${pod.terminationGracePeriodSeconds} must exceed the drain bound ${drain[1]}s`);
      }
      const ports = new Set((c.ports ?? []).map((p) => p.name));
      if (!ports.has("grpc") || !ports.has("http-metrics")) problems.push(`${where}/${c.name}: needs ports grpc and http-metrics`);
    }
  }
  for (const s of byKind("Service")) {
    const names = new Set(s.spec.ports.map((p) => p.name));
    if (!names.has("grpc") || !names.has("http-metrics")) problems.push(`Service ${s.metadata.name}: needs ports grpc and http-metrics`);
  }
  if (topics) {
    for (const so of byKind("ScaledObject")) {
      for (const t of so.spec.triggers.filter((t) => t.type === "kafka")) {
        const p = topics[t.metadata.topic];
        if (p === undefined) problems.push(`ScaledObject ${so.metadata.name}: trigger on unknown topic ${t.metadata.topic}`);
        else if (so.spec.maxReplicaCount > p) {
          problems.push(`ScaledObject ${so.metadata.name}: maxReplicaCount ${so.spec.maxReplicaCount} exceeds the ${p} partitions of ${t.metadata.topic}`);
        }
        if (!/^klinik-[a-z-]+$/.test(t.metadata.consumerGroup ?? "")) problems.push(`ScaledObject ${so.metadata.name}: consumerGroup must be klinik-<service>`);
      }
    }
    const kafkaTopics = byKind("KafkaTopic");
    if (kafkaTopics.length > 0) {
      const rendered = Object.fromEntries(kafkaTopics.map((t) => [t.spec.topicName, t.spec.partitions]));
      for (const [name, partitions] of Object.entries(topics)) {
        if (!(name in rendered)) problems.push(`KafkaTopic ${name}: in topics.h but not rendered by the chart`);
        else if (rendered[name] !== partitions) problems.push(`KafkaTopic ${name}: chart has ${rendered[name]} partitions, topics.h ${partitions}`);
      }
      for (const name of Object.keys(rendered)) {
        if (!(name in topics)) problems.push(`KafkaTopic ${name}: not in topics.h`);
      }
    }
    for (const u of byKind("KafkaUser")) {
      for (const acl of u.spec.authorization?.acls ?? []) {
        if (acl.resource.type === "topic" && !(acl.resource.name in topics)) problems.push(`KafkaUser ${u.metadata.name}: ACL on unknown topic ${acl.resource.name}`);
        if ((acl.operations ?? []).includes("All")) problems.push(`KafkaUser ${u.metadata.name}: ACL grants All`);
      }
    }
  }
  return problems;
}

async function validateFile(file, topics) {
  const docs = yaml.loadAll(readFileSync(file, "utf8")).filter((d) => d !== null && d !== undefined);
  let failed = 0;
  const counts = {};
  for (const obj of docs) {
    const problems = await validateObject(obj);
    const name = `${obj?.kind ?? "?"} ${obj?.metadata?.name ?? "?"}`;
    counts[obj?.kind ?? "?"] = (counts[obj?.kind ?? "?"] ?? 0) + 1;
    if (problems.length) {
      failed++;
      for (const p of problems) console.error(`${file}: ${name}: ${p}`);
    }
  }
  const invariantProblems = checkInvariants(docs.filter((d) => d?.kind), topics);
  for (const p of invariantProblems) console.error(`${file}: ${p}`);
  const summary = Object.entries(counts).sort().map(([k, n]) => `${k}=${n}`).join(" ");
  console.log(`${file}: ${docs.length} objects, ${docs.length - failed} valid, ${failed} invalid; ${invariantProblems.length} invariant problems (${summary})`);
  if (docs.length === 0) {
    console.error(`${file}: nothing rendered`);
    return false;
  }
  return failed === 0 && invariantProblems.length === 0;
}

// Proves the validator refuses what it must: each case is an object that a schema-only check
// (the packages' own validate()) would accept or that has a plain schema error.
async function runSelfTest() {
  const deployment = () => ({
    apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "d", labels: { a: "b" } },
    spec: { selector: { matchLabels: { a: "b" } }, template: { metadata: { labels: { a: "b" } },
      spec: { containers: [{ name: "c", image: "i", env: [{ name: "X", value: "1" }] }] } } },
  });
  const cases = [
    ["valid Deployment", deployment(), true],
    ["unknown field in Deployment spec", (() => { const d = deployment(); d.spec.replica = 2; return d; })(), false],
    ["unknown field in a container", (() => { const d = deployment(); d.spec.template.spec.containers[0].readOnly = true; return d; })(), false],
    ["unknown field in an env entry", (() => { const d = deployment(); d.spec.template.spec.containers[0].env[0].valu = "1"; return d; })(), false],
    ["wrong type", (() => { const d = deployment(); d.spec.replicas = "two"; return d; })(), false],
    ["unknown kind", { apiVersion: "apps/v1", kind: "Deploymnet", metadata: { name: "x" } }, false],
    ["unknown group", { apiVersion: "example.com/v1", kind: "Thing", metadata: { name: "x" } }, false],
    ["valid ScaledObject", { apiVersion: "keda.sh/v1alpha1", kind: "ScaledObject", metadata: { name: "s" },
      spec: { scaleTargetRef: { name: "d" }, triggers: [{ type: "kafka", metadata: { topic: "t", consumerGroup: "g" } }] } }, true],
    ["unknown field in a KEDA trigger", { apiVersion: "keda.sh/v1alpha1", kind: "ScaledObject", metadata: { name: "s" },
      spec: { scaleTargetRef: { name: "d" }, triggers: [{ type: "kafka", metdata: { topic: "t" }, metadata: {} }] } }, false],
    ["unknown field in a PrometheusRule rule", { apiVersion: "monitoring.coreos.com/v1", kind: "PrometheusRule", metadata: { name: "r" },
      spec: { groups: [{ name: "g", rules: [{ alert: "A", expr: "up == 0", summary: "x" }] }] } }, false],
    ["valid KafkaTopic with free-form config", { apiVersion: "kafka.strimzi.io/v1", kind: "KafkaTopic", metadata: { name: "t" },
      spec: { partitions: 3, replicas: 1, config: { "retention.ms": 1000, "anything.goes": "here" } } }, true],
    ["unknown field in a KafkaUser ACL", { apiVersion: "kafka.strimzi.io/v1", kind: "KafkaUser", metadata: { name: "u" },
      spec: { authorization: { type: "simple", acls: [{ resource: { type: "topic", name: "t" }, operations: ["Read"], operation: "Read" }] } } }, false],
  ];
  let failures = 0;
  const report = (ok, name, problems) => {
    if (!ok) failures++;
    console.log(`${ok ? "ok  " : "FAIL"} ${name}: ${problems.length ? problems.join("; ") : "valid"}`);
  };
  for (const [name, obj, expectValid] of cases) {
    const problems = await validateObject(obj);
    report((problems.length === 0) === expectValid, name, problems);
  }
  // The invariants: each set of objects below breaks exactly the rule it names.
  const topics = { "klinik.patients.v1": 12, "klinik.deadletter.v1": 3 };
  const invariantCases = [
    ["pod without the secure defaults", [deployment()], /non-root/],
    ["grace period not above the drain bound", [(() => {
      const d = deployment();
      const pod = d.spec.template.spec;
      Object.assign(pod, { securityContext: { runAsNonRoot: true }, automountServiceAccountToken: false, terminationGracePeriodSeconds: 20 });
      Object.assign(pod.containers[0], {
        securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
        readinessProbe: {}, livenessProbe: {}, ports: [{ name: "grpc", containerPort: 1 }, { name: "http-metrics", containerPort: 2 }],
        env: [{ name: "KLINIK_SHUTDOWN_TIMEOUT", value: "20s" }],
      });
      return d;
    })()], /must exceed the drain bound 20s/],
    ["KEDA above the partitions", [{ kind: "ScaledObject", metadata: { name: "s" }, spec: { maxReplicaCount: 4,
      triggers: [{ type: "kafka", metadata: { topic: "klinik.deadletter.v1", consumerGroup: "klinik-x" } }] } }], /exceeds the 3 partitions/],
    ["KafkaTopic partitions differ from topics.h", [
      { kind: "KafkaTopic", metadata: { name: "a" }, spec: { topicName: "klinik.patients.v1", partitions: 6 } },
      { kind: "KafkaTopic", metadata: { name: "b" }, spec: { topicName: "klinik.deadletter.v1", partitions: 3 } }], /chart has 6 partitions, topics.h 12/],
    ["KafkaTopic missing", [{ kind: "KafkaTopic", metadata: { name: "a" }, spec: { topicName: "klinik.patients.v1", partitions: 12 } }],
      /klinik.deadletter.v1: in topics.h but not rendered/],
  ];
  for (const [name, objects, expected] of invariantCases) {
    const problems = checkInvariants(objects, topics);
    report(problems.some((p) => expected.test(p)), name, problems);
  }
  const total = cases.length + invariantCases.length;
  console.log(`${total - failures} passed, ${failures} failed`);
  return failures === 0;
}

let ok = true;
if (selfTest) ok = await runSelfTest();
const topics = topicsHeader ? topicsFromHeader(topicsHeader) : null;
for (const file of files) ok = (await validateFile(file, topics)) && ok;
if (!selfTest && files.length === 0) {
  console.error("validate: no files given");
  ok = false;
}
process.exit(ok ? 0 : 1);
