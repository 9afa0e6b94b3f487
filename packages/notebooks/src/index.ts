export * from "./attempt-notebook.js";
export * from "./context-cell.js";
export * from "./final-notebook.js";
export * from "./markdown.js";
export * from "./nbformat.js";
export * from "./outputs.js";
