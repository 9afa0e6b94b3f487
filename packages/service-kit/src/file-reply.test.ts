import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { silentLogger } from "@pyfleet/core";
import { afterAll, describe, expect, it } from "vitest";
import { createService } from "./create-service.js";
import { sendContainedFile } from "./file-reply.js";

describe("sendContainedFile (run folders served with @fastify/static)", () => {
  const base = mkdtempSync(join(tmpdir(), "pyfleet-art-"));
  const run = join(base, "run");
  mkdirSync(join(run, "figures"), { recursive: true });
  writeFileSync(join(run, "figures", "f1.png"), "png");
  writeFileSync(join(base, "secret.txt"), "secret");
  symlinkSync(join(base, "secret.txt"), join(run, "link.txt"));
  // The route passes the path through unchecked, so every case reaches sendContainedFile itself.
  const app = createService({ logger: silentLogger(), bodyLimit: 1024, service: "test", bodyLimitSetting: "x", files: true });
  app.get("/files", async (req, reply) => sendContainedFile(reply, run, (req.query as { p: string }).p, "image/png"));
  afterAll(() => app.close());
  const get = (p: string) => app.inject({ method: "GET", url: `/files?p=${encodeURIComponent(p)}` });

  it("serves files inside the run folder, with the given type and ranges", async () => {
    const res = await get("figures/f1.png");
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe("png");
    expect(res.headers["content-type"]).toBe("image/png");
    const part = await app.inject({ method: "GET", url: "/files?p=figures/f1.png", headers: { range: "bytes=1-" } });
    expect(part.statusCode).toBe(206);
    expect(part.body).toBe("ng");
  });

  it.each(["../secret.txt", "figures/../../secret.txt", "/etc/passwd", "a\\..\\b", "x\0y", "./figures/f1.png", ""])(
    "refuses traversal %j with a validation error naming path",
    async (p) => {
      const res = await get(p);
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toMatchObject({ code: "VALIDATION_FAILED", issues: [{ path: "path" }] });
    },
  );

  it("refuses a symlink that leaves the folder, and 404s what is missing", async () => {
    const link = await get("link.txt");
    expect(link.statusCode).toBe(400);
    expect(link.json().error.code).toBe("VALIDATION_FAILED");
    expect(link.body).not.toContain("secret");
    expect((await get("figures/nope.png")).json().error.code).toBe("NOT_FOUND");
    expect((await get("figures")).json().error.code).toBe("NOT_FOUND");
  });
});
