import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PythonExecutionRequestSchema } from "@pyfleet/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FileArtifactStore } from "./file-artifact-store.js";
import { pruneRunFolders } from "./prune.js";

let root: string;
let outside: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "pyfleet-prune-"));
  outside = await mkdtemp(join(tmpdir(), "pyfleet-prune-out-"));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

const request = PythonExecutionRequestSchema.parse({ user_query: "q", task_objective: "t" });

async function run(runId: string, createdAt: string, finishedAt: string | null): Promise<string> {
  const store = new FileArtifactStore({ root, clock: { now: () => new Date(finishedAt ?? createdAt) } });
  const folder = await store.initRun({ runId, request, createdAt });
  if (finishedAt) await store.saveFinal({ folder, request, attempt: null, status: "completed", errorChain: [] });
  return folder.folderPath;
}

describe("pruneRunFolders", () => {
  it("deletes only finished runs older than the retention, never running or foreign folders", async () => {
    const old = await run("old", "2026-09-01T00:00:00Z", "2026-09-01T00:01:00Z");
    const recent = await run("recent", "2026-11-20T00:00:00Z", "2026-11-20T00:01:00Z");
    const running = await run("running", "2026-09-02T00:00:00Z", null);
    const foreign = join(root, "2026-09", "notes");
    await mkdir(foreign);
    await writeFile(join(foreign, "metadata.json"), JSON.stringify({ run_id: "x", finished_at: "2020-01-01T00:00:00Z" }));
    await writeFile(join(outside, "metadata.json"), JSON.stringify({ run_id: "link", finished_at: "2020-01-01T00:00:00Z" }));
    await symlink(outside, join(root, "2026-09", "link_python_capability"));

    const result = await pruneRunFolders(root, 30, new Date("2026-11-26T00:00:00Z"));
    expect(result.removed).toEqual([old]);
    expect(result.kept).toBe(4);
    expect(existsSync(old)).toBe(false);
    for (const kept of [recent, running, foreign]) expect(existsSync(kept)).toBe(true);
    expect(await readdir(outside)).toEqual(["metadata.json"]);
  });

  it("removes month folders it empties and refuses a non-positive retention", async () => {
    await run("a", "2026-08-01T00:00:00Z", "2026-08-01T00:00:00Z");
    await pruneRunFolders(root, 1, new Date("2026-11-26T00:00:00Z"));
    expect(await readdir(root)).toEqual([]);
    await expect(pruneRunFolders(root, 0)).rejects.toMatchObject({ code: "VALIDATION_FAILED" });
  });
});
