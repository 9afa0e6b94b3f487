/**
 * Settings of the execution backends, snake_case as in config.yml (`framework.*`): a loaded
 * config can be passed as is. Every key is optional; {@link resolveExecutionOptions} fills the
 * documented defaults.
 */
import type { ExecutionMethod, ExecutionMode } from "@pyfleet/core";
import { DEFAULT_SANDBOX_OPTIONS, type SandboxOptions } from "./sandbox/sandbox-process.js";

export interface ContainerOptions {
  jupyter_host: string;
  jupyter_port: number;
  /** Env var holding the Jupyter token. */
  jupyter_token_env: string;
  use_https: boolean;
  pool_min_idle: number;
  pool_max_size: number;
  /** How a kernel is cleaned after a run: a full restart, or an in-process reset. */
  reset: "restart" | "reset";
  interrupt_grace_seconds: number;
  idle_cull_seconds: number;
}

/** `execution.local.fork_server`: the warm parents of `isolation: fork`. */
export interface ForkServerOptions {
  /** Children a parent forks before a fresh parent replaces it (in the background). */
  max_runs_per_parent: number;
  /** Modules the parent imports once so runs do not pay for them (missing ones are logged). */
  preload: string[];
  /** Children kept forked ahead of demand, so a run does not wait for `fork()` (0: fork on demand). */
  spare_children: number;
  /** Longest wait for a parent's imports. */
  start_timeout_seconds: number;
}

/** `execution.local.isolation`: a fresh interpreter per run, or a fresh fork of a warm parent. */
export const LOCAL_ISOLATIONS = ["fork", "spawn"] as const;
export type LocalIsolation = (typeof LOCAL_ISOLATIONS)[number];

export interface LocalOptions {
  /** A venv folder (its `bin/python` is used) or an interpreter. */
  python_env_path: string;
  /** `fork` (default): fork a warm parent per run; `spawn`: start the interpreter per run. */
  isolation: LocalIsolation;
  fork_server: ForkServerOptions;
  memory_limit_mb: number;
  cpu_seconds: number;
  max_open_files: number;
  /** The only environment variables user code gets (secret-looking names are dropped anyway). */
  env_allowlist: string[];
}

export interface DockerOptions {
  image: string;
  socket: string;
  memory_mb: number;
  cpus: number;
  pids_limit: number;
  user: string;
}

export interface ResolvedExecutionOptions {
  python_executor: { execution_timeout_seconds: number };
  execution: {
    execution_method: ExecutionMethod;
    /** Backends runs may use (`execution.allowed_methods`); others are refused. */
    allowed_methods: ExecutionMethod[];
    modes: Record<ExecutionMode, { kernel_name: string }>;
    container: ContainerOptions;
    local: LocalOptions;
    /** bubblewrap around the local backend, the fork server and Jupyter kernels (docs/security.md). */
    sandbox: SandboxOptions;
  };
  limits: { max_stdout_bytes: number; max_result_bytes: number };
  docker: DockerOptions;
}

type DeepPartial<T> = { [K in keyof T]?: T[K] extends unknown[] ? T[K] : T[K] extends object ? DeepPartial<T[K]> : T[K] };

/** What callers pass: any subset of the config sections the backends read. */
export type ExecutionOptions = DeepPartial<ResolvedExecutionOptions>;

export const DEFAULT_EXECUTION_OPTIONS: ResolvedExecutionOptions = {
  python_executor: { execution_timeout_seconds: 600 },
  execution: {
    execution_method: "local",
    allowed_methods: ["container", "local", "docker"],
    modes: { read_only: { kernel_name: "python3-epics-readonly" }, write_access: { kernel_name: "python3-epics-write" } },
    container: {
      jupyter_host: "127.0.0.1",
      jupyter_port: 8888,
      jupyter_token_env: "JUPYTER_TOKEN",
      use_https: false,
      pool_min_idle: 1,
      pool_max_size: 4,
      reset: "restart",
      interrupt_grace_seconds: 3,
      idle_cull_seconds: 600,
    },
    local: {
      python_env_path: ".venv",
      isolation: "fork",
      fork_server: { max_runs_per_parent: 1000, preload: ["numpy", "pandas", "matplotlib", "matplotlib.pyplot", "epics"], spare_children: 1, start_timeout_seconds: 120 },
      memory_limit_mb: 2048,
      cpu_seconds: 900,
      max_open_files: 256,
      env_allowlist: ["PATH", "LANG", "LC_ALL", "TZ", "HOME", "MPLBACKEND", "EPICS_CA_ADDR_LIST", "EPICS_CA_AUTO_ADDR_LIST", "EPICS_CA_SERVER_PORT", "EPICS_CA_REPEATER_PORT"],
    },
    sandbox: DEFAULT_SANDBOX_OPTIONS,
  },
  limits: { max_stdout_bytes: 1_048_576, max_result_bytes: 4_194_304 },
  docker: { image: "pyfleet-sandbox:latest", socket: "/var/run/docker.sock", memory_mb: 512, cpus: 1, pids_limit: 128, user: "65534:65534" },
};

/** Fills every missing key with its default (objects merged, arrays replaced). */
export function resolveExecutionOptions(options: ExecutionOptions = {}): ResolvedExecutionOptions {
  return merge(DEFAULT_EXECUTION_OPTIONS, options) as ResolvedExecutionOptions;
}

function merge(base: unknown, over: unknown): unknown {
  if (over === undefined) return base;
  if (!isObject(base) || !isObject(over)) return over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = merge(base[k], v);
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
