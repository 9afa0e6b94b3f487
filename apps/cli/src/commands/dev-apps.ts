import { spawn } from "node:child_process";
import { join } from "node:path";
import { PROJECT_ROOT } from "@pyfleet/core";
import type { StartedService } from "./dev-services.js";

/**
 * Path of an app's command (`pyfleet-worker`, `pyfleet-producer`, ...) as npm links it for the
 * workspace: the CLI runs the apps as processes, it does not import them (apps are leaves).
 */
export function appBin(name: string): string {
  return join(PROJECT_ROOT, "node_modules", ".bin", name);
}

/** An app process `pyfleet dev` started; `ready` is the match of its ready line. */
export interface StartedApp extends StartedService {
  ready: RegExpExecArray;
}

export interface StartAppOptions {
  env: Record<string, string | undefined>;
  /** Matches the line the app prints once it serves (runMain's ready line). */
  ready: RegExp;
  /** Every other line the app prints (its warnings and errors), as it comes. */
  onLine: (line: string) => void;
  /** Time from SIGTERM to SIGKILL when stopped (a worker drains its in-flight runs first). */
  stopGraceMs: number;
  /** Time to wait for the ready line (default 120 s: several apps start at once on a busy machine). */
  timeoutMs?: number;
}

/**
 * Runs `name args` (an app's command) and resolves once it printed its ready line; rejects with
 * what it printed when it exits first or stays silent past the timeout (and is stopped then).
 */
export function startApp(name: string, args: readonly string[], opts: StartAppOptions): Promise<StartedApp> {
  const child = spawn(process.execPath, [appBin(name), ...args], { env: opts.env, stdio: ["ignore", "pipe", "pipe"] });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const kill = setTimeout(() => child.kill("SIGKILL"), opts.stopGraceMs);
    child.kill("SIGTERM");
    await exited;
    clearTimeout(kill);
  };
  const seen: string[] = [];
  let ready: RegExpExecArray | null = null;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`${name} printed no ready line within ${(opts.timeoutMs ?? 120_000) / 1000} s:\n${seen.join("\n")}`));
    }, opts.timeoutMs ?? 120_000);
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString().split("\n")) {
        if (line === "") continue;
        const m = ready ? null : opts.ready.exec(line);
        if (m) {
          ready = m;
          clearTimeout(timer);
          resolve({ url: m[1] ?? "", ready: m, stop });
          continue;
        }
        seen.push(line);
        opts.onLine(line);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      if (!ready) reject(new Error(`${name} exited (${signal ?? `code ${code}`}) before it was ready${seen.length ? `: ${seen.slice(-5).join(" | ")}` : ""}`));
    });
  });
}
