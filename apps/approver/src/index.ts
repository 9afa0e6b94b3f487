export * from "./approval-events.js";
export * from "./auth.js";
export * from "./http-errors.js";
export { openApiDocument } from "./openapi.js";
export { approverPage } from "./page.js";
export * from "./server.js";
export * from "./webhook-notifier.js";
export * from "./approver-sweeper.js";
