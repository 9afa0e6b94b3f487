export * from "./approval-events.js";
export { hashToken, hasRole, type Identity, type Role, TokenAuth, type TokenEntry } from "@pyfleet/core";
export { approverPage } from "./page.js";
export * from "./server.js";
export * from "./webhook-notifier.js";
export * from "./approver-sweeper.js";
export { main } from "./main.js";
export * from "./start-approver.js";
export * from "./dev-approver.js";
