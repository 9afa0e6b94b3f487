import { randomBytes } from "node:crypto";
import { lstat, mkdir, realpath, rename, rm, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { PyfleetError } from "@pyfleet/core";
import { inside, isInside } from "./paths.js";

const exists = (p: string): Promise<boolean> => lstat(p).then(
  () => true,
  () => false,
);

/**
 * Writes files only inside one run folder. Each write goes to a temp file that is renamed over
 * the target: a reader never sees half a file, and a symlink planted at the target is replaced
 * rather than followed. The parent folder's real path must stay inside the run folder.
 */
export class RunFolderWriter {
  private realRoot: string | undefined;

  constructor(readonly folder: string) {}

  /** Absolute path of `rel` after checking it stays inside the run folder. */
  path(rel: string): string {
    return inside(this.folder, rel);
  }

  /** Creates a folder (and parents) inside the run folder and returns its absolute path. */
  async mkdir(rel: string): Promise<string> {
    const abs = this.path(rel);
    await this.ensureDir(abs);
    return abs;
  }

  async write(rel: string, data: string | Uint8Array): Promise<string> {
    const abs = this.path(rel);
    await this.ensureDir(dirname(abs));
    const tmp = `${abs}.${randomBytes(4).toString("hex")}.tmp`;
    try {
      await writeFile(tmp, data, { flag: "wx" });
      await rename(tmp, abs);
    } catch (err) {
      // a full disk (ENOSPC) leaves part of the temp file: remove it, the target stays as it was
      await rm(tmp, { force: true });
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
    await this.checkReal(dirname(abs));
    await rm(abs, { recursive: true, force: true });
  }

  /** Creates `dir` only after its deepest existing ancestor proved to be inside the run folder. */
  private async ensureDir(dir: string): Promise<void> {
    let existing = dir;
    while (!(await exists(existing))) existing = dirname(existing);
    await this.checkReal(existing);
    await mkdir(dir, { recursive: true });
    await this.checkReal(dir);
  }

  private async checkReal(dir: string): Promise<void> {
    this.realRoot ??= await realpath(this.folder);
    const real = await realpath(dir);
    if (!isInside(this.realRoot, real)) {
      throw new PyfleetError("VALIDATION_FAILED", `refusing to write through ${dir}: it resolves outside the run folder`);
    }
  }
}
