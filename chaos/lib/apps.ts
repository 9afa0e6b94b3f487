/** Real service processes for the fault suite: producer and approver, started like in production. */
import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "@pyfleet/testing";
import { parse, stringify } from "yaml";
import { deepMerge } from "../../bench/chaos/deep-merge.js";

const REPO = fileURLToPath(new URL("../../", import.meta.url));

export interface SpawnedApp {
  kind: "producer" | "approver";
  url: string;
  port: number;
  pid: number;
  child: ChildProcess;
  exited: Promise<number | null>;
  output(): string;
  /** Sends `signal` (default SIGKILL) and resolves when the process is gone. */
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts `apps/<kind>/src/main.ts --port <port>` (a free port unless given) and resolves once
 * `/healthz` answers 200.
 */
export async function spawnApp(kind: "producer" | "approver", env: Record<string, string>, port?: number, timeoutMs = 90_000): Promise<SpawnedApp> {
  const p = port ?? (await freePort());
  const child = spawn(process.execPath, ["--import", "tsx", join(REPO, `apps/${kind}/src/main.ts`), "--port", String(p)], {
    env,
    cwd: REPO,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const collect = (d: Buffer) => {
    out = (out + d.toString()).slice(-20_000);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const url = `http://127.0.0.1:${p}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (gone) throw new Error(`${kind} exited before it was ready:\n${out}`);
    try {
      if ((await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) })).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`${kind} not ready after ${timeoutMs} ms:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    kind,
    url,
    port: p,
    pid: child.pid as number,
    child,
    exited,
    output: () => out,
    kill(signal = "SIGKILL") {
      if (!gone) child.kill(signal);
      return exited;
    },
  };
}

/** An approver bearer token and its config entry (`approver.tokens` holds the sha256). */
export function approverToken(identity: string, roles: string[] = ["approver"]): { token: string; entry: { sha256: string; identity: string; roles: string[] } } {
  const token = `chaos-${identity}-${createHash("sha256").update(identity).digest("hex").slice(0, 24)}`;
  return { token, entry: { sha256: createHash("sha256").update(token).digest("hex"), identity, roles } };
}

/**
 * Writes config.yml with `patch` merged into `framework` (deepMerge) to a temp folder and
 * returns its path, for `PYFLEET_CONFIG`.
 */
export function chaosConfig(patch: Record<string, unknown>): string {
  const doc = parse(readFileSync(join(REPO, "config.yml"), "utf8")) as { framework: Record<string, unknown> };
  doc.framework = deepMerge(doc.framework, patch);
  const file = join(mkdtempSync(join(tmpdir(), "pyfleet-chaos-config-")), "config.yml");
  writeFileSync(file, stringify(doc));
  return file;
}
