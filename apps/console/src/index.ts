export { type ConsoleDeps, createConsoleServer } from "./console-server.js";
export { main } from "./main.js";
export { type RunningConsole, type StartConsoleOptions, startConsole } from "./start-console.js";
export { DEFAULT_WEB_ROOT, webRoot } from "./web-root.js";
