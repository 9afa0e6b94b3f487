export * from "./approval-record.js";
export * from "./approval-store.js";
export * from "./decision-signer.js";
export * from "./hmac-approval-verifier.js";
export * from "./redis-execution-guard.js";
export * from "./run-reconciler.js";
