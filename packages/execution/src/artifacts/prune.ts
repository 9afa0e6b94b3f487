import { lstat, readdir, readFile, rm, rmdir } from "node:fs/promises";
import { join } from "node:path";
import { PyfleetError } from "@pyfleet/core";
import { METADATA_FILE } from "./paths.js";

const MONTH = /^\d{4}-\d{2}$/;
const DAY_MS = 86_400_000;

export interface PruneResult {
  /** Run folders deleted. */
  removed: string[];
  /** Run folders kept (younger, still running, or without a readable metadata.json). */
  kept: number;
}

/**
 * Deletes run folders under `root` whose run finished more than `retentionDays` ago
 * (`artifacts.retention_days`). Only folders that metadata.json proves to be finished pyfleet
 * runs are touched: running runs, foreign folders and symlinks are left alone, and emptied
 * month folders are removed.
 */
export async function pruneRunFolders(root: string, retentionDays: number, now: Date = new Date()): Promise<PruneResult> {
  if (!Number.isFinite(retentionDays) || retentionDays <= 0) {
    throw new PyfleetError("VALIDATION_FAILED", `retention_days must be a positive number, not ${retentionDays}`);
  }
  const cutoff = now.getTime() - retentionDays * DAY_MS;
  const result: PruneResult = { removed: [], kept: 0 };
  const months = (await readdir(root).catch(() => [] as string[])).filter((m) => MONTH.test(m));
  for (const month of months) {
    const monthDir = join(root, month);
    if (!(await lstat(monthDir)).isDirectory()) continue;
    for (const entry of await readdir(monthDir)) {
      const dir = join(monthDir, entry);
      if (await isExpiredRun(dir, entry, cutoff)) {
        await rm(dir, { recursive: true, force: true });
        result.removed.push(dir);
      } else {
        result.kept += 1;
      }
    }
    // only succeeds when the month is empty now
    await rmdir(monthDir).catch(() => undefined);
  }
  return result;
}

async function isExpiredRun(dir: string, entry: string, cutoff: number): Promise<boolean> {
  const info = await lstat(dir).catch(() => null);
  if (!info?.isDirectory()) return false;
  const text = await readFile(join(dir, METADATA_FILE), "utf8").catch(() => null);
  if (text === null) return false;
  let meta: { run_id?: unknown; finished_at?: unknown };
  try {
    meta = JSON.parse(text) as typeof meta;
  } catch {
    return false;
  }
  if (typeof meta.run_id !== "string" || !entry.startsWith(`${meta.run_id}_`)) return false;
  if (typeof meta.finished_at !== "string") return false;
  const finished = Date.parse(meta.finished_at);
  return Number.isFinite(finished) && finished < cutoff;
}
