import { z } from "zod";
import { EXECUTION_METHODS } from "../contracts/request.js";
import { envName } from "./checks.js";
import type { EnvDefault } from "./env-defaults.js";
import { bool, int, oneOf, port, section, str } from "./values.js";

/** `approval.global_mode`: approval off, per capability, or for everything. */
export const APPROVAL_GLOBAL_MODES = ["disabled", "selective", "all_capabilities"] as const;
export type ApprovalGlobalMode = (typeof APPROVAL_GLOBAL_MODES)[number];
/** Accepted spellings; `control_writes` (the original's newer name) is read as `epics_writes`. */
export const PYTHON_APPROVAL_MODES_ACCEPTED = ["disabled", "all_code", "epics_writes", "control_writes"] as const;
/** `approval.capabilities.python_execution.mode` after reading `control_writes` as `epics_writes`. */
export const PYTHON_APPROVAL_MODES = ["disabled", "all_code", "epics_writes"] as const;
export type PythonApprovalMode = (typeof PYTHON_APPROVAL_MODES)[number];
/** `execution.container.reset`: how a kernel is cleaned between runs. */
export const KERNEL_RESET_MODES = ["restart", "reset"] as const;
/** `execution.local.isolation`: fork a warm parent per run, or start an interpreter per run. */
export const LOCAL_ISOLATION_MODES = ["fork", "spawn"] as const;
const MODULE_NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

const KERNEL_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const kernelName = (def: string) =>
  z
    .string()
    .refine((s) => KERNEL_NAME.test(s), "is not a kernelspec name (letters, digits, _ . -)")
    .default(def);

const mode = (kernel: string, allowsWrites: boolean, requiresApproval: boolean) =>
  section({
    kernel_name: kernelName(kernel),
    allows_writes: bool(allowsWrites),
    requires_approval: bool(requiresApproval),
  });

/** `framework.python_executor`: the retry budgets and the hard execution time limit. */
export const pythonExecutorSchema = section({
  max_generation_retries: int(3, 0, 20),
  max_execution_retries: int(3, 0, 20),
  execution_timeout_seconds: int(600, 1, 86_400),
});

/** `framework.execution`: backend choice, kernels per mode, and backend settings. */
export function executionSchema(d: EnvDefault) {
  return section({
    // The env-supplied default is any string; the enum itself reports a wrong one.
    execution_method: z
      .enum(EXECUTION_METHODS)
      .prefault(d("execution.execution_method") as (typeof EXECUTION_METHODS)[number]),
    /** Backends runs may use; others are refused. */
    allowed_methods: z.array(z.enum(EXECUTION_METHODS)).min(1).default([...EXECUTION_METHODS]),
    modes: section({
      read_only: mode("python3-epics-readonly", false, false),
      write_access: mode("python3-epics-write", true, true),
    }),
    container: section({
      jupyter_host: z.string().min(1).prefault(d("execution.container.jupyter_host")),
      jupyter_port: port(d("execution.container.jupyter_port")),
      jupyter_token_env: envName("JUPYTER_TOKEN"),
      use_https: bool(false),
      pool_min_idle: int(1, 0, 64),
      pool_max_size: int(4, 1, 64),
      /** How a kernel is cleaned after a run: a full restart, or an in-process reset. */
      reset: oneOf(KERNEL_RESET_MODES, "restart"),
      interrupt_grace_seconds: int(3, 0, 600),
      idle_cull_seconds: int(600, 0, 86_400),
    }),
    local: section({
      /** A venv folder (its `bin/python` is used) or an interpreter. */
      python_env_path: z.string().min(1).prefault(d("execution.local.python_env_path")),
      /** `fork`: fork a warm parent per run; `spawn`: start the interpreter per run. */
      isolation: oneOf(LOCAL_ISOLATION_MODES, "fork"),
      fork_server: section({
        /** Children a parent forks before a fresh parent replaces it (in the background). */
        max_runs_per_parent: int(1000, 1, 10_000_000),
        /** Modules the parent imports once so runs do not pay for them (missing ones are logged). */
        preload: z
          .array(z.string().refine((s) => MODULE_NAME.test(s), "is not a Python module name"))
          .default(["numpy", "pandas", "matplotlib", "matplotlib.pyplot", "epics"]),
        /** Children kept forked ahead of demand, so a run does not wait for `fork()` (0: fork on demand); two cover runs that come back to back. */
        spare_children: int(2, 0, 64),
        /** Longest wait for a parent's imports. */
        start_timeout_seconds: int(120, 1, 3600),
      }),
      memory_limit_mb: int(2048, 16, 1_048_576),
      cpu_seconds: int(900, 1, 86_400),
      max_open_files: int(256, 16, 1_048_576),
      /** The only environment variables user code gets (secret-looking names are dropped anyway). */
      env_allowlist: z
        .array(z.string().refine((s) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(s), "is not an environment variable name"))
        .default([
          "PATH",
          "LANG",
          "LC_ALL",
          "TZ",
          "HOME",
          "MPLBACKEND",
          "EPICS_CA_ADDR_LIST",
          "EPICS_CA_AUTO_ADDR_LIST",
          "EPICS_CA_SERVER_PORT",
          "EPICS_CA_REPEATER_PORT",
        ]),
    }),
    // bubblewrap around user code on this host (docs/security.md); disabling it is for machines
    // without bubblewrap only and leaves the read-only promise to the in-process guard
    sandbox: section({
      /** false runs user code without bubblewrap (development machines without it; never production). */
      enabled: bool(true),
      /** The bubblewrap executable. */
      bwrap_path: str("/usr/bin/bwrap"),
      /** Host uid:gid bwrap runs as when the executor is root (ignored otherwise: the executor's own). */
      run_as: z
        .string()
        .refine((s) => /^\d+:\d+$/.test(s), "is not uid:gid (e.g. 65534:65534)")
        .default("65534:65534"),
      max_processes: int(64, 4, 65_536),
      max_file_mb: int(256, 1, 1_048_576),
      tmp_mb: int(256, 1, 1_048_576),
      /** Total size of a sandbox's working folder in MiB (a tmpfs; the executor must be root to mount it). */
      work_mb: int(1024, 1, 1_048_576),
    }),
  });
}

/** `framework.approval`: when a human must approve (ARCHITECTURE §5). */
export const approvalSchema = section({
  global_mode: oneOf(APPROVAL_GLOBAL_MODES, "selective"),
  capabilities: section({
    python_execution: section({
      enabled: bool(true),
      mode: z
        .enum(PYTHON_APPROVAL_MODES_ACCEPTED)
        .default("epics_writes")
        .transform((m): PythonApprovalMode => (m === "control_writes" ? "epics_writes" : m)),
    }),
  }),
});
