import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { resolveArtifact } from "./artifacts.js";

describe("resolveArtifact", () => {
  const base = mkdtempSync(join(tmpdir(), "pyfleet-art-"));
  const run = join(base, "run");
  mkdirSync(join(run, "figures"), { recursive: true });
  writeFileSync(join(run, "figures", "f1.png"), "png");
  writeFileSync(join(base, "secret.txt"), "secret");
  symlinkSync(join(base, "secret.txt"), join(run, "link.txt"));

  it("serves files inside the run folder", async () => {
    expect(await resolveArtifact(run, "figures/f1.png")).toBe(join(run, "figures", "f1.png"));
  });

  it.each(["../secret.txt", "figures/../../secret.txt", "/etc/passwd", "a\\..\\b", "x\0y", "./figures/f1.png", ""])(
    "refuses traversal %j with a validation error",
    async (p) => {
      await expect(resolveArtifact(run, p)).rejects.toMatchObject({ code: "VALIDATION_FAILED" });
    },
  );

  it("refuses a symlink that leaves the folder, and 404s what is missing", async () => {
    await expect(resolveArtifact(run, "link.txt")).rejects.toMatchObject({ code: "VALIDATION_FAILED" });
    await expect(resolveArtifact(run, "figures/nope.png")).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(resolveArtifact(run, "figures")).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});
