import { type Env, type Logger, type PyfleetConfig, PyfleetError, RedisKeys, TokenAuth, type TokenEntry, webhookSecret } from "@pyfleet/core";
import type { ApprovalStore } from "@pyfleet/fleet";
import type { FleetRuntime } from "@pyfleet/runtime";
import { Redis } from "ioredis";
import { collectDefaultMetrics, Gauge, Registry } from "prom-client";
import { ApprovalEvents } from "./approval-events.js";
import { ApproverSweeper } from "./approver-sweeper.js";
import { createApproverServer } from "./server.js";
import { WebhookNotifier } from "./webhook-notifier.js";

export interface StartApproverOptions {
  config: PyfleetConfig;
  /**
   * The fleet this approver resumes runs on (a producer-only fleet, or the dev process's), opened
   * with `decides: true`: its one approval store signs, its one audit log records.
   */
  runtime: FleetRuntime;
  logger: Logger;
  env?: Env;
  host?: string;
  port?: number;
  /** Extra identities (the dev identity of `pyfleet dev`). */
  extraTokens?: TokenEntry[];
  /** Sweep interval for expiry and undelivered decisions (default 5 s). */
  sweepIntervalMs?: number;
  /**
   * Registry served on `/metrics`; pass the one whose observer the runtime was opened with
   * (createApproverMetrics) so approval waits are exported. Default: a registry of its own.
   */
  metrics?: Registry;
}

/** A running approver (also mounted by `pyfleet dev`). */
export interface RunningApprover {
  url: string;
  port: number;
  store: ApprovalStore;
  sweeper: ApproverSweeper;
  /** Stops HTTP, sweeps and webhooks. The fleet is the caller's to close. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts the approver API and page on `approver_http` (or `host`/`port`), wired to the fleet:
 * decisions are signed with the keys from `approver.signing_keys_env` and resume the run.
 * @throws PyfleetError CONFIG_INVALID when the runtime's approval store cannot sign (opened without `decides`).
 */
export async function startApprover(opts: StartApproverOptions): Promise<RunningApprover> {
  const { config, logger } = opts;
  const { fleet, built } = opts.runtime;
  const { approvals: store, audit } = built;
  if (!store.canDecide) {
    throw new PyfleetError("CONFIG_INVALID", "the approver needs a fleet opened with { decides: true } (its approval store signs decisions)");
  }
  const env = opts.env ?? process.env;
  const keys = new RedisKeys(config.redis.prefix);
  // a subscribed connection can run no other command: the channel gets its own
  const events = new ApprovalEvents(new Redis(config.redis.url, { maxRetriesPerRequest: null }), keys);
  await events.start();
  const webhooks = new WebhookNotifier(
    config.approver.webhooks.map((h) => {
      const secret = webhookSecret(h, env);
      return { url: h.url, events: h.events, ...(secret ? { secret } : {}) };
    }),
    logger,
  );
  webhooks.attach(events);
  // the sweep's queue and worker get a connection of their own (BullMQ blocks on it)
  const sweepRedis = new Redis(config.redis.url, { maxRetriesPerRequest: null });
  const sweeper = new ApproverSweeper(store, fleet, logger, { redis: sweepRedis, prefix: keys.bullPrefix, intervalMs: opts.sweepIntervalMs });
  const metrics = opts.metrics ?? new Registry();
  if (!opts.metrics) collectDefaultMetrics({ register: metrics });
  new Gauge({
    name: "pyfleet_approvals_pending",
    help: "Approvals waiting for a decision",
    registers: [metrics],
    async collect() {
      this.set(await store.pendingCount());
    },
  });
  const app = createApproverServer({
    store,
    audit,
    events,
    auth: new TokenAuth([...config.approver.tokens, ...(opts.extraTokens ?? [])]),
    release: async (rec, decision) => {
      await fleet.resumeRun(rec.runId, decision);
    },
    getRun: (runId) => fleet.get(runId),
    listRuns: (q) => fleet.list(q),
    reconcile: (runId, input, who) => fleet.reconcile(runId, input, who.id),
    metrics,
    logger,
    bodyLimit: config.approver_http.body_limit_bytes,
    redisReady: () => fleet.redisReady,
  });
  const host = opts.host ?? config.approver_http.host;
  await sweeper.start();
  try {
    await app.listen({ host, port: opts.port ?? config.approver_http.port });
  } catch (err) {
    await Promise.allSettled([sweeper.close().then(() => sweepRedis.quit()), events.close(), webhooks.close()]);
    throw err;
  }
  const addr = app.server.address();
  const port = typeof addr === "object" && addr ? addr.port : (opts.port ?? config.approver_http.port);
  let closing: Promise<void> | null = null;
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    port,
    store,
    sweeper,
    close() {
      closing ??= (async () => {
        await sweeper.close();
        await sweepRedis.quit().catch(() => sweepRedis.disconnect());
        await app.close();
        await webhooks.close();
        await events.close();
      })();
      return closing;
    },
  };
}
