import { hashToken, type PyfleetConfig, silentLogger } from "@pyfleet/core";
import type { FleetRuntime } from "@pyfleet/runtime";
import type { Registry } from "prom-client";
import { type RunningApprover, startApprover } from "./start-approver.js";

/** Roles a test identity holds, keyed by its bearer token. */
export type TestTokens = Record<string, { identity: string; roles: Array<"viewer" | "approver" | "admin"> }>;

/**
 * The approver wired to `runtime` (opened with `decides: true`) on a free loopback port, silent, with the given test tokens.
 * Its scheduled sweep runs once an hour unless `sweepIntervalMs` says otherwise: tests call `sweeper.sweep()` themselves,
 * and a scheduled pass racing theirs would take the records they mean to sweep (seen in CI: the expiry test's sweep found
 * nothing because the 5 s schedule had expired the approval a moment before).
 */
export function startTestApprover(
  config: PyfleetConfig,
  runtime: FleetRuntime,
  env: Record<string, string>,
  tokens: TestTokens,
  metrics?: Registry,
  sweepIntervalMs = 3_600_000,
): Promise<RunningApprover> {
  return startApprover({
    config,
    runtime,
    env,
    sweepIntervalMs,
    ...(metrics ? { metrics } : {}),
    logger: silentLogger(),
    host: "127.0.0.1",
    port: 0,
    extraTokens: Object.entries(tokens).map(([token, who]) => ({ sha256: hashToken(token), identity: who.identity, roles: who.roles })),
  });
}
