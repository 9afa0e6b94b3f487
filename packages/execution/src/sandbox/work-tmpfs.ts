import { execFile } from "node:child_process";
import { lstat, readFile, rm, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { type Logger, PyfleetError, silentLogger } from "@pyfleet/core";

const run = promisify(execFile);

/** Undoes {@link mountWorkTmpfs}. */
export type Unmount = () => Promise<void>;

/** The mount source of every work tmpfs (how the sweep recognises them in /proc/self/mountinfo). */
const SOURCE = "pyfleet-work";
/** Beside a mounted folder: who mounted it, and what to remove once that process is gone. */
const OWNER_SUFFIX = ".pyfleet-owner";

interface OwnerMarker {
  pid: number;
  /** The owner's start time (/proc/<pid>/stat field 22): a reused pid is not the owner. */
  start: string;
  /** The folder holding the mount, removed after a sweep unmounts it. */
  remove: string;
}

/**
 * The total disk cap of a sandbox (docs/security.md §2.1): mounts a tmpfs of `sizeMb` at the host
 * folder that is the code's working folder, so everything the code writes there (however many
 * files; RLIMIT_FSIZE caps only each one) counts against one size, and a full folder is ENOSPC
 * for the code, not a full host disk. Mounted on the host (not inside bubblewrap) because the
 * executor copies the files out after the sandbox is gone.
 *
 * A host mount outlives an executor killed before it unmounts (SIGKILL, OOM): the mount is
 * marked with its owner (`<path>.pyfleet-owner`: pid and start time), and the first mount of
 * every process first sweeps the marked mounts whose owner is gone ({@link sweepStaleWorkMounts}).
 * @param remove the folder that holds `path`, removed with a stale mount (default `path`).
 * @returns how to unmount it; undefined when this process is not root (no mount: no cap, the
 *   operator's quota is the limit then).
 * @throws PyfleetError `BACKEND_UNAVAILABLE` when root cannot mount it.
 */
export async function mountWorkTmpfs(
  path: string,
  sizeMb: number,
  owner: { uid: number; gid: number } | undefined,
  options: { mode?: "0700" | "0711"; remove?: string; logger?: Logger } = {},
): Promise<Unmount | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  sweeping ??= sweepStaleWorkMounts(options.logger).catch((err: unknown) => {
    (options.logger ?? silentLogger()).warn({ err: String(err) }, "sweeping stale work mounts failed");
    return [];
  });
  await sweeping;
  const marker: OwnerMarker = { pid: process.pid, start: await startTime(process.pid), remove: options.remove ?? path };
  // the marker first: a mount is never without its owner, so a sweep can always judge it
  await writeFile(`${path}${OWNER_SUFFIX}`, JSON.stringify(marker), { mode: 0o600 });
  const opts = [`size=${sizeMb}m`, `mode=${options.mode ?? "0700"}`, "nosuid", "nodev", ...(owner ? [`uid=${owner.uid}`, `gid=${owner.gid}`] : [])];
  await run("/usr/bin/mount", ["-t", "tmpfs", "-o", opts.join(","), SOURCE, path]).catch((err: unknown) => {
    throw new PyfleetError("BACKEND_UNAVAILABLE", `cannot mount the sandbox's ${sizeMb} MiB work folder at ${path}: ${String(err)}`, { cause: err });
  });
  let done: Promise<void> | undefined;
  return () => {
    // lazy: a process of the code that is still dying must not keep the mount (and its memory) alive
    done ??= run("/usr/bin/umount", ["-l", path]).then(
      () => rm(`${path}${OWNER_SUFFIX}`, { force: true }),
      () => undefined,
    );
    return done;
  };
}

let sweeping: Promise<string[]> | undefined;

/**
 * Unmounts (lazily) every work tmpfs whose marker names a process that is gone (or a pid now
 * used by another process), and removes the folder that held it. Mounts without a marker are
 * left alone: they may belong to a live executor of an older version.
 * @returns the mount points it removed.
 */
export async function sweepStaleWorkMounts(logger: Logger = silentLogger()): Promise<string[]> {
  if (process.getuid?.() !== 0) return [];
  const swept: string[] = [];
  for (const point of await workMountPoints()) {
    const marker = await readMarker(point);
    if (!marker || (await startTime(marker.pid).catch(() => "")) === marker.start) continue;
    await run("/usr/bin/umount", ["-l", point]);
    await rm(`${point}${OWNER_SUFFIX}`, { force: true });
    await rm(marker.remove, { recursive: true, force: true });
    logger.warn({ mount: point, ownerPid: marker.pid }, "removed the work tmpfs of an executor that died without unmounting it");
    swept.push(point);
  }
  return swept;
}

/** Mount points of work tmpfs mounts in this process's mount namespace. */
export async function workMountPoints(): Promise<string[]> {
  const info = await readFile("/proc/self/mountinfo", "utf8");
  const points: string[] = [];
  for (const line of info.split("\n")) {
    // "id parent major:minor root mountpoint options [optional...] - fstype source superoptions"
    const [left, right] = line.split(" - ");
    const [fstype, source] = (right ?? "").split(" ");
    const point = left?.split(" ")[4];
    if (fstype === "tmpfs" && source === SOURCE && point) points.push(point.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8))));
  }
  return points;
}

/**
 * The mount's marker, trusted only when this uid wrote it (the folder holding a local run's mount
 * belongs to the sandbox uid, which the CA gate also runs as) and when what it would remove is a
 * folder holding the mount, never more.
 */
async function readMarker(point: string): Promise<OwnerMarker | undefined> {
  const path = `${point}${OWNER_SUFFIX}`;
  try {
    const info = await lstat(path);
    if (!info.isFile() || info.uid !== process.getuid?.()) return undefined;
    const m = JSON.parse(await readFile(path, "utf8")) as Partial<OwnerMarker>;
    if (typeof m.pid !== "number" || typeof m.start !== "string" || typeof m.remove !== "string") return undefined;
    const remove = resolve(m.remove);
    if (remove.split("/").length < 3 || (remove !== point && !point.startsWith(`${remove}/`))) return undefined;
    return { ...(m as OwnerMarker), remove };
  } catch {
    // no marker (or not ours): leave the mount alone
  }
  return undefined;
}

async function startTime(pid: number): Promise<string> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  // fields after "(comm)"; comm may hold spaces and parentheses. starttime is field 22 overall.
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return rest[19] ?? "";
}
