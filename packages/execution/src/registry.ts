import type { ExecutionMethod, ExecutionMode, Executor, ExecutorRegistry, Logger } from "@pyfleet/core";
import { EXECUTION_METHODS, PyfleetError, silentLogger } from "@pyfleet/core";
import { ContainerExecutor } from "./container/container-executor.js";
import { endpointFromOptions, makeServerSettings } from "./container/jupyter-settings.js";
import { DockerExecutor, dockerClient } from "./docker/index.js";
import { ForkServerExecutor } from "./fork/fork-server-executor.js";
import { LocalExecutor } from "./local/local-executor.js";
import { upstreamsFromEnv } from "./sandbox/ca-gate.js";
import { type ExecutionOptions, type ResolvedExecutionOptions, resolveExecutionOptions } from "./options.js";

export interface ExecutorRegistryDeps {
  /** Environment for the Jupyter token, DOCKER_HOST and the local allow-list; default `process.env`. */
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
}

/** An {@link ExecutorRegistry} that owns its executors and releases them on `close`. */
export interface ManagedExecutorRegistry extends ExecutorRegistry {
  readonly options: ResolvedExecutionOptions;
  /** `python_executor.execution_timeout_seconds` in ms. */
  readonly timeoutMs: number;
  /** Closes every executor created so far (kernels, processes, containers). Idempotent. */
  close(): Promise<void>;
}

/**
 * Hands out one executor per (method, mode), created on first use: `local` processes,
 * `container` kernel pools (one per kernelspec) and `docker` sandboxes.
 */
export function createExecutorRegistry(options: ExecutionOptions = {}, deps: ExecutorRegistryDeps = {}): ManagedExecutorRegistry {
  const resolved = resolveExecutionOptions(options);
  const env = deps.env ?? process.env;
  const logger = deps.logger ?? silentLogger();
  const executors = new Map<string, Executor>();
  let closed = false;

  const build = (method: ExecutionMethod, mode: ExecutionMode): Executor => {
    const log = logger.child({ backend: method, mode });
    switch (method) {
      case "local":
        if (resolved.execution.local.isolation === "fork") {
          return new ForkServerExecutor({
            mode,
            local: resolved.execution.local,
            forkServer: resolved.execution.local.fork_server,
            sandbox: resolved.execution.sandbox,
            caUpstreams: upstreamsFromEnv(env),
            maxResultBytes: resolved.limits.max_result_bytes,
            maxStdoutBytes: resolved.limits.max_stdout_bytes,
            env,
            logger: log.child({ isolation: "fork" }),
          });
        }
        return new LocalExecutor({
          local: resolved.execution.local,
          sandbox: resolved.execution.sandbox,
          caUpstreams: upstreamsFromEnv(env),
          maxResultBytes: resolved.limits.max_result_bytes,
          maxStdoutBytes: resolved.limits.max_stdout_bytes,
          env,
          logger: log,
        });
      case "container":
        return new ContainerExecutor({
          kernelName: resolved.execution.modes[mode].kernel_name,
          mode,
          settings: makeServerSettings(endpointFromOptions(resolved.execution.container, env)),
          container: resolved.execution.container,
          maxStdoutBytes: resolved.limits.max_stdout_bytes,
          maxResultBytes: resolved.limits.max_result_bytes,
          logger: log,
        });
      case "docker": {
        const endpoint = { socket: resolved.docker.socket, ...(env.DOCKER_HOST ? { dockerHost: env.DOCKER_HOST } : {}) };
        return new DockerExecutor(dockerClient(endpoint), { options: resolved, endpoint, logger: log });
      }
    }
  };

  return {
    options: resolved,
    timeoutMs: resolved.python_executor.execution_timeout_seconds * 1000,
    get(method, mode) {
      if (closed) throw new PyfleetError("BACKEND_UNAVAILABLE", "the executor registry is closed");
      if (!EXECUTION_METHODS.includes(method)) {
        throw new PyfleetError("BACKEND_MISCONFIGURED", `unknown execution method ${String(method)} (one of ${EXECUTION_METHODS.join(", ")})`);
      }
      if (!resolved.execution.allowed_methods.includes(method)) {
        throw new PyfleetError(
          "METHOD_NOT_ALLOWED",
          `execution method ${method} is not allowed here (execution.allowed_methods: ${resolved.execution.allowed_methods.join(", ")})`,
        );
      }
      // kernel pools and fork-server parents are per mode (read-only and write runs never share
      // a process); spawned interpreters and docker containers are per run: one executor serves both
      const perMode = method === "container" || (method === "local" && resolved.execution.local.isolation === "fork");
      const key = perMode ? `${method}:${mode}` : method;
      let executor = executors.get(key);
      if (!executor) {
        executor = build(method, mode);
        executors.set(key, executor);
      }
      return executor;
    },
    kernelName(mode) {
      return resolved.execution.modes[mode].kernel_name;
    },
    async close() {
      closed = true;
      const all = [...executors.values()];
      executors.clear();
      await Promise.allSettled(all.map((e) => e.close()));
    },
  };
}
