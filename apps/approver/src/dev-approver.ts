import { type Env, hashToken, type Logger, type PyfleetConfig } from "@pyfleet/core";
import type { FleetRuntime } from "@pyfleet/runtime";
import { type RunningApprover, startApprover } from "./start-approver.js";

/**
 * The approver of `pyfleet dev`: mounted on the dev process's fleet, on loopback, with an
 * identity `dev` (roles approver and admin) whose token is `devToken`. `required_approvals`
 * and the self-approval rule stay as configured.
 */
export function startDevApprover(input: {
  config: PyfleetConfig;
  runtime: FleetRuntime;
  logger: Logger;
  env: Env;
  port: number;
  devToken: string;
}): Promise<RunningApprover> {
  return startApprover({
    config: input.config,
    runtime: input.runtime,
    logger: input.logger,
    env: input.env,
    host: "127.0.0.1",
    port: input.port,
    extraTokens: [{ sha256: hashToken(input.devToken), identity: "dev", roles: ["approver", "admin"] }],
  });
}
