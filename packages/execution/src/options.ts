/**
 * Settings of the execution backends: their slice of the loaded config (`framework.*`,
 * snake_case as in config.yml), so a loaded config can be passed as is. The types are derived
 * from `PyfleetConfig` and the defaults come from its schema: nothing is declared twice.
 */
import { configDefaults, type DeepPartial, type PyfleetConfig, withDefaults } from "@pyfleet/core";

type Execution = PyfleetConfig["execution"];

/** `execution.container`: the Jupyter server and its kernel pool. */
export type ContainerOptions = Execution["container"];
/** `execution.local.fork_server`: the warm parents of `isolation: fork`. */
export type ForkServerOptions = Execution["local"]["fork_server"];
/** `execution.local`: the interpreter, its isolation and its limits. */
export type LocalOptions = Execution["local"];
/** `execution.local.isolation`: a fresh interpreter per run, or a fresh fork of a warm parent. */
export type LocalIsolation = LocalOptions["isolation"];
/** `docker`: the image and limits of the docker backend. */
export type DockerOptions = PyfleetConfig["docker"];

/** The config sections the backends read, every key present. */
export type ResolvedExecutionOptions = Pick<PyfleetConfig, "python_executor" | "execution" | "limits" | "docker">;

/** What callers pass: any subset of the config sections the backends read. */
export type ExecutionOptions = DeepPartial<ResolvedExecutionOptions>;

/** The schema's defaults of the sections the backends read. */
function executionDefaults(): ResolvedExecutionOptions {
  const { python_executor, execution, limits, docker } = configDefaults();
  return { python_executor, execution, limits, docker };
}

/** The schema's defaults, for tests and tools that start from them. */
export const DEFAULT_EXECUTION_OPTIONS: ResolvedExecutionOptions = executionDefaults();

/** Fills every missing key with its default (objects merged, arrays replaced). */
export function resolveExecutionOptions(options: ExecutionOptions = {}): ResolvedExecutionOptions {
  return withDefaults(executionDefaults(), options);
}
