import { hashToken, type PyfleetConfig, silentLogger } from "@pyfleet/core";
import type { FleetRuntime } from "@pyfleet/runtime";
import type { Registry } from "prom-client";
import { type RunningApprover, startApprover } from "./start-approver.js";

/** Roles a test identity holds, keyed by its bearer token. */
export type TestTokens = Record<string, { identity: string; roles: Array<"viewer" | "approver" | "admin"> }>;

/** The approver wired to `runtime` (opened with `decides: true`) on a free loopback port, silent, with the given test tokens. */
export function startTestApprover(
  config: PyfleetConfig,
  runtime: FleetRuntime,
  env: Record<string, string>,
  tokens: TestTokens,
  metrics?: Registry,
): Promise<RunningApprover> {
  return startApprover({
    config,
    runtime,
    env,
    ...(metrics ? { metrics } : {}),
    logger: silentLogger(),
    host: "127.0.0.1",
    port: 0,
    extraTokens: Object.entries(tokens).map(([token, who]) => ({ sha256: hashToken(token), identity: who.identity, roles: who.roles })),
  });
}
