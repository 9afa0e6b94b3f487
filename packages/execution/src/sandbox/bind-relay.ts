import { chmodSync, mkdtempSync } from "node:fs";
import { mkdir, realpath, rmdir, stat, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { SandboxBind } from "./bwrap-command.js";

/** Host uid/gid a sandbox runs as (see `sandboxHostIds`). */
export interface HostIds {
  uid: number;
  gid: number;
}

/** A bind source the sandbox's host uid cannot reach, and the empty entry it is mounted on for bwrap. */
export interface BindRelay {
  src: string;
  via: string;
  writable: boolean;
}

/** What to spawn: bwrap itself as the sandbox's uid, or a private mount namespace that relays to it. */
export interface RelayedCommand {
  file: string;
  args: string[];
  /** Set when the command itself must start as the sandbox's uid (no relay needed). */
  ids?: HostIds;
}

/**
 * Mounts the relays (read-only unless marked rw) in the private mount namespace `unshare` made,
 * then drops to the sandbox's uid/gid with no supplementary groups and becomes the command.
 * Arguments: uid gid count, then count triples (ro|rw source target), then the command.
 */
const RELAY_SCRIPT = [
  'uid=$1 gid=$2 n=$3; shift 3',
  'while [ "$n" -gt 0 ]; do /usr/bin/mount --bind -o "$1" "$2" "$3"; shift 3; n=$((n - 1)); done',
  'exec /usr/bin/setpriv --reuid="$uid" --regid="$gid" --clear-groups -- "$@"',
].join("\n");

/**
 * The empty entries relayed sources are mounted on (one per source, in a root-owned 0755 folder
 * made on first use), owned by one executor or gate: {@link remove} when its sandboxes are gone.
 */
export class RelayFolder {
  private root: string | undefined;
  private readonly entries = new Map<string, { via: string; dir: boolean }>();

  /** The folder, once an entry was made (for tests and diagnostics). */
  get path(): string | undefined {
    return this.root;
  }

  /** An empty folder (or file, for a file source) to mount `src` on, one per source. */
  async entry(src: string): Promise<string> {
    const known = this.entries.get(src);
    if (known) return known.via;
    if (!this.root) {
      this.root = mkdtempSync(join(tmpdir(), "pyfleet-relay-"));
      chmodSync(this.root, 0o755);
    }
    const via = join(this.root, String(this.entries.size));
    const dir = (await stat(src)).isDirectory();
    if (dir) await mkdir(via, { mode: 0o755 });
    else await writeFile(via, "", { mode: 0o644 });
    this.entries.set(src, { via, dir });
    return via;
  }

  /**
   * Removes the entries and the folder, one `rmdir`/`unlink` each and never recursively: an entry
   * is only ever mounted on inside a sandbox's private mount namespace, but were one mounted on the
   * host, a recursive removal would delete the relayed venv through it. Idempotent; a later
   * {@link entry} makes a new folder.
   */
  async remove(): Promise<void> {
    const root = this.root;
    const entries = [...this.entries.values()];
    this.root = undefined;
    this.entries.clear();
    if (!root) return;
    await Promise.all(entries.map((e) => (e.dir ? rmdir(e.via) : unlink(e.via)).catch(() => undefined)));
    await rmdir(root).catch(() => undefined);
  }
}

/**
 * bwrap resolves its bind sources as the uid it runs as, and when the executor is root that is the
 * sandbox's host uid (`execution.sandbox.run_as`): a source below a folder that uid may not search
 * (a checkout under /root, or in a 0700 folder as `mktemp -d` makes them) fails with "Can't find
 * source path: Permission denied". Such sources are relayed: root mounts each on an empty entry of a
 * root-owned 0755 folder inside a private mount namespace made for that one sandbox (see
 * {@link relayedCommand}), and bwrap binds it from there. Nothing is mounted on the host, no folder
 * is opened to other users, and reachable sources are bound as before.
 * @param ids the sandbox's host ids; undefined (the executor is not root): nothing to relay.
 * @param folder where the entries are made (the caller removes it when its sandboxes are gone).
 */
export async function relayUnreachable(
  binds: readonly SandboxBind[],
  ids: HostIds | undefined,
  folder: RelayFolder,
): Promise<{ binds: SandboxBind[]; relays: BindRelay[] }> {
  const relays: BindRelay[] = [];
  if (!ids) return { binds: [...binds], relays };
  const out: SandboxBind[] = [];
  for (const bind of binds) {
    if (await reachableBy(bind.src, ids)) {
      out.push(bind);
      continue;
    }
    const via = await folder.entry(bind.src);
    relays.push({ src: bind.src, via, writable: bind.writable ?? false });
    out.push({ ...bind, src: via, dest: bind.dest ?? bind.src });
  }
  return { binds: out, relays };
}

/**
 * The command that starts `file args` as the sandbox's uid: directly (spawn it with `ids`) when
 * nothing is relayed, else through `unshare --mount` (as root) that mounts the relays and then
 * drops to the sandbox's uid with `setpriv` before it becomes `file`: the same process (each step
 * execs the next), so its pid, process group and parent are bwrap's.
 */
export function relayedCommand(file: string, args: readonly string[], relays: readonly BindRelay[], ids: HostIds | undefined): RelayedCommand {
  if (relays.length === 0 || !ids) return { file, args: [...args], ...(ids ? { ids } : {}) };
  const triples = relays.flatMap((r) => [r.writable ? "rw" : "ro", r.src, r.via]);
  return {
    file: "/usr/bin/unshare",
    args: ["--mount", "--propagation", "private", "--", "/bin/sh", "-euc", RELAY_SCRIPT, "pyfleet-relay", String(ids.uid), String(ids.gid), String(relays.length), ...triples, file, ...args],
  };
}

/**
 * Whether `ids` may search every folder above `path` (as written and as resolved), by the mode
 * bits (ACLs are not read: a folder they open is relayed all the same, which also works). A
 * missing folder counts as reachable: bwrap reports it as it always did.
 */
export async function reachableBy(path: string, ids: HostIds): Promise<boolean> {
  const real = await realpath(path).catch(() => path);
  for (const start of new Set([path, real])) {
    for (let dir = dirname(start); ; dir = dirname(dir)) {
      const info = await stat(dir).catch(() => null);
      if (info && !maySearch(info, ids)) return false;
      if (dir === "/" || dir === ".") break;
    }
  }
  return true;
}

function maySearch(info: { uid: number; gid: number; mode: number }, ids: HostIds): boolean {
  if (info.uid === ids.uid) return (info.mode & 0o100) !== 0;
  if (info.gid === ids.gid) return (info.mode & 0o010) !== 0;
  return (info.mode & 0o001) !== 0;
}
