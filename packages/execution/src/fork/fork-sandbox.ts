import { spawn } from "node:child_process";
import { chownSync, mkdirSync, rmdirSync } from "node:fs";
import { chmod, mkdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { LocalOptions } from "../options.js";
import { interpreterInSandbox, sandboxLimits } from "../local/local-sandbox.js";
import { type RelayFolder, relayedCommand, relayUnreachable } from "../sandbox/bind-relay.js";
import { buildBwrapArgs } from "../sandbox/bwrap-command.js";
import { grantToSandbox, type SandboxOptions, sandboxEtcBinds, sandboxHostIds } from "../sandbox/sandbox-process.js";
import { FORKSERVER_PATH, type ForkParentLauncher } from "./spawn-fork-parent.js";

/** Where the fork server's files appear inside its sandbox. */
export const FORK_SANDBOX_PATHS = {
  /** The harness folder (fork server and harness), read-only. */
  harness: "/opt/pyfleet/harness",
  /** The folder holding the children's Unix socket, read-only (connecting needs no write access to it). */
  sock: "/run/pyfleet/sock",
  /** Root of the runs' working folders: one private folder per run below it. */
  work: "/run/pyfleet/work",
} as const;

/** Host folders of one fork server: the socket folder and the root of the run folders. */
export interface ForkFolders {
  root: string;
  sock: string;
  work: string;
}

/**
 * Lays out `<root>/sock` and `<root>/work` for a sandboxed parent: both root-owned and only
 * traversable (0711) by the sandbox's uid, so a run can neither list the other runs' folders nor
 * replace the socket; each run gets a 0700 folder of its own ({@link makeRunFolder}).
 */
export async function prepareForkFolders(root: string): Promise<ForkFolders> {
  const folders = { root, sock: join(root, "sock"), work: join(root, "work") };
  for (const dir of [folders.sock, folders.work]) await mkdir(dir, { mode: 0o711 });
  await chmod(root, 0o711);
  return folders;
}

/** Lets the sandbox's uid connect to the socket the hub listens on. */
export async function grantSocket(sandbox: SandboxOptions, socketPath: string): Promise<void> {
  if (sandboxHostIds(sandbox)) await grantToSandbox(sandbox, socketPath);
  else await chmod(socketPath, 0o600);
}

/**
 * A run's private working folder: its host path, and its path inside the sandbox. Made with sync
 * calls: the folder lives in this executor's own tmpfs (or the system temp folder when it is not
 * root), where `mkdir` and `chown` take microseconds, while each async call is a round trip
 * through libuv's thread pool on the run's path.
 */
export function makeRunFolder(sandbox: SandboxOptions, folders: ForkFolders, name: string): { host: string; inside: string } {
  const host = join(folders.work, name);
  mkdirSync(host, { mode: 0o700 });
  const ids = sandboxHostIds(sandbox);
  if (ids) chownSync(host, ids.uid, ids.gid);
  return { host, inside: `${FORK_SANDBOX_PATHS.work}/${name}` };
}

/**
 * Removes a run's folder when the code left nothing in it (most runs), in one sync `rmdir` (see
 * {@link makeRunFolder}). False when it holds files: copy them out, then {@link removeRunFolder}.
 */
export function removeRunFolderIfEmpty(host: string): boolean {
  try {
    rmdirSync(host);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOTEMPTY" || (err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  }
}

/** Removes a run's folder after its files were copied out. */
export async function removeRunFolder(host: string): Promise<void> {
  await rm(host, { recursive: true, force: true });
}

/**
 * A launcher that starts the fork-server parent inside bubblewrap (the same command builder as the
 * local backend: own user, PID, network and IPC namespaces, empty read-only root, limits by
 * `prlimit`, `--die-with-parent`). The parent is pid 1 of its namespace: its children cannot
 * signal it, and when it exits the kernel kills everything left inside. Its stdin/stdout stay the
 * protocol channel; children reach the executor through the socket folder bound read-only.
 */
export async function sandboxedForkLauncher(input: {
  python: string;
  sandbox: SandboxOptions;
  local: LocalOptions;
  folders: ForkFolders;
  /** Where unreachable bind sources are relayed from (the executor removes it at close). */
  relays: RelayFolder;
}): Promise<{ launch: ForkParentLauncher; socketInside: string }> {
  const { sandbox, local, folders } = input;
  const interpreter = await interpreterInSandbox(input.python);
  const ids = sandboxHostIds(sandbox);
  const socketInside = `${FORK_SANDBOX_PATHS.sock}/children.sock`;
  const forkserver = `${FORK_SANDBOX_PATHS.harness}/pyfleet_forkserver.py`;
  // a venv or harness the sandbox's uid cannot reach (a checkout under /root) is relayed
  const { binds, relays } = await relayUnreachable(
    [
      ...sandboxEtcBinds(),
      ...interpreter.binds,
      { src: dirname(FORKSERVER_PATH), dest: FORK_SANDBOX_PATHS.harness },
      { src: folders.sock, dest: FORK_SANDBOX_PATHS.sock },
      { src: folders.work, dest: FORK_SANDBOX_PATHS.work, writable: true },
    ],
    ids,
    input.relays,
  );
  const launch: ForkParentLauncher = (spec) => {
    // the spec names host paths; inside, the interpreter, the fork server and the socket move
    const args = spec.args.map((a) => (a === FORKSERVER_PATH ? forkserver : a === spec.socketPath ? socketInside : a));
    const bwrapArgs = buildBwrapArgs({ argv: [interpreter.python, ...args], cwd: "/tmp", binds, limits: sandboxLimits(local, sandbox) });
    const env = { ...spec.env, HOME: "/tmp", MPLCONFIGDIR: "/tmp/.mpl" };
    const command = relayedCommand(sandbox.bwrap_path, bwrapArgs, relays, ids);
    return spawn(command.file, command.args, { env, detached: true, stdio: ["pipe", "pipe", "pipe"], ...(command.ids ?? {}) });
  };
  return { launch, socketInside };
}
