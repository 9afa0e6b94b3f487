import { type ExecutionMode, type Logger, loadConfig, type PyfleetConfig, silentLogger } from "@pyfleet/core";
import type { ApprovalStore, AuditLog, Fleet, StageName, StageObserver } from "@pyfleet/fleet";
import { createRedisFixture, deleteByPrefix, FakeOpenAIServer, type RedisFixture } from "@pyfleet/testing";
import { type FleetRuntime, openFleet } from "../open-fleet.js";
import { testApprovalStore, testDecisionKeys } from "./approvals.js";
import { testConfig, testEnv } from "./test-config.js";

/** What one fleet process of a test serves (see {@link startTestFleet}). */
export interface TestFleetProcess {
  /** Stages to serve; none = a producer/approver-only process. */
  stages?: readonly StageName[];
  /** Execute modes to serve. */
  modes?: readonly ExecutionMode[];
  /** Signs approval decisions with the test keys, as the approver's fleet does. */
  decides?: boolean;
  /** Default: silent. */
  logger?: Logger;
  /** The process's node and job hooks (an app's metrics). */
  observer?: StageObserver;
}

/** Options of {@link startTestFleet}: the first fleet process and what all of them share. */
export interface TestFleetOptions extends TestFleetProcess {
  /** Tag of the test's own Redis key prefix. */
  tag: string;
  /** Another Redis than the test server (a private `RedisServerFixture` of the test). */
  redisUrl?: string;
  /**
   * Starts a FakeOpenAIServer (with these options when an object) and points the fleet's LLM
   * settings at it; processes serving generate then build their LLM client at start-up.
   */
  llm?: boolean | { models?: string[] };
  /**
   * The fleet's key prefix is the Redis prefix inside a hash tag (`{t:ab12cd34}`), as on Redis
   * Cluster; `cleanup` deletes the keys under it too.
   */
  hashTagPrefix?: boolean;
  /** More environment: an IOC's, a Jupyter server's, another execution method. */
  env?: Record<string, string>;
  /** The code under test leaves files in its working folder (flags, logs): the analyzer allows that. */
  allowFileWrites?: boolean;
  /**
   * A config file of the test (e.g. config.yml with shorter locks) that processes it spawns read
   * too (`PYFLEET_CONFIG`): the fleet's config is that file as loaded, without `testConfig`'s
   * fast retries, so the in-process fleet and the spawned workers run one config.
   */
  configFile?: string;
  /** Changes the test config before any fleet opens (every fleet of the test shares it). */
  configure?: (config: PyfleetConfig) => void;
}

/** A test's fleet on its own Redis prefix, artifact folder and decision keys. */
export interface TestFleet {
  /** The first fleet process (the producer side of most tests). */
  fleet: Fleet;
  /** The first process's runtime, for `startApprover` and the like. */
  runtime: FleetRuntime;
  redis: RedisFixture;
  /** The fleet's key prefix (`PYFLEET_PREFIX`): `redis.prefix`, or it in a hash tag (`hashTagPrefix`). */
  prefix: string;
  env: Record<string, string>;
  config: PyfleetConfig;
  /** The decision key pair in `env` (`PYFLEET_SIGNING_KEYS`, `PYFLEET_VERIFY_KEYS`). */
  keys: { PYFLEET_SIGNING_KEYS: string; PYFLEET_VERIFY_KEYS: string };
  /** The fake LLM when `llm` was asked for. */
  llm: FakeOpenAIServer | undefined;
  /** Opens another fleet process on the same Redis, environment and config (closed by `cleanup`). */
  open(process: TestFleetProcess): Promise<Fleet>;
  /** {@link TestFleet.open}, returning the process's runtime (its pipeline, audit log, approval store). */
  openRuntime(process: TestFleetProcess): Promise<FleetRuntime>;
  /** The approval store and audit log an approver of this fleet uses (signing with `keys`). */
  approvals(): { store: ApprovalStore; audit: AuditLog };
  /** Closes every fleet it opened (the last first), the fake LLM and the Redis prefix. */
  cleanup(): Promise<void>;
}

/**
 * The set-up most fleet tests share: a Redis prefix of their own, a fresh Ed25519 decision key
 * pair, the test environment and config (`testEnv`, `testConfig`), optionally a fake LLM, and a
 * fleet opened on the real packages (`openFleet`). A failure part-way closes what was started.
 */
export async function startTestFleet(opts: TestFleetOptions): Promise<TestFleet> {
  const redis = await createRedisFixture(opts.tag, opts.redisUrl);
  const prefix = opts.hashTagPrefix ? `{${redis.prefix}}` : redis.prefix;
  const fleets: Fleet[] = [];
  let llm: FakeOpenAIServer | undefined;
  const cleanup = async () => {
    for (const f of fleets.splice(0).reverse()) await f.close();
    await llm?.close();
    if (prefix !== redis.prefix) await deleteByPrefix(redis.redis, prefix);
    await redis.cleanup();
  };
  try {
    llm = opts.llm ? await FakeOpenAIServer.start(opts.llm === true ? {} : opts.llm) : undefined;
    const keys = testDecisionKeys();
    const env = testEnv(prefix, {
      REDIS_URL: redis.url,
      ...keys,
      ...(llm ? { OPENAI_BASE_URL: llm.url, OPENAI_API_KEY: "test-key" } : {}),
      ...(opts.configFile ? { PYFLEET_CONFIG: opts.configFile } : {}),
      ...opts.env,
    });
    const config = opts.configFile ? loadConfig({ file: opts.configFile, env, onWarning: () => {} }) : testConfig(env);
    if (opts.allowFileWrites) config.analysis.rules = { ...config.analysis.rules, "file-write-outside": "allow" };
    opts.configure?.(config);
    const openOne = async (p: TestFleetProcess): Promise<FleetRuntime> => {
      const runtime = await openFleet(config, {
        stages: p.stages ?? [],
        modes: p.modes ?? [],
        logger: p.logger ?? silentLogger(),
        env,
        ...(p.decides ? { decides: true } : {}),
        ...(p.observer ? { observer: p.observer } : {}),
        ...(llm ? { requireLlm: true } : {}),
      });
      fleets.push(runtime.fleet);
      return runtime;
    };
    const runtime = await openOne(opts);
    return {
      fleet: runtime.fleet,
      runtime,
      redis,
      prefix,
      env,
      config,
      keys,
      llm,
      open: async (p) => (await openOne(p)).fleet,
      openRuntime: openOne,
      approvals: () => testApprovalStore(redis.redis, redis.prefix, keys.PYFLEET_SIGNING_KEYS),
      cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
