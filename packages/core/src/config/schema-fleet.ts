import { z } from "zod";
import { DEFAULT_REQUEST_LIMITS } from "../contracts/request.js";
import { envName, envVarName, identity, matching, sha256Hex, url, urlOf } from "./checks.js";
import type { EnvDefault } from "./env-defaults.js";
import { bool, int, num, oneOf, port, section, str } from "./values.js";

export const CHECKPOINTER_TYPES = ["auto", "redis", "redis-stack"] as const;
export const CONTROL_SYSTEM_TYPES = ["epics", "tango", "none"] as const;
export const RULE_LEVELS = ["block", "warn", "allow"] as const;
export const APPROVER_ROLES = ["viewer", "approver", "admin"] as const;
export const WEBHOOK_EVENTS = ["pending", "decided"] as const;

const DAY = 86_400;
const HTTP = ["http:", "https:"] as const;

const queue = (concurrency: number, attempts: number, backoffMs: number) =>
  section({
    concurrency: int(concurrency, 1, 1000),
    attempts: int(attempts, 1, 100),
    backoff_ms: int(backoffMs, 0, 3_600_000),
  });

const httpServer = (portDefault: number, bodyLimit: number) => ({
  host: str("127.0.0.1"),
  port: port(portDefault),
  body_limit_bytes: int(bodyLimit, 1024, 1024 ** 3),
});

/** `framework.redis`: the one Redis of queues, checkpoints and records. */
export function redisSchema(d: EnvDefault) {
  return section({
    url: url(d("redis.url"), ["redis:", "rediss:"]),
    prefix: matching(
      d("redis.prefix"),
      /^[A-Za-z0-9_.:{}-]{1,64}$/,
      "is not a key prefix (1-64 of letters, digits, _ . : - and { } for a Redis Cluster hash tag)",
    ),
  });
}

/** `framework.queues`: per-stage concurrency, infrastructure attempts and backoff. */
export const queuesSchema = section({
  generate: queue(4, 3, 1000),
  analyze: queue(8, 3, 500),
  execute_read_only: queue(4, 3, 1000),
  execute_write_access: queue(1, 1, 1000),
  write_fleet_concurrency: int(1, 1, 1000),
  keep_completed: int(1000, 0),
  keep_failed: int(5000, 0),
  drain_seconds: int(30, 0, 3600),
  lock_seconds: int(30, 1, 3600),
  stalled_check_seconds: int(30, 1, 3600),
});

export const checkpointerSchema = section({
  type: oneOf(CHECKPOINTER_TYPES, "auto"),
  retention_seconds: int(7 * DAY, 60),
});

export const runsSchema = section({
  retention_seconds: int(7 * DAY, 60),
  events_maxlen: int(10_000, 100),
});

export const limitsSchema = section({
  // the request limits' defaults are the request contract's, which applies them without a config
  max_code_bytes: int(DEFAULT_REQUEST_LIMITS.maxCodeBytes, 1024, 64 * 1024 ** 2),
  max_context_bytes: int(DEFAULT_REQUEST_LIMITS.maxContextBytes, 1024, 1024 ** 3),
  max_stdout_bytes: int(1_048_576, 1024, 1024 ** 3),
  // a run's serialized `results`; larger ones are refused with RESULTS_TOO_LARGE (docs/security.md)
  max_result_bytes: int(4_194_304, 1024, 1024 ** 3),
  max_json_depth: int(DEFAULT_REQUEST_LIMITS.maxJsonDepth, 2, 1000),
});

export function artifactsSchema(d: EnvDefault) {
  return section({
    root: z.string().min(1).prefault(d("artifacts.root")),
    notebook_base_url: url(d("artifacts.notebook_base_url"), HTTP, true),
    retention_days: int(30, 1, 36_500),
  });
}

export function modelsSchema(d: EnvDefault) {
  return section({
    python_code_generator: section({
      base_url: url(d("models.python_code_generator.base_url"), HTTP, true),
      model: z.string().min(1).prefault(d("models.python_code_generator.model")),
      api_key_env: envName("OPENAI_API_KEY"),
      temperature: num(0.2, 0, 2),
      max_tokens: int(4096, 1, 1_000_000),
      timeout_seconds: int(120, 1, 3600),
      max_retries: int(3, 0, 20),
      azure_api_version: str("", false),
      save_prompts: bool(true),
      feedback_errors: int(2, 0, 20),
      /** First retry delay inside one call; doubles each retry up to `retry_backoff_max_ms`. */
      retry_backoff_ms: int(500, 0, 600_000),
      retry_backoff_max_ms: int(8000, 0, 600_000),
      /** Streamed text goes to the listener at most this often ... */
      stream_batch_ms: int(200, 0, 60_000),
      /** ... or as soon as this many characters are waiting. */
      stream_batch_chars: int(512, 1, 1_000_000),
      /** Character budget of the context summary in the prompt. */
      context_summary_chars: int(4000, 200, 1_000_000),
    }),
  });
}

export const analysisSchema = section({
  rules: z.record(z.string(), z.enum(RULE_LEVELS)).default({}),
});

export const controlSystemSchema = section({
  type: oneOf(CONTROL_SYSTEM_TYPES, "epics"),
  writes_enabled: bool(true),
  /** Seconds a write (and the manifest's read of a PV) waits for the PV to connect. */
  write_connection_timeout_seconds: num(5, 0.1, 600),
  /** A dry run proposing a value outside a PV's limits is fed back to generation, never shown to a human. */
  refuse_out_of_limits: bool(true),
  /** At execute time a value outside the signed manifest's limits is refused (an unlisted PV always is). */
  enforce_limits_at_execute: bool(true),
});

const approverToken = z.object({
  sha256: sha256Hex,
  identity,
  roles: z.array(z.enum(APPROVER_ROLES)).min(1),
});

const webhook = z.object({
  url: urlOf(HTTP),
  secret_env: envVarName.optional(),
  events: z.array(z.enum(WEBHOOK_EVENTS)).min(1).default(["pending", "decided"]),
});

export function approverSchema(d: EnvDefault) {
  return section({
    expiry_seconds: int(3600, 10, 30 * DAY),
    required_approvals: section({ read_only: int(1, 1, 10), write_access: int(1, 1, 10) }),
    allow_self_approval: bool(false),
    signing_key_id: matching(d("approver.signing_key_id"), /^[A-Za-z0-9_.-]{1,32}$/, "is not a key id (1-32 of letters, digits, _ . -)"),
    signing_keys_env: envName("PYFLEET_SIGNING_KEYS"),
    verify_keys_env: envName("PYFLEET_VERIFY_KEYS"),
    tokens: z.array(approverToken).default([]),
    webhooks: z.array(webhook).default([]),
  });
}

export const dockerSchema = section({
  image: str("pyfleet-sandbox:latest"),
  socket: str("/var/run/docker.sock"),
  memory_mb: int(512, 16, 1_048_576),
  cpus: num(1, 0.01, 1024),
  pids_limit: int(128, 8, 1_000_000),
  user: matching("65534:65534", /^(\d+(:\d+)?|[a-z_][a-z0-9_-]*(:[a-z_][a-z0-9_-]*)?)$/, 'is not a user ("uid:gid", "uid" or a user name)'),
});

export const producerSchema = section({
  ...httpServer(8080, 20_971_520),
  tokens: z.array(z.object({ sha256: sha256Hex, identity })).default([]),
  /** Without tokens the producer refuses to start unless this is true (everyone is then `anonymous`). */
  allow_anonymous: bool(false),
  recover_after_seconds: int(60, 5, 86_400),
});

export const approverHttpSchema = section(httpServer(8081, 1_048_576));

export const workerSchema = section({ metrics_port: port(9464) });
