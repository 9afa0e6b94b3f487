/** Test helpers for fleets (imported as `@pyfleet/runtime/testing`; never used by production code). */
export { REPO_CONFIG, testConfig, testEnv } from "./test-config.js";
export { spawnWorker, type SpawnedWorker } from "./spawn-worker.js";
export { waitForStatus } from "./wait-for.js";
export { approveParked, countExecutionLogs, findFiles, type TestApprovalStoreOptions, testApprovalStore, testDecisionKeys } from "./approvals.js";
export { startTestFleet, type TestFleet, type TestFleetOptions, type TestFleetProcess } from "./start-test-fleet.js";
