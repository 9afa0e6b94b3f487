export * from "./approval-store-factory.js";
export * from "./open-fleet.js";
export { checkBackend } from "./wire/backend-ready.js";
export { LazyGenerator } from "./wire/lazy-generator.js";
export { type RealPipeline, type RealPipelineBuilder, type RealPipelineOptions, realPipelineBuilder } from "./wire/real-pipeline.js";
