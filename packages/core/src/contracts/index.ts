export * from "./analysis.js";
export * from "./approval.js";
export * from "./execution.js";
export * from "./json-depth.js";
export * from "./notebook.js";
export * from "./request.js";
export * from "./run.js";
export * from "./validate.js";
