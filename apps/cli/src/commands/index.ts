import type { Command } from "../command.js";

/**
 * Every subcommand, loaded lazily so `pyfleet --help` stays fast.
 * Add one line per command module (each module default-exports a Command).
 */
export const COMMANDS: Array<{ name: string[]; load: () => Promise<{ default: Command }> }> = [
  { name: ["config", "check"], load: () => import("./config-check.js") },
  { name: ["approvals"], load: () => import("./approvals.js") },
  { name: ["approval"], load: () => import("./approval.js") },
  { name: ["approve"], load: () => import("./approve.js") },
  { name: ["reject"], load: () => import("./reject.js") },
  { name: ["audit"], load: () => import("./audit.js") },
  { name: ["analyze"], load: () => import("./analyze.js") },
  { name: ["submit"], load: () => import("./submit.js") },
  { name: ["status"], load: () => import("./status.js") },
  { name: ["logs"], load: () => import("./logs.js") },
  { name: ["cancel"], load: () => import("./cancel.js") },
  { name: ["runs"], load: () => import("./runs.js") },
  { name: ["worker"], load: () => import("./worker.js") },
  { name: ["dev"], load: () => import("./dev.js") },
  { name: ["exec"], load: () => import("./exec.js") },
];
