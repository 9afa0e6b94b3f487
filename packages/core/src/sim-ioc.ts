import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { PyfleetError } from "./errors.js";
import { BUILD_VENV_HINT, PROJECT_ROOT, projectPython } from "./project-python.js";

/** The simulated ring's package (`sim/pyfleet_sim`) and its default PV database. */
export const SIM_DIR: string = join(PROJECT_ROOT, "sim");
export const SIM_DEFAULT_CONFIG: string = join(SIM_DIR, "storage-ring.yml");

/** What a Channel Access client needs to reach the simulated IOC (and nothing off the host). */
export interface CaEnv extends Record<string, string> {
  EPICS_CA_ADDR_LIST: string;
  EPICS_CA_AUTO_ADDR_LIST: string;
  EPICS_CA_SERVER_PORT: string;
  /** The IOC's own CA repeater (so libca does not try to start a `caRepeater` binary). */
  EPICS_CA_REPEATER_PORT: string;
}

export interface SimIocOptions {
  /** PV database (YAML); default `sim/storage-ring.yml`. */
  config?: string;
  /** CA server port (UDP search + TCP); default 0 = a free one, never shared with another pyfleet IOC. */
  port?: number;
  /** Append one JSON line per put here (the IOC's put log). */
  putLog?: string;
  /** Interpreter; default the project venv's. */
  python?: string;
  /** Wait this long for the IOC to answer; default 30 s. */
  startTimeoutMs?: number;
  /** Called with each line the IOC writes to stderr once it runs (its warnings). */
  onStderr?: (line: string) => void;
}

/** A running simulated IOC. */
export interface SimIoc {
  port: number;
  env: CaEnv;
  pid: number;
  /** Number of PVs it serves. */
  pvCount: number;
  /** SIGTERM, then SIGKILL after 5 s. Idempotent. */
  stop(): Promise<void>;
}

interface ReadyLine {
  event: "ready";
  port: number;
  pvs: number;
  env: CaEnv;
}

/**
 * Starts `python -m pyfleet_sim serve` (the caproto IOC of `sim/`) on 127.0.0.1 and resolves once
 * it answers (its ready line). Every CA packet stays on loopback: it binds 127.0.0.1 only and
 * sends no beacons.
 * @throws PyfleetError `BACKEND_UNAVAILABLE` with the IOC's output when it does not start (bad
 *   config: the message names the field; port in use; venv missing: the fix).
 */
export async function startSimIoc(options: SimIocOptions = {}): Promise<SimIoc> {
  const python = options.python ?? projectPython();
  if (!existsSync(python)) throw new PyfleetError("BACKEND_UNAVAILABLE", `simulated IOC: ${python} not found; ${BUILD_VENV_HINT}`);
  const args = ["-m", "pyfleet_sim", "serve", "--config", options.config ?? SIM_DEFAULT_CONFIG, "--port", String(options.port ?? 0)];
  if (options.putLog) args.push("--put-log", options.putLog);
  const child = spawn(python, args, {
    cwd: SIM_DIR,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", LANG: "C.UTF-8", PYTHONPATH: SIM_DIR, PYTHONDONTWRITEBYTECODE: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  let started = false;
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
    // before the ready line, the output goes into the start error instead
    if (started) for (const line of chunk.split("\n")) if (line.trim()) options.onStderr?.(line);
  });
  const ready = await waitReady(child, options.startTimeoutMs ?? 30_000).catch(async (err: Error) => {
    await stopChild(child);
    throw new PyfleetError("BACKEND_UNAVAILABLE", `simulated IOC did not start: ${err.message}${stderr ? `\n${stderr.trim()}` : ""}`);
  });
  started = true;
  let stopped: Promise<void> | undefined;
  return {
    port: ready.port,
    env: ready.env,
    pid: child.pid ?? -1,
    pvCount: ready.pvs,
    stop: () => {
      stopped ??= stopChild(child);
      return stopped;
    },
  };
}

function waitReady(child: ChildProcess, timeoutMs: number): Promise<ReadyLine> {
  return new Promise((resolve, reject) => {
    let buffer = "";
    const timer = setTimeout(() => reject(new Error(`no ready line within ${timeoutMs} ms`)), timeoutMs);
    const onData = (chunk: string) => {
      buffer += chunk;
      const end = buffer.indexOf("\n");
      if (end < 0) return;
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      try {
        const line = JSON.parse(buffer.slice(0, end)) as ReadyLine;
        if (line.event !== "ready") throw new Error(`unexpected first line ${buffer.slice(0, end)}`);
        resolve(line);
      } catch (err) {
        reject(err as Error);
      }
    };
    child.stdout?.setEncoding("utf8").on("data", onData);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code ?? signal} before it was ready`));
    });
    child.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const kill = setTimeout(() => child.kill("SIGKILL"), 5000);
    child.once("exit", () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill("SIGTERM");
  });
}
