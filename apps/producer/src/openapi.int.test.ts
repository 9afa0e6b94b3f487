import { hashToken, silentLogger } from "@pyfleet/core";
import { startTestFleet, type TestFleet } from "@pyfleet/runtime/testing";
import { routeCoverage } from "@pyfleet/service-kit";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createProducerServer } from "./server.js";

const body = { user_query: "q", task_objective: "t", code: "results = {}" };
const json = { "content-type": "application/json" };

describe("producer /openapi.json is generated from the route schemas, which validate every request", () => {
  let t: TestFleet;
  let app: FastifyInstance;

  beforeAll(async () => {
    // The fleet serves no queue: accepted runs stay queued.
    t = await startTestFleet({ tag: "openapi-prod" });
    app = createProducerServer({
      fleet: t.fleet,
      logger: silentLogger(),
      tokens: [{ sha256: hashToken("doc-token"), identity: "doc" }],
      bodyLimit: 64 * 1024,
      maxCodeBytes: 4096,
      maxContextBytes: 4096,
    });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await t?.cleanup();
  });

  const auth = { authorization: "Bearer doc-token" };

  it("documents every route the producer serves, under the paths clients know", async () => {
    const { routes, undocumented, withoutResponses } = routeCoverage(app);
    expect(withoutResponses).toEqual([]);
    expect(undocumented).toEqual([]);
    expect(routes.length).toBeGreaterThanOrEqual(10);
    const doc = (await app.inject({ method: "GET", url: "/openapi.json" })).json();
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        "/healthz",
        "/metrics",
        "/v1/runs",
        "/v1/runs/stream",
        "/v1/runs/{id}",
        "/v1/runs/{id}/artifacts/{path}",
        "/v1/runs/{id}/cancel",
        "/v1/runs/{id}/events",
        "/v1/runs/{id}/notebook",
      ].sort(),
    );
    expect(doc.paths["/v1/runs"].post.requestBody.content["application/json"].schema).toEqual({ $ref: "#/components/schemas/PythonExecutionRequest" });
    // The request is documented in its input form: fields with defaults are optional.
    expect(doc.components.schemas.PythonExecutionRequest.required.sort()).toEqual(["task_objective", "user_query"]);
    expect(doc.paths["/v1/runs/{id}/artifacts/{path}"].get.parameters.map((p: { name: string }) => p.name).sort()).toEqual(["id", "path"]);
    expect(doc.paths["/healthz"].get.security).toEqual([]);
    expect(doc.security).toEqual([{ bearer: [] }]);
  });

  it("refuses what the schemas refuse with a 400 naming the field, in body, query and path", async () => {
    const cases: Array<[string, string, string | undefined, string[]]> = [
      ["POST", "/v1/runs", JSON.stringify({ ...body, retries: "3" }), ["retries"]],
      ["POST", "/v1/runs?execution_method=gpu", JSON.stringify(body), ["execution_method"]],
      ["GET", "/v1/runs?limit=0", undefined, ["limit"]],
      ["GET", "/v1/runs?bogus=1", undefined, ["(query)"]],
      ["GET", "/v1/runs/stream?status=nope", undefined, ["status"]],
      ["GET", "/v1/runs/r-1/notebook?download=yes", undefined, ["download"]],
      ["GET", "/v1/runs/r-1/artifacts/..%2Fsecret", undefined, ["path"]],
    ];
    for (const [method, url, payload, paths] of cases) {
      const res = await app.inject({ method: method as "GET", url, headers: { ...auth, ...(payload ? json : {}) }, ...(payload ? { payload } : {}) });
      expect(res.statusCode, url).toBe(400);
      expect(res.json().error.code, url).toBe("VALIDATION_FAILED");
      expect(res.json().error.issues.map((i: { path: string }) => i.path), url).toEqual(paths);
    }
  });

  it("checks the token before the body: an unknown caller learns nothing about the schema", async () => {
    const res = await app.inject({ method: "POST", url: "/v1/runs", headers: json, payload: "{}" });
    expect(res.statusCode).toBe(401);
  });
});
