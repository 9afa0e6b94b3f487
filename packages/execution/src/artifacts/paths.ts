import { lstat, readdir, readFile, realpath, stat } from "node:fs/promises";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { ID_PATTERN_TEXT, isValidId, PyfleetError } from "@pyfleet/core";

const FOLDER_NAME = /^[A-Za-z0-9_.-]{1,80}$/;
const MONTH = /^\d{4}-\d{2}$/;

/** @throws PyfleetError VALIDATION_FAILED unless `runId` is a safe single path segment. */
export function checkRunId(runId: string): string {
  if (!isValidId(runId)) {
    throw new PyfleetError("VALIDATION_FAILED", `run id ${JSON.stringify(runId)} is not a valid id`, {
      issues: [{ path: "runId", message: `must match ${ID_PATTERN_TEXT}` }],
    });
  }
  return runId;
}

/** @throws PyfleetError VALIDATION_FAILED unless `name` is a safe execution_folder_name. */
export function checkFolderName(name: string): string {
  if (!FOLDER_NAME.test(name) || name === "." || name === "..") {
    throw new PyfleetError("VALIDATION_FAILED", `execution_folder_name ${JSON.stringify(name)} is not a safe folder name`, {
      issues: [{ path: "execution_folder_name", message: "letters, digits, '_', '.', '-' (1-80 chars), not '.' or '..'" }],
    });
  }
  return name;
}

/** `YYYY-MM` (UTC) of an ISO timestamp. */
export function monthOf(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) throw new PyfleetError("VALIDATION_FAILED", `createdAt ${JSON.stringify(iso)} is not a timestamp`);
  return d.toISOString().slice(0, 7);
}

/** `01`, `02`, ... `99`, `100`: the attempt's folder name (sorts well up to 99 attempts). */
export function attemptFolderName(attempt: number): string {
  if (!Number.isInteger(attempt) || attempt < 1 || attempt > 9999) {
    throw new PyfleetError("VALIDATION_FAILED", `attempt ${attempt} is not a positive integer`);
  }
  return String(attempt).padStart(2, "0");
}

/** True when `child` is `parent` or lies inside it (lexically). */
export function isInside(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel));
}

/**
 * The absolute path of `relPath` inside `baseDir`, for writing.
 * @throws PyfleetError VALIDATION_FAILED for absolute paths, `..` segments or NUL bytes.
 */
export function inside(baseDir: string, relPath: string): string {
  if (relPath === "" || isAbsolute(relPath) || relPath.includes("\0") || relPath.split(/[\\/]/).includes("..")) {
    throw new PyfleetError("VALIDATION_FAILED", `artifact path ${JSON.stringify(relPath)} must be relative and stay inside the run folder`, {
      issues: [{ path: "path", message: "relative, without '..'" }],
    });
  }
  const abs = resolve(baseDir, relPath);
  if (!isInside(resolve(baseDir), abs)) throw new PyfleetError("VALIDATION_FAILED", `artifact path ${relPath} leaves the run folder`);
  return abs;
}

/**
 * Resolves a file of a run folder for reading (the producer API serves artifacts with it).
 * Symlinks are followed only when their target stays inside the run folder.
 * @throws PyfleetError VALIDATION_FAILED for traversal attempts, NOT_FOUND when missing or not a
 *   regular file (a folder).
 */
export async function resolveArtifact(runFolder: string, relPath: string): Promise<string> {
  const candidate = inside(runFolder, relPath);
  const realRoot = await realpath(runFolder).catch(() => {
    throw new PyfleetError("NOT_FOUND", `run folder ${runFolder} does not exist`);
  });
  const real = await realpath(candidate).catch(() => {
    throw new PyfleetError("NOT_FOUND", `artifact ${relPath} does not exist`);
  });
  if (!isInside(realRoot, real)) {
    throw new PyfleetError("VALIDATION_FAILED", `artifact ${relPath} points outside the run folder`, {
      issues: [{ path: "path", message: "resolves outside the run folder" }],
    });
  }
  if (!(await stat(real)).isFile()) throw new PyfleetError("NOT_FOUND", `artifact ${relPath} is not a file`);
  return real;
}

/** Metadata file each run folder holds from its creation (status `running`) to the end. */
export const METADATA_FILE = "metadata.json";

/**
 * The folder of a run under `root` (`<root>/<YYYY-MM>/<runId>_<name>/`), newest month first, or
 * null. The run id is confirmed from metadata.json, so `abc` never matches the folder of `abc_def`.
 */
export async function findRunFolder(root: string, runId: string): Promise<string | null> {
  checkRunId(runId);
  const months = (await readdir(root).catch(() => [] as string[])).filter((m) => MONTH.test(m)).sort().reverse();
  for (const month of months) {
    const entries = await readdir(join(root, month)).catch(() => [] as string[]);
    for (const entry of entries.filter((e) => e.startsWith(`${runId}_`))) {
      const dir = join(root, month, entry);
      if (!(await lstat(dir)).isDirectory()) continue;
      const meta = await readFile(join(dir, METADATA_FILE), "utf8").catch(() => null);
      if (meta === null) continue;
      try {
        if ((JSON.parse(meta) as { run_id?: unknown }).run_id === runId) return dir;
      } catch {
        // a half-written or foreign metadata.json: not this run's folder
      }
    }
  }
  return null;
}
