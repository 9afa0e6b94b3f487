import { z } from "zod";
import type { Env } from "./substitute.js";
import {
  analysisSchema,
  approverHttpSchema,
  approverSchema,
  artifactsSchema,
  checkpointerSchema,
  controlSystemSchema,
  dockerSchema,
  limitsSchema,
  modelsSchema,
  producerSchema,
  queuesSchema,
  redisSchema,
  runsSchema,
  workerSchema,
} from "./schema-fleet.js";
import { approvalSchema, executionSchema, pythonExecutorSchema } from "./schema-original.js";

/**
 * Builds the schema of everything under `framework:`. Defaults written as `${VAR:-default}`
 * in config.yml are resolved against `env`, so a file that omits a key behaves exactly like
 * the committed config.yml.
 */
export function configSchema(env: Env) {
  const d = (variable: string, fallback: string) => {
    const value = env[variable];
    return value === undefined || value === "" ? fallback : value;
  };
  return z
    .object({
      python_executor: pythonExecutorSchema,
      execution: executionSchema(d),
      approval: approvalSchema,
      redis: redisSchema(d),
      queues: queuesSchema,
      checkpointer: checkpointerSchema,
      runs: runsSchema,
      limits: limitsSchema,
      artifacts: artifactsSchema(d),
      models: modelsSchema(d),
      analysis: analysisSchema,
      control_system: controlSystemSchema,
      approver: approverSchema(d),
      docker: dockerSchema,
      producer: producerSchema,
      approver_http: approverHttpSchema,
      worker: workerSchema,
    })
    .superRefine((c, ctx) => {
      const problem = (path: (string | number)[], input: unknown, message: string) =>
        ctx.addIssue({ code: "custom", path, input, message });
      if (c.execution.modes.read_only.allows_writes) {
        problem(["execution", "modes", "read_only", "allows_writes"], true, "is not allowed: read-only runs never write");
      }
      const { pool_min_idle: minIdle, pool_max_size: maxSize } = c.execution.container;
      if (minIdle > maxSize) {
        problem(["execution", "container", "pool_min_idle"], minIdle, `exceeds pool_max_size (${maxSize})`);
      }
      if (c.producer.port === c.approver_http.port && c.producer.host === c.approver_http.host) {
        problem(["approver_http", "port"], c.approver_http.port, `is already used by producer.port on ${c.producer.host}`);
      }
      if (c.limits.max_code_bytes > c.producer.body_limit_bytes) {
        problem(
          ["limits", "max_code_bytes"],
          c.limits.max_code_bytes,
          `exceeds producer.body_limit_bytes (${c.producer.body_limit_bytes}): such code could never be submitted`,
        );
      }
    });
}

/** The validated config: everything under `framework:`, snake_case as in config.yml, all defaults applied. */
export type PyfleetConfig = z.output<ReturnType<typeof configSchema>>;
