export {
  DEFAULT_PYTHON,
  HARNESS_PATH,
  HARNESS_PROTOCOL,
  type HarnessReport,
  HarnessReportSchema,
  harnessSource,
  type OutcomeExtras,
  parseHarnessReport,
  RESULT_MIME,
  reportToOutcome,
  timeoutErrorInfo,
  timeoutOutcome,
} from "./harness.js";
export { OutputCollector } from "./output-collector.js";
export { resolveInterpreter } from "./local/interpreter.js";
export { LOCAL_KILL_GRACE_MS, LocalExecutor, type LocalExecutorOptions } from "./local/local-executor.js";
export { ChildHub, type ChildRoute, type ChildStreamKind } from "./fork/child-hub.js";
export { ForkParent, type ForkParentReady } from "./fork/fork-parent.js";
export { type ChildExit, type ChildSink, ForkedChild } from "./fork/forked-child.js";
export { ForkServerExecutor, type ForkServerExecutorOptions } from "./fork/fork-server-executor.js";
export { FORKSERVER_PATH, type ForkParentLauncher, type ForkParentSpec, spawnForkParent } from "./fork/spawn-fork-parent.js";
export {
  type ContainerOptions,
  type ForkServerOptions,
  type LocalIsolation,
  DEFAULT_EXECUTION_OPTIONS,
  type DockerOptions,
  type ExecutionOptions,
  type LocalOptions,
  type ResolvedExecutionOptions,
  resolveExecutionOptions,
} from "./options.js";
export { buildChildEnv, isSecretName } from "./safe-env.js";
export {
  buildBwrapArgs,
  prlimitArgs,
  type SandboxBind,
  type SandboxLimits,
  type SandboxSpec,
  SYSTEM_BINDS,
} from "./sandbox/bwrap-command.js";
export {
  grantToSandbox,
  type SandboxedProcess,
  type SandboxOptions,
  sandboxHostIds,
  spawnSandboxed,
  type SpawnSandboxedInput,
} from "./sandbox/sandbox-process.js";
export * from "./artifacts/index.js";
export * from "./docker/index.js";
export { ContainerExecutor, type ContainerExecutorOptions } from "./container/container-executor.js";
export { endpointFromOptions, type JupyterEndpoint, makeServerSettings } from "./container/jupyter-settings.js";
export { KernelPool, type KernelPoolOptions, type PooledKernel } from "./container/kernel-pool.js";
export {
  createExecutorRegistry,
  type ExecutorRegistryDeps,
  type ManagedExecutorRegistry,
} from "./registry.js";
export { bootstrapCode, RESET_CODE, runCode } from "./container/bootstrap.js";
export { type KernelRunOptions, type KernelRunResult, runInKernel } from "./container/run-in-kernel.js";
