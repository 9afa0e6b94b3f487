export type { ArtifactRef } from "@pyfleet/core";
export { type EventsOptions, PyfleetClient, type RunDetails, type RunResult, type SubmittedRun, type WaitOptions } from "./client.js";
export { DEFAULT_PRODUCER_URL, errorFromResponse, type HttpOptions, resolveTarget } from "./http.js";
export {
  type ApprovalAgentState,
  clearApprovalState,
  createApprovalType,
  getApprovalResumeData,
  handleServiceWithInterrupts,
  type InterruptingService,
  isApproving,
} from "./integration/approval.js";
export { getRegistry, type RegistryOptions, ServiceRegistry } from "./integration/registry.js";
export {
  type ApprovalInterruptValue,
  type PythonExecutorServiceOptions,
  PythonExecutorService,
  type PythonServiceResult,
  type ServiceConfig,
} from "./integration/service.js";
export { parseSse, type SseMessage } from "./sse.js";
export { clientFrom } from "./target.js";
