import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { PyfleetError } from "@pyfleet/core";

const run = promisify(execFile);

/** Undoes {@link mountWorkTmpfs}. */
export type Unmount = () => Promise<void>;

/**
 * The total disk cap of a sandbox (docs/security.md §2.1): mounts a tmpfs of `sizeMb` at the host
 * folder that is the code's working folder, so everything the code writes there (however many
 * files; RLIMIT_FSIZE caps only each one) counts against one size, and a full folder is ENOSPC
 * for the code, not a full host disk. Mounted on the host (not inside bubblewrap) because the
 * executor copies the files out after the sandbox is gone.
 * @returns how to unmount it; undefined when this process is not root (no mount: no cap, the
 *   operator's quota is the limit then).
 * @throws PyfleetError `BACKEND_UNAVAILABLE` when root cannot mount it.
 */
export async function mountWorkTmpfs(
  path: string,
  sizeMb: number,
  owner: { uid: number; gid: number } | undefined,
  mode: "0700" | "0711" = "0700",
): Promise<Unmount | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const opts = [`size=${sizeMb}m`, `mode=${mode}`, "nosuid", "nodev", ...(owner ? [`uid=${owner.uid}`, `gid=${owner.gid}`] : [])];
  await run("/usr/bin/mount", ["-t", "tmpfs", "-o", opts.join(","), "pyfleet-work", path]).catch((err: unknown) => {
    throw new PyfleetError("BACKEND_UNAVAILABLE", `cannot mount the sandbox's ${sizeMb} MiB work folder at ${path}: ${String(err)}`, { cause: err });
  });
  let done: Promise<void> | undefined;
  return () => {
    // lazy: a process of the code that is still dying must not keep the mount (and its memory) alive
    done ??= run("/usr/bin/umount", ["-l", path]).then(
      () => undefined,
      () => undefined,
    );
    return done;
  };
}
