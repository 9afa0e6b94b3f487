/**
 * A bench fleet on the real Redis under a throw-away prefix: a producer-only fleet process with
 * the producer HTTP API on a free port (this process), worker processes spawned on demand, and a
 * cleanup that stops every worker, deletes every key under the prefix and the artifact folder.
 */
import { rmSync } from "node:fs";
import { PyfleetClient } from "@pyfleet/client";
import { isTerminalStatus, type PyfleetConfig, type RunRecord, silentLogger } from "@pyfleet/core";
import type { Fleet } from "@pyfleet/fleet";
import { type SpawnedWorker, spawnWorker, testConfig, testEnv } from "@pyfleet/runtime/testing";
import { type RunningProducer, startProducer } from "@pyfleet/producer";
import { createRedisFixture, type RedisFixture } from "@pyfleet/testing";

export interface BenchFleet {
  fx: RedisFixture;
  env: Record<string, string>;
  config: PyfleetConfig;
  /** Producer-side fleet (serves no stage). */
  fleet: Fleet;
  client: PyfleetClient;
  workers: Set<SpawnedWorker>;
  /** Starts a worker process (generous ready timeout: a loaded machine boots tsx slowly); `extraEnv` adds to the fleet's env for it alone. */
  spawn(args: string[], readyTimeoutMs?: number, extraEnv?: Record<string, string>): Promise<SpawnedWorker>;
  cleanup(): Promise<void>;
}

/**
 * Starts the producer side of a bench fleet under a fresh prefix labelled `label`. The producer's
 * config is the repository's (`testConfig`); `configure` changes it the way `extraEnv`'s
 * PYFLEET_CONFIG changes the workers', so both sides run one config.
 */
export async function startBenchFleet(
  label: string,
  extraEnv: Record<string, string> = {},
  configure: (config: PyfleetConfig) => void = () => {},
): Promise<BenchFleet> {
  const fx = await createRedisFixture(label);
  const env = testEnv(fx.prefix, { PYFLEET_LOG_LEVEL: "error", ...extraEnv });
  const config = testConfig(env);
  configure(config);
  let producer: RunningProducer | null = null;
  const workers = new Set<SpawnedWorker>();
  let cleaned: Promise<void> | null = null;
  const cleanup = () => {
    cleaned ??= (async () => {
      await Promise.allSettled([...workers].map((w) => w.stop("SIGKILL")));
      await producer?.close().catch(() => undefined);
      await fx.cleanup();
      rmSync(env.PYFLEET_ARTIFACTS as string, { recursive: true, force: true });
    })();
    return cleaned;
  };
  try {
    producer = await startProducer({ config: { ...config, producer: { ...config.producer, host: "127.0.0.1", tokens: [] } }, logger: silentLogger(), env, port: 0 });
    return {
      fx,
      env,
      config,
      fleet: producer.fleet,
      client: new PyfleetClient({ baseUrl: producer.url }),
      workers,
      async spawn(args, readyTimeoutMs = 120_000, extraEnv = {}) {
        const w = await spawnWorker(args, { ...env, ...extraEnv }, readyTimeoutMs);
        workers.add(w);
        void w.exited.then(() => workers.delete(w));
        return w;
      },
      cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/**
 * Polls the run records until every id is terminal (or the deadline passes); resolves with the
 * records of the terminal runs, by id.
 */
export async function waitAllTerminal(fleet: Fleet, ids: readonly string[], timeoutMs: number): Promise<Map<string, RunRecord>> {
  const done = new Map<string, RunRecord>();
  const deadline = Date.now() + timeoutMs;
  while (done.size < ids.length && Date.now() < deadline) {
    const open = ids.filter((id) => !done.has(id));
    const recs = await Promise.all(open.map((id) => fleet.get(id)));
    recs.forEach((r, i) => {
      if (r && isTerminalStatus(r.status)) done.set(open[i] as string, r);
    });
    if (done.size < ids.length) await new Promise((r) => setTimeout(r, 20));
  }
  return done;
}

/** Runs `task` over `items` with at most `limit` in flight, preserving order of results. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await task(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return out;
}
