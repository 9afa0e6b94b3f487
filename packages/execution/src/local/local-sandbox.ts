import { copyFile, lstat, mkdir, readdir, realpath, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { HARNESS_PATH } from "../harness.js";
import type { LocalOptions } from "../options.js";
import type { SandboxBind, SandboxLimits, SandboxSpec } from "../sandbox/bwrap-command.js";
import { grantToSandbox, type SandboxOptions } from "../sandbox/sandbox-process.js";

/** Where the local backend's files appear inside its sandbox. */
export const SANDBOX_ENV = {
  /** The harness folder, read-only. */
  harness: "/opt/pyfleet/harness/pyfleet_harness.py",
  /** The venv of `execution.local.python_env_path`, read-only (its host path, inside the repo, stays hidden). */
  venv: "/opt/pyfleet/venv",
  /** code.py, context.json (read-only to the code by convention) and the report; private per run. */
  scratch: "/run/pyfleet",
} as const;

/**
 * The run's private folders, owned by the sandbox's host uid: `<scratch>/run` (code, context,
 * report) and `<scratch>/work` (the code's working folder, shown inside at the attempt folder's
 * path). The scratch folder lives in the system temp folder, so bwrap (unprivileged) can reach it
 * whatever the permissions of the artifacts root; {@link copyOutWork} brings the files back.
 */
export async function prepareSandboxFolders(sandbox: SandboxOptions, scratch: string): Promise<{ run: string; work: string }> {
  const run = join(scratch, "run");
  const work = join(scratch, "work");
  await mkdir(run, { mode: 0o700 });
  await mkdir(work, { mode: 0o700 });
  for (const dir of [scratch, run, work]) await grantToSandbox(sandbox, dir);
  return { run, work };
}

/**
 * Copies what the code left in its working folder into the attempt folder: regular files and
 * folders only (a symlink to a host file or a FIFO stays behind), at most `maxBytes` in all.
 * @returns the paths (relative) that were left behind and why, for a warning.
 */
export async function copyOutWork(from: string, to: string, maxBytes: number): Promise<string[]> {
  const skipped: string[] = [];
  let budget = maxBytes;
  const walk = async (rel: string): Promise<void> => {
    for (const name of await readdir(join(from, rel))) {
      const relPath = rel ? join(rel, name) : name;
      const info = await lstat(join(from, relPath));
      if (info.isDirectory()) {
        await mkdir(join(to, relPath), { recursive: true });
        await walk(relPath);
      } else if (!info.isFile()) {
        skipped.push(`${relPath} (not a regular file)`);
      } else if (info.size > budget) {
        skipped.push(`${relPath} (over the ${maxBytes}-byte limit for files a run leaves)`);
      } else {
        budget -= info.size;
        await copyFile(join(from, relPath), join(to, relPath));
      }
    }
  };
  await walk("");
  return skipped;
}

/**
 * Folders an interpreter needs and its path inside: a venv folder (found by its `pyvenv.cfg`) is
 * shown at {@link SANDBOX_ENV.venv} (Python finds its venv from the path it was started by, so
 * `/opt/pyfleet/venv/bin/python` runs with the venv's packages and the repository path stays
 * hidden); the real interpreter's prefix is bound at its own path when it lives outside `/usr`
 * (a pyenv or /opt Python; the venv's `bin/python` symlink points there).
 */
export async function interpreterInSandbox(python: string): Promise<{ binds: SandboxBind[]; python: string }> {
  const binds: SandboxBind[] = [];
  let inside = python;
  const venv = dirname(dirname(python));
  if ((await stat(`${venv}/pyvenv.cfg`).catch(() => null))?.isFile()) {
    binds.push({ src: venv, dest: SANDBOX_ENV.venv });
    inside = join(SANDBOX_ENV.venv, "bin", basename(python));
  }
  const real = await realpath(python);
  if (!real.startsWith("/usr/")) binds.push({ src: dirname(dirname(real)) });
  return { binds, python: inside };
}

/** The sandbox of one local run: the attempt folder (same path inside, writable), scratch, harness, interpreter. */
export async function localSandboxSpec(input: {
  python: string;
  folders: { run: string; work: string };
  workDir: string;
  argv: string[];
  local: LocalOptions;
  sandbox: SandboxOptions;
}): Promise<Omit<SandboxSpec, "infoFd" | "blockFd">> {
  const { local, sandbox } = input;
  const interpreter = await interpreterInSandbox(input.python);
  return {
    argv: input.argv.map((a, i) => (i === 0 && a === input.python ? interpreter.python : a)),
    cwd: input.workDir,
    binds: [
      ...interpreter.binds,
      { src: dirname(HARNESS_PATH), dest: dirname(SANDBOX_ENV.harness) },
      { src: input.folders.run, dest: SANDBOX_ENV.scratch, writable: true },
      { src: input.folders.work, dest: input.workDir, writable: true },
    ],
    limits: sandboxLimits(local, sandbox),
  };
}

/** The rlimits and tmpfs size of a sandboxed run (or fork server) from the executor's settings. */
export function sandboxLimits(local: LocalOptions, sandbox: SandboxOptions): SandboxLimits {
  return {
    maxProcesses: sandbox.max_processes,
    memoryMb: local.memory_limit_mb,
    cpuSeconds: local.cpu_seconds,
    maxFileMb: sandbox.max_file_mb,
    maxOpenFiles: local.max_open_files,
    tmpMb: sandbox.tmp_mb,
  };
}
