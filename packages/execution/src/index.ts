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
} from "./harness.js";
export { OutputCollector } from "./output-collector.js";
export { resolveInterpreter } from "./local/interpreter.js";
export { LOCAL_KILL_GRACE_MS, LocalExecutor, type LocalExecutorOptions } from "./local/local-executor.js";
export {
  type ContainerOptions,
  DEFAULT_EXECUTION_OPTIONS,
  type DockerOptions,
  type ExecutionOptions,
  type LocalOptions,
  type ResolvedExecutionOptions,
  resolveExecutionOptions,
} from "./options.js";
export { buildChildEnv, isSecretName } from "./safe-env.js";
export * from "./artifacts/index.js";
export * from "./docker/index.js";
