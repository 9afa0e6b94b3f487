export { assertRole, BearerGuard, type ForbiddenCode } from "./bearer-guard.js";
export { createService, type ServiceApp, type ServiceOptions } from "./create-service.js";
export { type ErrorReplyOptions, errorBody, installErrorHandler, onFrameworkError, runNotFound, validationIssues } from "./error-reply.js";
export { invalidUtf8Fields, strictUtf8Json } from "./json-body.js";
export { EXIT, type MainIO, type MainSpec, parseOptions, processIO, type RunningService, runIfMain, runMain, UsageError } from "./run-main.js";
export { ErrorSchema, errorResponses, type OpenApiOptions, registerOpenApi, routeCoverage } from "./openapi.js";
export { registerFileReplies, RelativeFilePath, sendContainedFile } from "./file-reply.js";
export { type EndedRun, LONG_BUCKETS, queuelessObserver, runEndMetrics } from "./run-end-metrics.js";
