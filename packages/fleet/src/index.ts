export * from "./approvals/index.js";
export * from "./audit/audit-log.js";
