export { type EventsOptions, PyfleetClient, type RunDetails, type SubmittedRun, type WaitOptions } from "./client.js";
export { errorFromResponse, type HttpOptions } from "./http.js";
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
