import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { chown, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable, Writable } from "node:stream";
import { type PyfleetConfig, PyfleetError } from "@pyfleet/core";
import { type BindRelay, relayedCommand } from "./bind-relay.js";
import { buildBwrapArgs, type SandboxSpec } from "./bwrap-command.js";

/** How sandboxes are started on this host (`execution.sandbox` in config.yml). */
export type SandboxOptions = PyfleetConfig["execution"]["sandbox"];

/** The host uid/gid a sandbox runs as: `run_as` when we are root, else ourselves. */
export function sandboxHostIds(options: SandboxOptions): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const m = /^(\d+):(\d+)$/.exec(options.run_as);
  if (!m) throw new PyfleetError("BACKEND_MISCONFIGURED", `execution.sandbox.run_as "${options.run_as}" is not uid:gid (e.g. 65534:65534)`);
  return { uid: Number(m[1]), gid: Number(m[2]) };
}

/** Makes a host folder writable for the sandbox's host uid (a no-op when we are not root). */
export async function grantToSandbox(options: SandboxOptions, path: string): Promise<void> {
  const ids = sandboxHostIds(options);
  if (ids) await chown(path, ids.uid, ids.gid);
}

let etcDir: string | undefined;

/**
 * `/etc/passwd` and `/etc/group` naming only the sandbox's user (uid 65534): libraries that look
 * the user up (getpass, caproto's client name) work, and the host's account list stays outside.
 */
export function sandboxEtcBinds(): { src: string; dest: string }[] {
  if (!etcDir) {
    etcDir = mkdtempSync(join(tmpdir(), "pyfleet-sandbox-etc-"));
    chmodSync(etcDir, 0o755);
    writeFileSync(join(etcDir, "passwd"), "nobody:x:65534:65534:pyfleet sandbox:/tmp:/usr/sbin/nologin\n", { mode: 0o644 });
    writeFileSync(join(etcDir, "group"), "nogroup:x:65534:\n", { mode: 0o644 });
    writeFileSync(join(etcDir, "hosts"), "127.0.0.1 localhost\n", { mode: 0o644 });
  }
  const dir = etcDir;
  return ["passwd", "group", "hosts"].map((f) => ({ src: join(dir, f), dest: `/etc/${f}` }));
}

/** A started sandbox: the bwrap process, and the host pid of the contained command once known. */
export interface SandboxedProcess {
  child: ChildProcess;
  /** Host pid of the command (pid 1 of the sandbox); its `/proc/<pid>/ns/net` is the sandbox's network. */
  commandPid: Promise<number>;
  /** Lets the command start (only when started with `hold: true`). Idempotent. */
  release(): void;
}

export interface SpawnSandboxedInput {
  spec: Omit<SandboxSpec, "infoFd" | "blockFd">;
  /** The complete environment of the contained process (already allow-listed). */
  env: Record<string, string>;
  /** Wait for {@link SandboxedProcess.release} before the command starts (to attach the CA gate). */
  hold?: boolean;
  /** Bind sources the sandbox's uid cannot reach, already replaced in `spec.binds` (`relayUnreachable`). */
  relays?: readonly BindRelay[];
}

/**
 * Starts `spec.argv` inside bubblewrap in its own process group (kill `-child.pid` to stop bwrap;
 * `--die-with-parent` then takes the whole sandbox down). stdout/stderr are pipes.
 * @throws PyfleetError `BACKEND_MISCONFIGURED` when `run_as` is malformed.
 */
export function spawnSandboxed(options: SandboxOptions, input: SpawnSandboxedInput): SandboxedProcess {
  const ids = sandboxHostIds(options);
  const spec = { ...input.spec, binds: [...sandboxEtcBinds(), ...input.spec.binds] };
  const args = buildBwrapArgs({ ...spec, infoFd: 3, ...(input.hold ? { blockFd: 4 } : {}) });
  const command = relayedCommand(options.bwrap_path, args, input.relays ?? [], ids);
  const child = spawn(command.file, command.args, {
    env: input.env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe", "pipe", input.hold ? "pipe" : "ignore"],
    ...(command.ids ?? {}),
  });
  const info = child.stdio[3] as Readable;
  const block = child.stdio[4] as Writable | null;
  const commandPid = readChildPid(info);
  commandPid.catch(() => undefined);
  let released = !input.hold;
  return {
    child,
    commandPid,
    release() {
      if (released) return;
      released = true;
      block?.on("error", () => undefined);
      block?.end("1");
    },
  };
}

/**
 * Host pid of the command bubblewrap started (pid 1 of the sandbox; its `/proc/<pid>/ns/net` is
 * the sandbox's network): bwrap's only child. For launchers that do not read bwrap's info fd.
 * @throws PyfleetError `BACKEND_UNAVAILABLE` when bwrap has no child (it exited).
 */
export async function sandboxCommandPid(bwrapPid: number | undefined): Promise<number> {
  const text = bwrapPid === undefined ? "" : await readFile(`/proc/${bwrapPid}/task/${bwrapPid}/children`, "utf8").catch(() => "");
  const pids = text.split(/\s+/).filter(Boolean).map(Number);
  if (pids.length !== 1 || !Number.isInteger(pids[0])) {
    throw new PyfleetError("BACKEND_UNAVAILABLE", `bubblewrap (pid ${bwrapPid}) has ${pids.length} children, not the one sandboxed command`);
  }
  return pids[0] as number;
}

/** bwrap writes `{ "child-pid": N, ... }` to its info fd once the namespaces exist. */
function readChildPid(info: Readable): Promise<number> {
  return new Promise((resolve, reject) => {
    let text = "";
    info.setEncoding("utf8");
    info.on("data", (chunk: string) => {
      text += chunk;
      const m = /"child-pid"\s*:\s*(\d+)/.exec(text);
      if (m) resolve(Number(m[1]));
    });
    info.on("error", reject);
    info.on("close", () => reject(new PyfleetError("BACKEND_UNAVAILABLE", `bubblewrap exited before it started the sandbox`)));
  });
}
