import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isPyfleetError } from "@pyfleet/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RunFolderWriter } from "./safe-write.js";

let folder: string;
let outside: string;

beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), "pyfleet-writer-"));
  outside = await mkdtemp(join(tmpdir(), "pyfleet-writer-outside-"));
});
afterEach(async () => {
  await rm(folder, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

async function errorOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "none";
  } catch (err) {
    return isPyfleetError(err) ? err.code : ((err as NodeJS.ErrnoException).code ?? "unknown");
  }
}

describe("RunFolderWriter", () => {
  it("writes many files into one folder and reads back each one whole", async () => {
    const w = new RunFolderWriter(folder);
    for (let i = 0; i < 20; i++) await w.writeJson(join("attempts", "01", `f${i}.json`), { i });
    await w.write("top.txt", "top");
    const names = await readdir(join(folder, "attempts", "01"));
    expect(names.sort()).toEqual(Array.from({ length: 20 }, (_, i) => `f${i}.json`).sort());
    expect(JSON.parse(await readFile(join(folder, "attempts", "01", "f7.json"), "utf8"))).toEqual({ i: 7 });
    expect(await readFile(join(folder, "top.txt"), "utf8")).toBe("top");
  });

  it("refuses a folder that is a symlink leading out, for mkdir and for files, and writes nothing outside", async () => {
    await symlink(outside, join(folder, "attempts"));
    const w = new RunFolderWriter(folder);
    expect(await errorOf(w.mkdir("attempts"))).toBe("VALIDATION_FAILED");
    expect(await errorOf(w.mkdir(join("attempts", "01")))).toBe("VALIDATION_FAILED");
    expect(await errorOf(w.write(join("attempts", "code.py"), "x"))).toBe("VALIDATION_FAILED");
    expect(await readdir(outside)).toEqual([]);
  });

  it("makes new folders level by level and refuses a level on the way that is a symlink leading out", async () => {
    await mkdir(join(folder, "a"));
    await symlink(outside, join(folder, "a", "b"));
    const w = new RunFolderWriter(folder);
    expect(await errorOf(w.write(join("a", "b", "c", "d", "x.txt"), "x"))).toBe("VALIDATION_FAILED");
    expect(await errorOf(w.mkdir(join("a", "b", "c")))).toBe("VALIDATION_FAILED");
    expect(await readdir(outside)).toEqual([]);
    await w.write(join("a", "e", "f", "x.txt"), "made");
    expect(await readFile(join(folder, "a", "e", "f", "x.txt"), "utf8")).toBe("made");
  });

  it("checks again in a new writer: a folder swapped for a symlink after an earlier save is refused", async () => {
    await new RunFolderWriter(folder).write(join("attempts", "01", "a.txt"), "first save");
    await rm(join(folder, "attempts"), { recursive: true });
    await symlink(outside, join(folder, "attempts"));
    expect(await errorOf(new RunFolderWriter(folder).write(join("attempts", "01", "b.txt"), "second save"))).toBe("VALIDATION_FAILED");
    expect(await readdir(outside)).toEqual([]);
  });

  it("forgets removed folders: one swapped for a symlink after remove() is checked again", async () => {
    const w = new RunFolderWriter(folder);
    await w.write(join("figures", "a.png"), "png");
    await w.remove("figures");
    await symlink(outside, join(folder, "figures"));
    expect(await errorOf(w.write(join("figures", "b.png"), "png"))).toBe("VALIDATION_FAILED");
    expect(await readdir(outside)).toEqual([]);
  });

  it("follows a symlinked folder that stays inside the run folder", async () => {
    await mkdir(join(folder, "real"));
    await symlink(join(folder, "real"), join(folder, "alias"));
    const w = new RunFolderWriter(folder);
    await w.write(join("alias", "x.txt"), "inside");
    expect(await readFile(join(folder, "real", "x.txt"), "utf8")).toBe("inside");
  });

  it("does not take a file for a folder: mkdir over a file fails, and nothing is written through it", async () => {
    await writeFile(join(folder, "attempts"), "a file");
    const w = new RunFolderWriter(folder);
    expect(await errorOf(w.mkdir("attempts"))).not.toBe("none");
    expect(await errorOf(w.write(join("attempts", "x.txt"), "x"))).not.toBe("none");
    expect(await readFile(join(folder, "attempts"), "utf8")).toBe("a file");
  });

  it("replaces a symlink planted at a file's own path instead of following it", async () => {
    await writeFile(join(outside, "victim.txt"), "keep");
    await symlink(join(outside, "victim.txt"), join(folder, "results.json"));
    await new RunFolderWriter(folder).writeJson("results.json", { ok: true });
    expect(await readFile(join(outside, "victim.txt"), "utf8")).toBe("keep");
    expect(JSON.parse(await readFile(join(folder, "results.json"), "utf8"))).toEqual({ ok: true });
  });
});
