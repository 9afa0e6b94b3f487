export * from "./config/index.js";
export * from "./contracts/index.js";
export * from "./errors.js";
export * from "./hash.js";
export * from "./keys.js";
export * from "./logger.js";
export * from "./ports.js";
export * from "./project-python.js";
