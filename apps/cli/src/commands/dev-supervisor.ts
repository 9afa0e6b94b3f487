import { spawn } from "node:child_process";
import { constants } from "node:os";
import { fileURLToPath } from "node:url";
import type { CommandIO } from "../command.js";
import { ProcessTracker } from "./process-tree.js";

/** Set in the environment of the process that runs the fleet under {@link superviseDev}. */
export const DEV_ROLE_VAR = "PYFLEET_DEV_ROLE";

const BIN = fileURLToPath(new URL("../../bin/pyfleet.mjs", import.meta.url));
/** How often the supervisor notes the fleet's processes (a crash leaves them orphaned, unfindable). */
const SCAN_MS = 500;
/** Time the processes left behind by a dead fleet get between SIGTERM and SIGKILL. */
const LEFTOVER_GRACE_MS = 3000;

/**
 * `pyfleet dev` as the user starts it: a small supervisor that runs the fleet in a child process
 * of its own process group and makes sure nothing the fleet started outlives it.
 * - SIGINT/SIGTERM are forwarded once (a terminal's Ctrl-C reaches only this process, since the
 *   fleet has its own group); the fleet stops what it started and exits; a second signal kills.
 * - SIGKILL of this process closes the IPC channel: the fleet sees `disconnect` and stops
 *   everything as on SIGTERM (it cannot be told otherwise, so it watches for that).
 * - The fleet itself dying (a crash, SIGKILL): every process it started, found by walking /proc
 *   parent links (Jupyter kernels start sessions of their own, so groups are not enough), is
 *   stopped here, SIGTERM then SIGKILL.
 * Returns the fleet's exit code (128 + n when a signal ended it).
 */
export function superviseDev(args: readonly string[], io: CommandIO): Promise<number> {
  const child = spawn(process.execPath, [BIN, "dev", ...args], {
    cwd: io.cwd,
    env: { ...io.env, [DEV_ROLE_VAR]: "fleet" },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    detached: true,
  });
  const pid = child.pid;
  if (pid === undefined) return Promise.resolve(1);
  const tracker = new ProcessTracker(pid);
  const scanner = setInterval(() => tracker.scan(), SCAN_MS);
  let signals = 0;
  const forward = (sig: NodeJS.Signals) => {
    signals += 1;
    if (signals === 1) {
      child.kill(sig);
      return;
    }
    io.err(`dev: second ${sig}: killing the fleet and everything it started`);
    killGroup(pid);
    void tracker.stopAll(0);
  };
  const onInt = () => forward("SIGINT");
  const onTerm = () => forward("SIGTERM");
  process.on("SIGINT", onInt);
  process.on("SIGTERM", onTerm);
  return new Promise((resolve) => {
    child.once("exit", (code, sig) => {
      clearInterval(scanner);
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
      void (async () => {
        const left = await tracker.stopAll(LEFTOVER_GRACE_MS);
        killGroup(pid);
        if (code !== 0) io.err(`dev: the fleet process ended (${sig ?? `exit ${code}`}); stopped what it had started`);
        else if (left.length > 0) io.err(`dev: killed ${left.length} process(es) the fleet left behind: ${left.map((e) => `${e.pid} ${e.command}`).join(", ")}`);
        resolve(code ?? 128 + (sig ? constants.signals[sig] : 0));
      })();
    });
  });
}

function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, "SIGKILL");
  } catch {
    // the group is empty already
  }
}

/**
 * Resolves with what asked the fleet process to stop: SIGINT, SIGTERM, or its supervisor's end
 * (the IPC channel closed: the supervisor was SIGKILLed). Listening starts at once, so a signal
 * during start-up waits for the start to finish and then stops everything it started.
 */
export function stopRequested(): Promise<string> {
  return new Promise((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
    if (process.connected) process.once("disconnect", () => resolve("supervisor gone"));
  });
}

/**
 * The fleet process's last step: whatever it started and is still running after the orderly
 * stop (a kernel its Jupyter server did not end) gets SIGTERM, then SIGKILL; then the IPC
 * channel is closed so the process can exit. Returns the processes that had to be stopped.
 */
export async function stopLeftovers(): Promise<string[]> {
  // tsx's esbuild service ends when this process does; the code still running here may need it
  const tracker = new ProcessTracker(process.pid, (e) => e.command === "esbuild");
  tracker.scan();
  const live = tracker.alive();
  const left = live.map((e) => `${e.pid} ${e.command}`);
  if (live.length > 0) await tracker.stopAll(LEFTOVER_GRACE_MS);
  if (process.connected) process.disconnect();
  // a close that timed out may still hold sockets open: do not let it keep the process alive
  setTimeout(() => process.exit(), LEFTOVER_GRACE_MS).unref();
  return left;
}
