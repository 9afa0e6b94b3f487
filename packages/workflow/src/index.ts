export * from "./pipeline-types.js";
