export * from "./approval-record.js";
export * from "./approval-store.js";
export * from "./decision-signer.js";
export * from "./decision-verifier.js";
export * from "./redis-execution-guard.js";
export * from "./run-reconciler.js";
export * from "./signed-approval-verifier.js";
