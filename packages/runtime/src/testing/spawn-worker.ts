import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { PROJECT_ROOT } from "@pyfleet/core";

/** The `pyfleet-worker` command as npm links it for the workspace (a bin name, not a path into apps/). */
const WORKER_BIN = join(PROJECT_ROOT, "node_modules", ".bin", "pyfleet-worker");

/** A `pyfleet-worker` child process. */
export interface SpawnedWorker {
  child: ChildProcess;
  pid: number;
  metricsPort: number;
  /** Everything the process printed so far (stdout + stderr). */
  output(): string;
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

/**
 * Starts `pyfleet-worker <args>` (the workspace's bin) and resolves once it printed its
 * ready line (metrics port parsed from it).
 */
export function spawnWorker(args: string[], env: Record<string, string>, timeoutMs = 90_000): Promise<SpawnedWorker> {
  const child = spawn(process.execPath, [WORKER_BIN, "--metrics-port", "0", ...args], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`worker ${args.join(" ")} not ready after ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /pyfleet-worker ready pid=(\d+) .*metrics=http:\/\/127\.0\.0\.1:(\d+)\/metrics/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({
          child,
          pid: Number(m[1]),
          metricsPort: Number(m[2]),
          output: () => out,
          exited,
          stop(signal = "SIGTERM") {
            if (child.exitCode === null && child.signalCode === null) child.kill(signal);
            return exited;
          },
        });
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`worker ${args.join(" ")} exited with ${code} before it was ready:\n${out}`));
    });
  });
}
