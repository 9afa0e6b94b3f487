import { PyfleetError, silentLogger } from "@pyfleet/core";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createService } from "./create-service.js";

describe("createService (the Fastify app every service starts from)", () => {
  const app = createService({ logger: silentLogger(), bodyLimit: 2048, service: "test", bodyLimitSetting: "test.body_limit_bytes", detailsOf: ["THREAD_HAS_RUN"] });
  app.post("/echo", { schema: { body: z.object({ reason: z.string().min(1), tags: z.array(z.string()).optional() }).strict() } }, async (req) => req.body);
  app.get("/things/:id", { schema: { params: z.object({ id: z.string().regex(/^[a-z]+$/) }), querystring: z.object({ limit: z.coerce.number().int().max(5).optional() }) } }, async (req) => ({
    id: req.params.id,
    limit: req.query.limit ?? null,
  }));
  app.get("/fail/:code", async (req) => {
    const code = (req.params as { code: string }).code;
    if (code === "boom") throw new Error("boom");
    throw new PyfleetError(code as "NOT_FOUND", `failed with ${code}`, { details: { runId: "r1" } });
  });
  afterAll(() => app.close());

  const post = (payload: string | Buffer) => app.inject({ method: "POST", url: "/echo", payload, headers: { "content-type": "application/json" } });

  it("passes a valid UTF-8 body through, U+FFFD sent on purpose included", async () => {
    const res = await post(JSON.stringify({ reason: "naïve \ufffd ok", tags: ["é"] }));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ reason: "naïve \ufffd ok", tags: ["é"] });
  });

  it("refuses invalid UTF-8 with a 400 naming the field, not a body mangled with U+FFFD", async () => {
    const json = Buffer.from(JSON.stringify({ reason: "ok", tags: ["fine", "XX"] }));
    const at = json.indexOf("XX");
    const bad = Buffer.concat([json.subarray(0, at), Buffer.from([0xc3, 0x28]), json.subarray(at + 2)]);
    const res = await post(bad);
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: "VALIDATION_FAILED", issues: [{ path: "tags.1", message: expect.stringContaining("not valid UTF-8") }] });
    const top = await post(Buffer.concat([Buffer.from('{"reason":"a'), Buffer.from([0xff]), Buffer.from('b"}')]));
    expect(top.json().error.issues.map((i: { path: string }) => i.path)).toEqual(["reason"]);
    const broken = await post(Buffer.concat([Buffer.from('{"reason":'), Buffer.from([0xff])]));
    expect(broken.statusCode).toBe(400);
    expect(broken.json().error.issues[0].path).toBe("(body)");
  });

  it("validates route schemas: 400 naming each bad field, in body, query and params", async () => {
    const body = await post(JSON.stringify({ reason: "", extra: 1 }));
    expect(body.statusCode).toBe(400);
    expect(body.json().error.issues.map((i: { path: string }) => i.path).sort()).toEqual(["(root)", "reason"]);
    const query = await app.inject({ method: "GET", url: "/things/abc?limit=9" });
    expect(query.statusCode).toBe(400);
    expect(query.json().error.issues).toEqual([{ path: "limit", message: expect.any(String) }]);
    const params = await app.inject({ method: "GET", url: "/things/ABC" });
    expect(params.json().error.issues[0].path).toBe("id");
    expect((await app.inject({ method: "GET", url: "/things/abc?limit=3" })).json()).toEqual({ id: "abc", limit: 3 });
  });

  it("answers errors with core's status map and the shared body; unknown errors are a 500 without internals", async () => {
    const cases: Array<[string, number]> = [
      ["NOT_FOUND", 404],
      ["UNAUTHORIZED", 401],
      ["APPROVAL_FORBIDDEN", 403],
      ["THREAD_HAS_RUN", 409],
      ["APPROVAL_EXPIRED", 410],
      ["REDIS_UNAVAILABLE", 503],
      ["KERNEL_DIED", 500],
    ];
    for (const [code, status] of cases) {
      const res = await app.inject({ method: "GET", url: `/fail/${code}` });
      expect(res.statusCode, code).toBe(status);
      expect(res.json().error).toMatchObject({ code, message: `failed with ${code}`, issues: [] });
    }
    expect((await app.inject({ method: "GET", url: "/fail/THREAD_HAS_RUN" })).json().error.details).toEqual({ runId: "r1" });
    expect((await app.inject({ method: "GET", url: "/fail/NOT_FOUND" })).json().error.details).toBeUndefined();
    expect((await app.inject({ method: "GET", url: "/fail/REDIS_UNAVAILABLE" })).headers["retry-after"]).toBe("5");
    const boom = await app.inject({ method: "GET", url: "/fail/boom" });
    expect(boom.statusCode).toBe(500);
    expect(boom.json().error).toEqual({ code: "INTERNAL", message: "internal error; see the test log", issues: [] });
  });

  it("answers bad JSON, too large bodies, unknown routes and bad URLs in the same shape", async () => {
    expect((await post("{")).json().error.issues[0].path).toBe("(body)");
    const big = await post(JSON.stringify({ reason: "x".repeat(4000) }));
    expect(big.statusCode).toBe(413);
    expect(big.json().error.message).toContain("test.body_limit_bytes");
    expect((await app.inject({ method: "GET", url: "/nope" })).json().error.code).toBe("NOT_FOUND");
    const url = await app.inject({ method: "GET", url: "/things/%ff" });
    expect(url.statusCode).toBe(400);
    expect(url.json().error.issues[0].path).toBe("(url)");
  });
});
