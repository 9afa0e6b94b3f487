export * from "./pipeline-types.js";
export { effectiveBudgets } from "./budgets.js";
export { trimTraceback } from "./error-chain.js";
export { createPipeline, type PipelineOptions, stepResult } from "./pipeline.js";
export { graphConfig, graphThreadId, refForInput } from "./run-ref.js";
export { RunStateAnnotation, type RunState } from "./state.js";
export { deriveStatus, runningStatus } from "./status.js";
