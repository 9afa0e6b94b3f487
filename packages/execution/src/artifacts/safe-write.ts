import { randomBytes } from "node:crypto";
import { lstatSync, mkdirSync, realpathSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, sep } from "node:path";
import { PyfleetError } from "@pyfleet/core";
import { inside, isInside } from "./paths.js";

const exists = (p: string): boolean => lstatSync(p, { throwIfNoEntry: false }) !== undefined;

/**
 * The real path of `p`, or null when it does not resolve (missing, or not a folder for `<dir>/.`).
 * libc's realpath (`.native`): the JS `realpathSync` collapses a trailing `.` and would resolve a file.
 */
const realOrNull = (p: string): string | null => {
  try {
    return realpathSync.native(p);
  } catch {
    return null;
  }
};

/** Temp-file names: a random tag per process and a counter (drawing random bytes per file costs a syscall). */
const TMP_TAG = randomBytes(6).toString("hex");
let tmpCount = 0;

/**
 * Writes files only inside one run folder. Each write goes to a temp file that is renamed over
 * the target: a reader never sees half a file, and a symlink planted at the target is replaced
 * rather than followed. The parent folder's real path must stay inside the run folder.
 *
 * A writer remembers the folders it proved to be inside, so the many files of one save cost one
 * check per folder, not one per file. Use one writer per save, while no user code runs: a folder
 * swapped for a symlink after it was checked would not be seen by the same writer.
 *
 * The file-system calls are synchronous: a run's files are a few KB each (a figure a few
 * hundred), and each asynchronous call is a round trip through libuv's thread pool (a wake-up of a
 * pool thread and a callback) costing several times the syscall itself: 0.23-0.31 ms of CPU
 * against 0.06-0.10 ms for a run folder's mkdir, realpath, two writes and renames (1,000 each,
 * load ~4). The methods stay promise-returning, so callers and the ArtifactStore port do not change.
 * On a network volume (`artifacts.root` as a ReadWriteMany volume) each call blocks the event loop
 * for its round trip to the server, ~1 ms against a lock renewed every 15 s; a hung mount stalls
 * the run either way.
 */
export class RunFolderWriter {
  private realRoot: string | undefined;
  /** Folders (absolute, as asked) this writer found, or made, existing with their real path inside. */
  private readonly folders = new Set<string>();

  constructor(readonly folder: string) {}

  /** Absolute path of `rel` after checking it stays inside the run folder. */
  path(rel: string): string {
    return inside(this.folder, rel);
  }

  /** Creates a folder (and parents) inside the run folder and returns its absolute path. */
  async mkdir(rel: string): Promise<string> {
    const abs = this.path(rel);
    this.ensureDir(abs);
    return abs;
  }

  async write(rel: string, data: string | Uint8Array): Promise<string> {
    const abs = this.path(rel);
    this.ensureDir(dirname(abs));
    const tmp = `${abs}.${TMP_TAG}${(tmpCount++).toString(36)}.tmp`;
    try {
      writeFileSync(tmp, data, { flag: "wx" });
      renameSync(tmp, abs);
    } catch (err) {
      // a full disk (ENOSPC) leaves part of the temp file: remove it, the target stays as it was
      rmSync(tmp, { force: true });
      throw err;
    }
    return abs;
  }

  async writeJson(rel: string, value: unknown): Promise<string> {
    return this.write(rel, `${JSON.stringify(value, null, 2)}\n`);
  }

  /** Removes a folder inside the run folder (used to start an attempt's figures afresh). */
  async remove(rel: string): Promise<void> {
    const abs = this.path(rel);
    this.checkReal(dirname(abs));
    rmSync(abs, { recursive: true, force: true });
    for (const dir of this.folders) if (dir === abs || dir.startsWith(`${abs}${sep}`)) this.folders.delete(dir);
  }

  /**
   * Makes sure `dir` exists as a folder with its real path inside the run folder. An existing
   * folder costs one `realpath`. A missing one is made one level at a time below the nearest folder
   * this writer knows (or the run folder, checked first), each level that already exists checked
   * before going below it, and the result checked again once made. When the run folder itself is
   * missing, the deepest existing ancestor is checked before a recursive mkdir.
   */
  private ensureDir(dir: string): void {
    if (this.isFolderInside(dir)) return;
    const base = this.knownAncestor(dir) ?? (this.isFolderInside(this.folder) ? this.folder : null);
    if (base !== null && dir.startsWith(`${base}${sep}`)) {
      let path = base;
      for (const name of dir.slice(base.length + 1).split(sep)) {
        path = `${path}${sep}${name}`;
        try {
          mkdirSync(path);
        } catch (err) {
          // a level that exists may be a symlink: it is followed only once its real path proved inside
          if ((err as NodeJS.ErrnoException).code !== "EEXIST" || !this.isFolderInside(path)) throw err;
        }
      }
    } else {
      let existing = dir;
      while (!exists(existing)) existing = dirname(existing);
      this.checkReal(existing);
      mkdirSync(dir, { recursive: true });
    }
    this.checkReal(dir);
  }

  /** The deepest folder above `dir` this writer already checked, if any. */
  private knownAncestor(dir: string): string | null {
    for (let d = dirname(dir); d !== dirname(d); d = dirname(d)) if (this.folders.has(d)) return d;
    return null;
  }

  /** @throws PyfleetError VALIDATION_FAILED unless the real path of `dir` lies inside the run folder. */
  private checkReal(dir: string): void {
    if (!this.isFolderInside(dir)) this.inside(dir, realpathSync.native(dir));
  }

  /**
   * True when `dir` is a folder whose real path lies inside (remembered for this writer's next
   * calls), false when it is missing or not a folder.
   * @throws PyfleetError VALIDATION_FAILED when it is a folder outside.
   */
  private isFolderInside(dir: string): boolean {
    if (this.folders.has(dir)) return true;
    // `<dir>/.` resolves only when dir is a folder (a file gives ENOTDIR)
    const real = realOrNull(`${dir}${sep}.`);
    if (real === null) return false;
    this.inside(dir, real);
    this.folders.add(dir);
    return true;
  }

  /** @throws PyfleetError VALIDATION_FAILED unless `real`, the real path of `dir`, lies inside the run folder's. */
  private inside(dir: string, real: string): void {
    this.realRoot ??= dir === this.folder ? real : realpathSync.native(this.folder);
    if (!isInside(this.realRoot, real)) {
      throw new PyfleetError("VALIDATION_FAILED", `refusing to write through ${dir}: it resolves outside the run folder`);
    }
  }
}
