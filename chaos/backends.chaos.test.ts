/**
 * Execution backends that go away: a Jupyter server SIGKILLed and started again on its port, and
 * a Docker engine (the suite's own, scripts/dockerd.sh) stopped and started again, while runs are
 * in flight on them. Asserted from outside: run records over the producer API, the executor
 * process's own log of failed stage jobs, the servers' kernel and container lists.
 */
import { createRedisFixture, type JupyterFixture, type RedisFixture, startJupyterFixture } from "@pyfleet/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type SpawnedApp, spawnApp } from "./lib/apps.js";
import { CHAOS_DOCKER_HOST, runningContainers, startChaosEngine, stopChaosEngine } from "./lib/docker-engine.js";
import { byStatus, chaosEnv, clientFor, fmt, WorkerSet, waitTerminal } from "./lib/fleet-env.js";
import { recordOutcome, secondsSince } from "./lib/outcomes.js";
import { failureSummary, stageFailures } from "./lib/worker-log.js";

const FILE = "chaos/backends.chaos.test.ts";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Infrastructure failures are retried with room for a server to come back: 1+2+4+8+16 s of backoff. */
const RETRIES = { queues: { execute_read_only: { attempts: 6, backoff_ms: 1000 } } };
const code = (i: number, seconds: number) => `import time\ntime.sleep(${seconds})\nresults = {"i": ${i}}`;

/** Waits (bounded) until `check` holds. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(100);
  }
}

describe("execution backends going away", () => {
  let fx: RedisFixture;
  let workers: WorkerSet | undefined;
  const apps: SpawnedApp[] = [];
  beforeAll(async () => {
    fx = await createRedisFixture("chaos-backends");
  });
  afterEach(async () => {
    await workers?.killAll();
    await Promise.allSettled(apps.splice(0).map((a) => a.kill()));
  });
  afterAll(async () => {
    await fx?.cleanup();
  });

  it("Jupyter server SIGKILLed and restarted: runs in flight fail as infrastructure and are retried on the new server; every run completes", async () => {
    const t0 = Date.now();
    let jupyter: JupyterFixture = await startJupyterFixture();
    try {
      const env = chaosEnv(
        `${fx.prefix}:j`,
        { PYFLEET_EXECUTION_METHOD: "container", JUPYTER_HOST: "127.0.0.1", JUPYTER_PORT: String(jupyter.port), JUPYTER_TOKEN: jupyter.token, PYFLEET_LOG_LEVEL: "warn" },
        RETRIES,
      );
      workers = new WorkerSet(env);
      const [, executor] = await Promise.all([workers.spawn(["--stage", "analyze"]), workers.spawn(["--stage", "execute", "--mode", "read_only"])]);
      const producer = await spawnApp("producer", env);
      apps.push(producer);
      const client = clientFor(producer.url);
      const warm = await client.submit({ user_query: "chaos", task_objective: "warm", code: code(-1, 0) });
      expect((await waitTerminal(client, [warm.runId], 120_000)).get(warm.runId)?.status).toBe("completed");
      const N = 6;
      const ids: string[] = [];
      for (let i = 0; i < N; i++) ids.push((await client.submit({ user_query: "chaos", task_objective: `jupyter ${i}`, code: code(i, 2) })).runId);
      // Kill once a run is executing in a kernel (its record says so).
      await until("a run executing", async () => (await Promise.all(ids.map((id) => client.get(id)))).some((r) => r.status === "executing"), 120_000);
      const killedAt = Date.now();
      await jupyter.kill();
      await jupyter.close();
      jupyter = await startJupyterFixture({ port: jupyter.port, token: jupyter.token });
      const downMs = Date.now() - killedAt;
      const done = await waitTerminal(client, ids, 180_000, { what: "runs after the Jupyter restart", procs: [...(workers?.all ?? []), ...apps] });
      const kernels = await jupyter.listKernels();
      const results = await Promise.all(ids.map(async (id) => (await client.get(id)).final?.result?.results.i));
      const failures = stageFailures(executor?.output() ?? "");
      const infra = failures.filter((f) => f.category === "infrastructure" && f.retried);
      const alive = executor?.child.exitCode === null && executor.child.signalCode === null;
      const counts = byStatus(done.values());
      const ok = counts.completed === N && results.every((r, i) => r === i) && infra.length > 0 && failures.every((f) => f.retried) && kernels.length > 0 && alive;
      recordOutcome({
        id: "infra-jupyter",
        group: "infrastructure",
        scenario: `Jupyter server SIGKILLed with its kernels while ${N} read-only runs (2 s each) are queued or executing on the container backend, started again on the same port (down ${(downMs / 1000).toFixed(1)} s); executor process not restarted`,
        expectation: "Runs in flight fail as infrastructure and are retried on the new server; the kernel pool rebuilds; every run completes with its own result",
        outcome: `${fmt(counts)}; own results ${results.filter((r, i) => r === i).length}/${N}; failed stage jobs logged by the executor: ${failureSummary(failures)}; kernels on the new server ${kernels.length}; executor alive ${alive}`,
        test: `${FILE} > Jupyter server SIGKILLed and restarted`,
        passed: ok,
        seconds: secondsSince(t0),
      });
      expect(counts).toEqual({ completed: N });
      expect(results).toEqual([...Array(N).keys()]);
      expect(infra.length).toBeGreaterThan(0);
      expect(failures.filter((f) => !f.retried)).toEqual([]);
      expect(kernels.length).toBeGreaterThan(0);
      expect(alive).toBe(true);
    } finally {
      await jupyter.close();
    }
  });

  it("Docker engine stopped: docker runs fail as infrastructure and retry, local runs keep completing meanwhile; docker runs complete once the engine is back", async () => {
    const t0 = Date.now();
    await startChaosEngine();
    try {
      const env = chaosEnv(`${fx.prefix}:d`, { DOCKER_HOST: CHAOS_DOCKER_HOST, PYFLEET_LOG_LEVEL: "warn" }, { ...RETRIES, queues: { execute_read_only: { ...RETRIES.queues.execute_read_only, concurrency: 4 } } });
      workers = new WorkerSet(env);
      const [, executor] = await Promise.all([workers.spawn(["--stage", "analyze"]), workers.spawn(["--stage", "execute", "--mode", "read_only"])]);
      const producer = await spawnApp("producer", env);
      apps.push(producer);
      const client = clientFor(producer.url);
      const submit = async (i: number, method: "docker" | "local", seconds: number) =>
        (await client.submit({ user_query: "chaos", task_objective: `${method} ${i}`, code: code(i, seconds), execution_method: method })).runId;
      const warm = await submit(-1, "docker", 0);
      expect((await waitTerminal(client, [warm], 120_000)).get(warm)?.status).toBe("completed");
      const docker: string[] = [];
      for (let i = 0; i < 3; i++) docker.push(await submit(i, "docker", 3));
      await until("a docker container running", async () => (await runningContainers()) > 0, 120_000);
      const stoppedAt = Date.now();
      await stopChaosEngine();
      // While the engine is away: more docker runs, and local runs that must not wait for it.
      for (let i = 3; i < 5; i++) docker.push(await submit(i, "docker", 0));
      const local: string[] = [];
      for (let i = 0; i < 4; i++) local.push(await submit(100 + i, "local", 0));
      const localDone = await waitTerminal(client, local, 120_000, { what: "local runs while Docker is away", procs: [...(workers?.all ?? []), ...apps] });
      const localMs = Date.now() - stoppedAt;
      const dockerDuring = byStatus(await Promise.all(docker.map((id) => client.get(id))));
      await startChaosEngine();
      const downMs = Date.now() - stoppedAt;
      const done = await waitTerminal(client, docker, 180_000, { what: "docker runs after the engine came back", procs: [...(workers?.all ?? []), ...apps] });
      const results = await Promise.all(docker.map(async (id) => (await client.get(id)).final?.result?.results.i));
      const failures = stageFailures(executor?.output() ?? "");
      const dockerFailures = failures.filter((f) => docker.includes(f.runId));
      const infra = dockerFailures.filter((f) => f.category === "infrastructure" && f.retried);
      const alive = executor?.child.exitCode === null && executor.child.signalCode === null;
      const counts = byStatus(done.values());
      const localCounts = byStatus(localDone.values());
      const ok =
        counts.completed === docker.length &&
        results.every((r, i) => r === i) &&
        localCounts.completed === local.length &&
        infra.length > 0 &&
        dockerFailures.every((f) => f.retried) &&
        failures.every((f) => docker.includes(f.runId)) &&
        alive;
      recordOutcome({
        id: "infra-docker",
        group: "infrastructure",
        scenario: `The Docker engine (the suite's own dockerd) stopped while docker runs execute (3 running or queued, 2 more submitted while it is away), down ${(downMs / 1000).toFixed(1)} s; ${local.length} local runs submitted meanwhile on the same executor process`,
        expectation: "Docker runs fail as infrastructure and are retried; other backends keep serving; docker runs complete once the engine is back",
        outcome: `local runs during the outage: ${fmt(localCounts)} within ${(localMs / 1000).toFixed(1)} s of the stop (docker runs then: ${fmt(dockerDuring)}); docker runs at the end: ${fmt(counts)}, own results ${results.filter((r, i) => r === i).length}/${docker.length}; failed stage jobs logged by the executor: ${failureSummary(failures)}; executor alive ${alive}`,
        test: `${FILE} > Docker engine stopped`,
        passed: ok,
        seconds: secondsSince(t0),
      });
      expect(localCounts).toEqual({ completed: local.length });
      expect(counts).toEqual({ completed: docker.length });
      expect(results).toEqual([...Array(docker.length).keys()]);
      expect(infra.length).toBeGreaterThan(0);
      expect(dockerFailures.filter((f) => !f.retried)).toEqual([]);
      expect(failures.filter((f) => !docker.includes(f.runId))).toEqual([]);
      expect(alive).toBe(true);
    } finally {
      await stopChaosEngine();
    }
  });
});
