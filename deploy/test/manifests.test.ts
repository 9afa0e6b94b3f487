import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ScaledObject, TriggerAuthentication } from "@kubernetes-models/keda/keda.sh/v1alpha1";
import { loadConfig, RedisKeys } from "@pyfleet/core";
// Not a declared dependency: @pyfleet/fleet depends on this package, so declaring it would close
// a workspace cycle. The workspace link resolves it; the queue catalog stays the one source.
import { QUEUE_NAMES, REDIS_ROLES, STAGE_NAMES, type StageName, servedQueues } from "@pyfleet/fleet";
import { Deployment, StatefulSet } from "kubernetes-models/apps/v1";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { ConfigMap, Namespace, PersistentVolumeClaim, Secret, Service, ServiceAccount } from "kubernetes-models/v1";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";

// Offline checks of docker-compose.yml and k8s/ (kubectl is not assumed): a small kustomize
// renderer for the features k8s/ uses, schema validation with kubernetes-models, and the
// deployment's safety properties.

type Obj = Record<string, any>;
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const read = (p: string) => readFileSync(p, "utf8");
const docs = (p: string): Obj[] => parseAllDocuments(read(p)).map((d) => d.toJS() as Obj).filter(Boolean);

const MODELS: Record<string, new (o: any) => { validate(): void }> = {
  "v1/Namespace": Namespace,
  "v1/ServiceAccount": ServiceAccount,
  "v1/ConfigMap": ConfigMap,
  "v1/Secret": Secret,
  "v1/Service": Service,
  "v1/PersistentVolumeClaim": PersistentVolumeClaim,
  "apps/v1/Deployment": Deployment,
  "apps/v1/StatefulSet": StatefulSet,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "networking.k8s.io/v1/NetworkPolicy": NetworkPolicy,
  "keda.sh/v1alpha1/ScaledObject": ScaledObject,
  "keda.sh/v1alpha1/TriggerAuthentication": TriggerAuthentication,
};

function labelsMatch(labels: Obj, selector: Obj): boolean {
  const exprs: Obj[] = selector.matchExpressions ?? [];
  return (
    Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v) &&
    exprs.every((e) => e.operator === "In" && (e.values as string[]).includes(labels[e.key]))
  );
}

function targets(o: Obj, t: Obj): boolean {
  const selector = Object.fromEntries(String(t.labelSelector ?? "").split(",").filter(Boolean).map((kv) => kv.split("=")));
  return (!t.kind || o.kind === t.kind) && (!t.name || new RegExp(`^(${t.name})$`).test(o.metadata.name)) && labelsMatch(o.metadata.labels ?? {}, { matchLabels: selector });
}

function jsonPatch(o: Obj, ops: Obj[]): void {
  for (const op of ops) {
    const path = String(op.path).split("/").slice(1);
    const last = path.pop()!;
    const parent = path.reduce<Obj>((node, key) => node?.[key], o);
    if (op.op !== "replace" || parent?.[last] === undefined) throw new Error(`unsupported or dangling patch ${op.op} ${op.path} on ${o.metadata.name}`);
    parent[last] = op.value;
  }
}

function mergePatch(target: Obj, patch: Obj): void {
  for (const [k, v] of Object.entries(patch)) {
    if (Array.isArray(v) && v.every((e) => e?.name) && Array.isArray(target[k])) {
      for (const e of v) {
        const match = (target[k] as Obj[]).find((t) => t.name === e.name);
        match ? mergePatch(match, e) : target[k].push(e);
      }
    } else if (v && typeof v === "object" && !Array.isArray(v) && target[k] && typeof target[k] === "object") mergePatch(target[k], v);
    else target[k] = v;
  }
}

/** Renders a kustomization (resources, configMapGenerator, patches, namespace); refuses other features. */
function render(dir: string): Obj[] {
  const k = parse(read(join(dir, "kustomization.yaml"))) as Obj;
  const known = ["apiVersion", "kind", "namespace", "resources", "configMapGenerator", "patches"];
  const unknown = Object.keys(k).filter((key) => !known.includes(key));
  if (unknown.length) throw new Error(`${dir}: the test renderer does not support ${unknown.join(", ")}`);
  const out: Obj[] = [];
  for (const r of k.resources ?? []) {
    const p = join(dir, r);
    out.push(...(existsSync(join(p, "kustomization.yaml")) ? render(p) : docs(p)));
  }
  for (const g of k.configMapGenerator ?? []) {
    const data = Object.fromEntries((g.files ?? []).map((f: string) => [basename(f), read(join(dir, f))]));
    out.push({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: g.name }, data });
  }
  for (const p of k.patches ?? []) {
    const patch = parse(read(join(dir, p.path))) as Obj;
    const hits = out.filter((o) => targets(o, p.target ?? { kind: patch.kind, name: patch.metadata.name }));
    if (hits.length === 0) throw new Error(`${dir}: patch ${p.path} matches nothing`);
    for (const o of hits) Array.isArray(patch) ? jsonPatch(o, patch) : mergePatch(o, patch);
  }
  if (k.namespace) for (const o of out) if (o.kind !== "Namespace") o.metadata.namespace = k.namespace;
  return out;
}

const config = loadConfig({ file: join(ROOT, "deploy/config.yml"), env: {} });
const rootConfig = loadConfig({ file: join(ROOT, "config.yml"), env: {} });
const drainSeconds = Math.max(config.queues.drain_seconds, rootConfig.queues.drain_seconds);
const secretTemplates = docs(join(ROOT, "k8s/secrets/secrets.template.yaml"));

const podSpec = (o: Obj): Obj => o.spec.template.spec;
const workerArgs = (d: Obj): string[] => podSpec(d).containers[0].args ?? [];
const isWorker = (d: Obj) => d.kind === "Deployment" && workerArgs(d)[0] === "apps/worker/src/main.ts";
const argOf = (args: string[], flag: string) => args[args.indexOf(flag) + 1];
function queuesOf(d: Obj) {
  const args = workerArgs(d);
  const stage = argOf(args, "--stage")!;
  const stages = (stage === "all" ? [...STAGE_NAMES] : [stage]) as StageName[];
  const mode = argOf(args, "--mode") as "read_only" | "write_access" | undefined;
  return servedQueues(stages, mode ? [mode] : []);
}
function secretRefs(d: Obj): Set<string> {
  const refs = new Set<string>();
  for (const c of [...podSpec(d).containers, ...(podSpec(d).initContainers ?? [])]) {
    for (const e of c.env ?? []) if (e.valueFrom?.secretKeyRef) refs.add(`${e.valueFrom.secretKeyRef.name}/${e.valueFrom.secretKeyRef.key}`);
    for (const e of c.envFrom ?? []) if (e.secretRef) refs.add(`${e.secretRef.name}/*`);
  }
  for (const v of podSpec(d).volumes ?? []) if (v.secret) refs.add(`${v.secret.secretName}/*`);
  return refs;
}

describe.each(["k8s/base", "k8s/overlays/dev"])("kustomization %s", (dir) => {
  const objs = render(join(ROOT, dir));
  const byKind = (kind: string) => objs.filter((o) => o.kind === kind);
  const deployments = byKind("Deployment");
  const workers = deployments.filter(isWorker);
  const named = (kind: string, name: string) => objs.find((o) => o.kind === kind && o.metadata.name === name);
  const env = named("ConfigMap", "pyfleet-env")!.data as Record<string, string>;

  it("renders objects that validate against the Kubernetes and KEDA schemas", () => {
    expect(objs.length).toBeGreaterThan(30);
    for (const o of [...objs, ...secretTemplates]) {
      const Model = MODELS[`${o.apiVersion}/${o.kind}`];
      expect(Model, `${o.apiVersion}/${o.kind} ${o.metadata?.name}`).toBeDefined();
      expect(() => new Model!(o).validate(), `${o.kind}/${o.metadata.name}`).not.toThrow();
    }
    const ids = objs.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("ships the container config, which loads with the manifests' environment", () => {
    const cm = named("ConfigMap", "pyfleet-config")!;
    expect(cm.data["config.yml"]).toBe(read(join(ROOT, "deploy/config.yml")));
    // REDIS_URL comes from each process's role Secret, never from the shared ConfigMap
    expect(env.REDIS_URL).toBeUndefined();
    const url = "redis://worker:secret-password-16@redis:6379";
    expect(loadConfig({ file: join(ROOT, "deploy/config.yml"), env: { ...env, REDIS_URL: url } }).redis.url).toBe(url);
    expect(env.PYFLEET_CONFIG).toBe("/etc/pyfleet/config.yml");
  });

  it("runs code only on Jupyter: every process agrees on the container method", () => {
    // the process that starts a run fixes its method; a `local` run would execute inside an executor pod
    for (const d of deployments.filter((o) => podSpec(o).containers[0].image.startsWith("pyfleet-node"))) {
      const own = Object.fromEntries((podSpec(d).containers[0].env ?? []).filter((e: Obj) => "value" in e).map((e: Obj) => [e.name, e.value]));
      const { execution } = loadConfig({ file: join(ROOT, "deploy/config.yml"), env: { ...env, ...own } });
      expect(execution.execution_method, d.metadata.name).toBe("container");
      expect(execution.allowed_methods, d.metadata.name).toEqual(["container"]);
    }
  });

  it("serves every queue, and each worker drains within its grace period", () => {
    expect(new Set(workers.flatMap(queuesOf))).toEqual(new Set(QUEUE_NAMES));
    for (const d of workers) {
      const spec = podSpec(d);
      const c = spec.containers[0];
      const preStop = c.lifecycle?.preStop?.exec?.command ?? [];
      const pause = preStop[0] === "sleep" ? Number(preStop[1]) : 0;
      expect(spec.terminationGracePeriodSeconds, d.metadata.name).toBeGreaterThanOrEqual(drainSeconds + pause + 10);
      expect(c.readinessProbe.httpGet).toMatchObject({ path: "/readyz", port: "metrics" });
      expect(c.livenessProbe.httpGet).toMatchObject({ path: "/healthz", port: "metrics" });
      expect(c.ports).toContainEqual({ name: "metrics", containerPort: config.worker.metrics_port });
      expect(d.spec.template.metadata.annotations).toMatchObject({ "prometheus.io/scrape": "true", "prometheus.io/port": String(config.worker.metrics_port) });
      expect(d.spec.replicas, "KEDA owns the replicas").toBeUndefined();
    }
    for (const name of ["producer", "approver"]) {
      const c = podSpec(named("Deployment", name)!).containers[0];
      expect(c.readinessProbe.httpGet.path).toBe("/healthz");
      expect(named("Service", name)).toBeDefined();
    }
  });

  it("runs every container as non-root, without capabilities, with limits", () => {
    for (const o of [...deployments, ...byKind("StatefulSet")]) {
      const spec = podSpec(o);
      expect(spec.securityContext.runAsNonRoot, o.metadata.name).toBe(true);
      expect(spec.automountServiceAccountToken, o.metadata.name).toBe(false);
      for (const c of spec.containers) {
        const sc = c.securityContext;
        expect(sc, `${o.metadata.name}/${c.name}`).toMatchObject({ runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });
        expect(sc.capabilities.drop).toContain("ALL");
        expect(sc.capabilities.add ?? []).toEqual([]);
        expect(c.resources.limits.memory && c.resources.requests.cpu, `${o.metadata.name} resources`).toBeTruthy();
      }
    }
  });

  it("keeps write credentials away from read-only executors", () => {
    const refs = new Map(deployments.map((d) => [d.metadata.name as string, secretRefs(d)]));
    const holders = (secret: string) => [...refs].filter(([, r]) => [...r].some((x) => x.startsWith(`${secret}/`))).map(([n]) => n).sort();
    expect(holders("pyfleet-signing-keys")).toEqual(["approver"]);
    expect(holders("pyfleet-verify-keys")).toEqual(["worker-execute-read-only", "worker-execute-write"]);
    expect(holders("pyfleet-jupyter-write")).toEqual(["jupyter-write", "worker-execute-write"]);
    expect(holders("pyfleet-llm")).toEqual(["worker-generate"]);
    expect(podSpec(named("Deployment", "worker-execute-read-only")!).containers[0].env).toContainEqual({ name: "JUPYTER_HOST", value: "jupyter-read-only" });
    const writeSa = podSpec(named("Deployment", "worker-execute-write")!).serviceAccountName;
    expect(deployments.filter((d) => podSpec(d).serviceAccountName === writeSa).map((d) => d.metadata.name)).toEqual(["worker-execute-write"]);
    expect(named("Deployment", "worker-execute-write")!.spec.strategy.type).toBe("Recreate");
    const defined = new Set(secretTemplates.flatMap((s) => Object.keys(s.stringData).map((k) => `${s.metadata.name}/${k}`)));
    for (const [name, r] of refs) for (const ref of r) expect(defined.has(ref), `${name} uses ${ref}`).toBe(true);
  });

  it("connects each process as its own Redis ACL user; Redis loads the ACL file; KEDA authenticates", () => {
    const ROLE: Record<string, string> = {
      producer: "producer",
      approver: "approver",
      "worker-generate": "worker",
      "worker-analyze": "worker",
      "worker-execute-read-only": "worker",
      "worker-execute-write": "executor-write",
    };
    expect(deployments.filter((d) => d.metadata.name in ROLE || (podSpec(d).containers[0].args ?? [])[0]?.startsWith("apps/")).map((d) => d.metadata.name).sort()).toEqual(Object.keys(ROLE).sort());
    expect([...new Set(Object.values(ROLE))].sort()).toEqual([...REDIS_ROLES].sort());
    for (const [name, role] of Object.entries(ROLE)) {
      const redisEnv = (podSpec(named("Deployment", name)!).containers[0].env as Obj[]).filter((e) => e.name === "REDIS_URL");
      expect(redisEnv, name).toEqual([{ name: "REDIS_URL", valueFrom: { secretKeyRef: { name: `pyfleet-redis-${role}`, key: "REDIS_URL" } } }]);
    }
    const redis = podSpec(named("StatefulSet", "redis")!);
    const args = redis.containers[0].args as string[];
    expect(argOf(args, "--aclfile")).toBe("/etc/redis/users.acl");
    const aclMount = (redis.containers[0].volumeMounts as Obj[]).find((m) => m.mountPath === "/etc/redis");
    expect(redis.volumes.find((v: Obj) => v.name === aclMount?.name)?.secret.secretName).toBe("pyfleet-redis-acl");
    expect(secretTemplates.find((t) => t.metadata.name === "pyfleet-redis-acl")?.stringData).toHaveProperty("users.acl");
    const auth = named("TriggerAuthentication", "pyfleet-keda-redis")!;
    expect(auth.spec.secretTargetRef.map((r: Obj) => `${r.parameter}=${r.name}/${r.key}`).sort()).toEqual(["password=pyfleet-redis-keda/password", "username=pyfleet-redis-keda/username"]);
    for (const t of byKind("ScaledObject").flatMap((o) => o.spec.triggers)) expect(t.authenticationRef).toEqual({ name: "pyfleet-keda-redis" });
  });

  it("scales each worker with KEDA on its own BullMQ wait list", () => {
    const bull = new RedisKeys(loadConfig({ file: join(ROOT, "deploy/config.yml"), env }).redis.prefix).bullPrefix;
    const scaled = byKind("ScaledObject");
    expect(scaled.map((s) => s.spec.scaleTargetRef.name).sort()).toEqual(workers.map((d) => d.metadata.name).sort());
    for (const s of scaled) {
      const d = named("Deployment", s.spec.scaleTargetRef.name)!;
      const queues = queuesOf(d);
      const lists = s.spec.triggers.map((t: Obj) => {
        expect(t.type).toBe("redis");
        expect(env[t.metadata.addressFromEnv]).toBe(`redis.${d.metadata.namespace}.svc.cluster.local:6379`);
        return t.metadata.listName as string;
      });
      for (const q of queues) expect(lists, s.metadata.name).toContain(`${bull}:${q}:wait`);
      for (const l of lists) expect(queues.flatMap((q) => [`${bull}:${q}:wait`, `${bull}:${q}:active`])).toContain(l);
      const retries = queues.some((q) => config.queues[q === "execute.read_only" ? "execute_read_only" : q === "execute.write_access" ? "execute_write_access" : q].attempts > 1);
      if (retries) expect(s.spec.minReplicaCount, `${s.metadata.name}: delayed retries need a running worker`).toBeGreaterThanOrEqual(1);
      if (queues.includes("execute.write_access")) expect(s.spec.maxReplicaCount).toBeLessThanOrEqual(config.queues.write_fleet_concurrency);
    }
  });

  it("serves one kernelspec per Jupyter server and states the kernel sandbox choice explicitly", () => {
    for (const [name, spec] of [["jupyter-read-only", "python3-epics-readonly"], ["jupyter-write", "python3-epics-write"]] as const) {
      const c = podSpec(named("Deployment", name)!).containers[0];
      expect(c.image, name).toBe("pyfleet-jupyter:latest");
      const envOf = (k: string) => (c.env as Obj[]).find((e) => e.name === k)?.value;
      expect(envOf("PYFLEET_KERNELSPEC"), name).toBe(spec);
      // restricted Pod Security leaves bubblewrap no user namespaces: the opt-out is written down, never implied
      expect(envOf("PYFLEET_KERNEL_SANDBOX"), name).toBe("off");
    }
  });

  it("lets executors reach only Redis, their own Jupyter server and DNS", () => {
    const policies = byKind("NetworkPolicy");
    expect(policies.find((p) => p.metadata.name === "default-deny")!.spec).toEqual({ podSelector: {}, policyTypes: ["Ingress", "Egress"] });
    for (const [name, jupyter] of [["worker-execute-read-only", "jupyter-read-only"], ["worker-execute-write", "jupyter-write"]] as const) {
      const labels = named("Deployment", name)!.spec.template.metadata.labels;
      const rules = policies.filter((p) => labelsMatch(labels, p.spec.podSelector) && p.spec.policyTypes.includes("Egress")).flatMap((p) => p.spec.egress ?? []);
      const peers = rules.flatMap((r: Obj) => {
        expect(r.to, `${name}: an egress rule without peers is open to the internet`).toBeDefined();
        return r.to.map((t: Obj) => t.podSelector?.matchLabels?.["app.kubernetes.io/component"] ?? t.podSelector?.matchLabels?.["k8s-app"]);
      });
      expect(new Set(peers)).toEqual(new Set(["redis", jupyter, "kube-dns"]));
    }
  });

  it("lets read-only kernels reach Channel Access only at a read-only gateway (kernels run unsandboxed there)", () => {
    const labels = named("Deployment", "jupyter-read-only")!.spec.template.metadata.labels;
    const rules = byKind("NetworkPolicy")
      .filter((p) => labelsMatch(labels, p.spec.podSelector) && p.spec.policyTypes.includes("Egress"))
      .flatMap((p) => p.spec.egress ?? []);
    const ca = rules.filter((r: Obj) => (r.ports ?? []).some((p: Obj) => p.port === 5064));
    expect(ca.length).toBeGreaterThan(0);
    for (const r of ca) {
      expect(r.to, "a CA egress rule without peers reaches every IOC").toBeDefined();
      for (const peer of r.to) expect(peer.podSelector?.matchLabels?.["pyfleet.io/ca-access"]).toBe("read-only");
    }
  });
});

it("dev overlay shrinks resources and storage for a single node", () => {
  const dev = render(join(ROOT, "k8s/overlays/dev"));
  const pvc = dev.find((o) => o.kind === "PersistentVolumeClaim")!;
  expect(pvc.spec.accessModes).toEqual(["ReadWriteOnce"]);
  for (const d of dev.filter((o) => o.kind === "Deployment")) expect(podSpec(d).containers[0].resources.requests.cpu, d.metadata.name).toBe("50m");
  expect(dev.find((o) => o.kind === "Deployment" && o.metadata.name === "producer")!.spec.replicas).toBe(1);
  const write = dev.find((o) => o.kind === "ScaledObject" && o.metadata.name === "worker-execute-write")!;
  expect(write.spec.maxReplicaCount).toBe(1);
});

describe("docker-compose.yml", () => {
  const compose = parse(read(join(ROOT, "docker-compose.yml")), { merge: true }) as Obj;
  const services = compose.services as Record<string, Obj>;
  const seconds = (d: string) => Number(/^(\d+)s$/.exec(d)?.[1] ?? Number.NaN);
  const workers = Object.entries(services).filter(([, s]) => s.command?.[0] === "apps/worker/src/main.ts");

  it("runs every stage and mode, each worker with a healthcheck and a grace period above the drain", () => {
    expect(workers.map(([n]) => n).sort()).toEqual(["worker-analyze", "worker-execute-read-only", "worker-execute-write", "worker-generate"]);
    for (const [name, s] of workers) {
      expect(s.healthcheck?.test?.join(" "), name).toContain("/healthz");
      expect(seconds(s.stop_grace_period), name).toBeGreaterThan(drainSeconds);
      expect(s.restart).toBe("unless-stopped");
      expect(s.cap_drop).toEqual(["ALL"]);
    }
    const redis = (services.redis!.command as string[]).join(" ");
    expect(redis).toContain("--maxmemory-policy noeviction");
    expect(redis).toContain("--appendonly yes");
  });

  it("gives the signing keys only to the approver, verify keys to executors, the write Jupyter only to the write executor", () => {
    const has = (s: Obj, needle: string) => JSON.stringify(s.environment ?? {}).includes(needle);
    expect(Object.keys(services).filter((n) => has(services[n]!, "PYFLEET_SIGNING_KEYS")).sort()).toEqual(["approver"]);
    expect(Object.keys(services).filter((n) => has(services[n]!, "PYFLEET_VERIFY_KEYS")).sort()).toEqual(["worker-execute-read-only", "worker-execute-write"]);
    expect(Object.keys(services).filter((n) => has(services[n]!, "JUPYTER_WRITE_TOKEN")).sort()).toEqual(["jupyter-write", "worker-execute-write"]);
    expect(services["worker-execute-read-only"]!.networks).not.toContain("kernels-rw");
    expect(services["worker-execute-write"]!.deploy.replicas).toBeLessThanOrEqual(config.queues.write_fleet_concurrency);
    for (const net of ["data", "kernels-ro", "kernels-rw"]) expect(compose.networks[net].internal, net).toBe(true);
  });

  it("publishes ports on loopback unless the operator sets PYFLEET_BIND_ADDRESS", () => {
    const published = Object.entries(services).flatMap(([name, svc]) => ((svc.ports as string[] | undefined) ?? []).map((p) => [name, p] as const));
    expect(published.length).toBeGreaterThan(0);
    for (const [name, port] of published) expect(port, name).toMatch(/^\$\{PYFLEET_BIND_ADDRESS:-127\.0\.0\.1\}:/);
  });

  it("runs the simulated ring as `ioc` on the kernel networks, and points both Jupyter servers' Channel Access at it", () => {
    const ioc = services.ioc!;
    expect(ioc.networks).toEqual(expect.arrayContaining(["kernels-rw", "kernels-ro"]));
    expect(ioc.networks).not.toContain("public");
    expect(ioc.read_only).toBe(true);
    expect(ioc.cap_drop).toEqual(["ALL"]);
    for (const name of ["jupyter-read-only", "jupyter-write"]) {
      expect(services[name]!.environment.EPICS_CA_ADDR_LIST, name).toBe(["$", "{EPICS_CA_ADDR_LIST:-ioc:5064}"].join(""));
      expect(services[name]!.environment.EPICS_CA_AUTO_ADDR_LIST, name).toBe("NO");
    }
  });

  it("runs both Jupyter servers with kernels sandboxed: the seccomp profile and unmasked /proc bubblewrap needs, no opt-out", () => {
    const profile = JSON.parse(read(join(ROOT, "deploy/jupyter/seccomp-kernel-sandbox.json"))) as Obj;
    const denied = profile.syscalls.flatMap((r: Obj) => (r.action === "SCMP_ACT_ERRNO" ? r.names : [])) as string[];
    for (const needed of ["clone", "unshare", "setns", "mount", "pivot_root"]) expect(denied, needed).not.toContain(needed);
    for (const name of ["jupyter-read-only", "jupyter-write"]) {
      const s = services[name]!;
      expect(s.image, name).toBe(["$", "{PYFLEET_JUPYTER_IMAGE:-pyfleet-jupyter:latest}"].join(""));
      expect(s.security_opt, name).toEqual(["no-new-privileges:true", "seccomp=./deploy/jupyter/seccomp-kernel-sandbox.json", "systempaths=unconfined"]);
      expect(s.cap_drop, name).toEqual(["ALL"]);
      expect(s.environment.PYFLEET_KERNEL_SANDBOX, name).toBeUndefined();
    }
    expect(services["jupyter-read-only"]!.environment.PYFLEET_KERNELSPEC).toBe("python3-epics-readonly");
    expect(services["jupyter-write"]!.environment.PYFLEET_KERNELSPEC).toBe("python3-epics-write");
  });

  it("points each Node service at the container method and each executor at the server of its mode", () => {
    for (const [name, s] of Object.entries(services).filter(([, s]) => String(s.image).includes("PYFLEET_NODE_IMAGE"))) {
      const method = loadConfig({ file: join(ROOT, "deploy/config.yml"), env: { PYFLEET_EXECUTION_METHOD: s.environment.PYFLEET_EXECUTION_METHOD } }).execution.execution_method;
      expect(method, name).toBe("container");
    }
    expect(services["worker-execute-read-only"]!.environment.JUPYTER_HOST).toBe("jupyter-read-only");
    expect(services["worker-execute-write"]!.environment.JUPYTER_HOST).toBe("jupyter-write");
  });
});
