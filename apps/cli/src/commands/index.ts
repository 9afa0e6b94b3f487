import type { Command } from "../command.js";

/**
 * Every subcommand, loaded lazily so `pyfleet --help` stays fast.
 * Add one line per command module (each module default-exports a Command); `summary` repeats the
 * module's own so `--help` can list commands without importing them (a test keeps the two equal).
 */
export const COMMANDS: Array<{ name: string[]; summary: string; load: () => Promise<{ default: Command }> }> = [
  { name: ["config", "check"], summary: "Load and validate a config file; print every problem and warning (exit 1 on any problem).", load: () => import("./config-check.js") },
  { name: ["approvals"], summary: "List approvals (pending by default).", load: () => import("./approvals.js") },
  { name: ["approval"], summary: "Show one approval: write manifest (current → proposed), code with line numbers, findings, votes.", load: () => import("./approval.js") },
  { name: ["approve"], summary: "Approve a parked run (quotes the hash of the code under review).", load: () => import("./approve.js") },
  { name: ["reject"], summary: "Reject a parked run, optionally sending it back for regeneration with feedback.", load: () => import("./reject.js") },
  { name: ["audit"], summary: "Check or show the hash-chained audit trail of approvals and write executions.", load: () => import("./audit.js") },
  { name: ["analyze"], summary: "Statically analyse a Python file: syntax, security rules, control-system reads/writes, approval policy.", load: () => import("./analyze.js") },
  { name: ["submit"], summary: "Submit a run (provided code or a task for the generator); optionally wait for it or follow its events.", load: () => import("./submit.js") },
  { name: ["status"], summary: "Show a run: status, error, results, figures, notebook.", load: () => import("./status.js") },
  { name: ["logs"], summary: "Print a run's events (status changes, code, output, results); --follow streams until it ends.", load: () => import("./logs.js") },
  { name: ["cancel"], summary: "Cancel a run (a queued one at once, a running execution is interrupted).", load: () => import("./cancel.js") },
  { name: ["runs"], summary: "List runs, newest first.", load: () => import("./runs.js") },
  { name: ["worker"], summary: "Run a stage worker (same as pyfleet-worker).", load: () => import("./worker.js") },
  { name: ["dev"], summary: "Run the whole fleet on this machine: producer, workers for every stage (both execute modes), approver and console.", load: () => import("./dev.js") },
  { name: ["sim", "ioc"], summary: "Serve the simulated storage ring (a caproto Channel Access IOC) on 127.0.0.1 and print the EPICS_CA_* settings to use.", load: () => import("./sim-ioc.js") },
  { name: ["exec"], summary: "Run a Python file read-only on one backend (no fleet) and print its results, output and figures.", load: () => import("./exec.js") },
];
