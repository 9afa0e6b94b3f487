import { createHash } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { silentLogger } from "@pyfleet/core";
import type { Fleet } from "@pyfleet/fleet";
import { startTestFleet, type TestFleet, waitForStatus } from "@pyfleet/runtime/testing";
import { pick, type Rng, seededRandom } from "@pyfleet/testing";
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createProducerServer } from "./server.js";

/**
 * Property-style fuzzing of the producer API with a seeded PRNG: whatever arrives (random JSON,
 * wrong types at every request field, huge strings, deep nesting, invalid UTF-8, random content
 * types, random paths and traversal attempts under /artifacts), the answer is never a 5xx, every
 * error is the JSON body `{ error: { code, message, issues } }`, and a 400 names real fields.
 */

const SEED = 0x70_f1ee7;
const BODY_LIMIT = 2 * 1024 * 1024;
const MAX_CODE = 4096;

/** Fields of PythonExecutionRequest, with a valid value and the JSON kinds each one accepts. */
const FIELDS: Record<string, { valid: unknown; kinds: Kind[] }> = {
  user_query: { valid: "q", kinds: ["string"] },
  task_objective: { valid: "t", kinds: ["string"] },
  expected_results: { valid: { v: "int" }, kinds: ["object"] },
  capability_prompts: { valid: ["p"], kinds: ["array"] },
  execution_folder_name: { valid: "f", kinds: ["string"] },
  capability_context_data: { valid: { a: 1 }, kinds: ["object", "null"] },
  retries: { valid: 1, kinds: ["number"] },
  code: { valid: "results = {}", kinds: ["string"] },
  execution_method: { valid: "local", kinds: ["string"] },
  thread_id: { valid: "thr", kinds: ["string"] },
  checkpoint_ns: { valid: "ns", kinds: ["string"] },
  requester: { valid: "me", kinds: ["string"] },
  dry_run: { valid: true, kinds: ["boolean"] },
};
/** Paths a 400 of POST /v1/runs may name besides the request fields. */
const SUBMIT_META = ["(root)", "(body)", "(content-type)"];
const LIST_FIELDS = ["status", "limit", "cursor", "(query)"];
/** Invalid percent-encodings: the router rejects them before any route runs. */
const BAD_ENCODINGS = ["%ff", "%E0%A4%A", "%c0%ae", "%", "%zz", "%e0%80"];
const ID_PATHS = ["path", "id", "(url)"];

type Kind = "string" | "number" | "boolean" | "array" | "object" | "null";


const int = (rng: Rng, n: number) => Math.floor(rng() * n);

const STRINGS = ["", " ", "\u0000", "../../etc/passwd", "a\\b", "😀", "\ud800", "é".repeat(50), "%00", "<script>", "null", "__proto__"];

function randomString(rng: Rng): string {
  if (rng() < 0.5) return pick(rng, STRINGS);
  return Array.from({ length: int(rng, 40) }, () => String.fromCharCode(int(rng, 0xffff))).join("");
}

function valueOfKind(rng: Rng, kind: Kind, depth = 0): unknown {
  switch (kind) {
    case "string":
      return randomString(rng);
    case "number":
      return pick(rng, [0, -1, 1.5, 21, 1e308, -0, 2 ** 53, int(rng, 1000)]);
    case "boolean":
      return rng() < 0.5;
    case "null":
      return null;
    case "array":
      return depth > 3 ? [] : Array.from({ length: int(rng, 4) }, () => randomJson(rng, depth + 1));
    case "object": {
      if (depth > 3) return {};
      const o: Record<string, unknown> = {};
      for (let i = int(rng, 4); i > 0; i--) o[rng() < 0.3 ? pick(rng, Object.keys(FIELDS)) : randomString(rng)] = randomJson(rng, depth + 1);
      return o;
    }
  }
}

const KINDS: Kind[] = ["string", "number", "boolean", "array", "object", "null"];
const randomJson = (rng: Rng, depth = 0): unknown => valueOfKind(rng, pick(rng, KINDS), depth);

const baseBody = (): Record<string, unknown> => ({ user_query: "q", task_objective: "fuzz" });

/** A request whose one field holds a value of a kind that field never accepts. */
function wrongTypeBody(rng: Rng, field: string): Record<string, unknown> {
  const spec = FIELDS[field]!;
  const wrong = KINDS.filter((k) => !spec.kinds.includes(k));
  return { ...baseBody(), [field]: valueOfKind(rng, pick(rng, wrong)) };
}

describe("producer API under fuzzing", () => {
  let t: TestFleet;
  let fleet: Fleet;
  let app: FastifyInstance;
  let runId: string;
  let folder: string;
  let artifacts: string;
  const violations: string[] = [];
  let cases = 0;

  beforeAll(async () => {
    // The producer's own fleet serves no queue: accepted fuzz runs wait in Redis until cleanup.
    t = await startTestFleet({ tag: "fuzz" });
    ({ fleet } = t);
    artifacts = t.env.PYFLEET_ARTIFACTS as string;
    // One finished run gives the artifact routes a real folder; its workers stop before fuzzing.
    const workers = await t.open({ stages: ["analyze", "execute"], modes: ["read_only"] });
    try {
      runId = (await workers.submit({ ...baseBody(), code: "results = {'v': 1}" })).runId;
      expect((await waitForStatus((id) => workers.get(id), runId, ["completed", "failed"], 60_000)).status).toBe("completed");
    } finally {
      await workers.close();
    }
    folder = (await fleet.details(runId))!.folderPath!;
    app = createProducerServer({ fleet, logger: silentLogger(), tokens: [], bodyLimit: BODY_LIMIT, maxCodeBytes: MAX_CODE, maxContextBytes: 1024 * 1024 });
    await app.ready();
  });
  beforeEach(() => {
    violations.length = 0;
  });
  afterAll(async () => {
    await app?.close();
    await t?.cleanup();
    if (artifacts) rmSync(artifacts, { recursive: true, force: true });
  });

  /** Sends one request and records every broken property (all cases run; the test lists them all). */
  async function probe(what: string, opts: InjectOptions, allowed: readonly string[] | null): Promise<LightMyRequestResponse> {
    cases++;
    const res = await app.inject(opts);
    const fail = (why: string) => violations.push(`${what}: ${opts.method} ${String(opts.url).slice(0, 120)} → ${res.statusCode}: ${why}`);
    if (res.statusCode >= 500) fail(`5xx ${res.body.slice(0, 200)}`);
    if (res.statusCode < 400 || opts.method === "HEAD") return res;
    let err: { code?: unknown; message?: unknown; issues?: Array<{ path?: unknown; message?: unknown }> } | undefined;
    try {
      err = (JSON.parse(res.body) as { error?: typeof err }).error;
    } catch {
      fail(`body is not JSON: ${res.body.slice(0, 120)}`);
      return res;
    }
    if (typeof err?.code !== "string" || err.code === "") fail(`no error.code in ${res.body.slice(0, 200)}`);
    if (typeof err?.message !== "string" || err.message === "") fail(`no error.message in ${res.body.slice(0, 200)}`);
    if (res.statusCode === 400 && allowed) {
      if (!Array.isArray(err?.issues) || err.issues.length === 0) fail(`400 without issues: ${res.body.slice(0, 200)}`);
      for (const i of err?.issues ?? []) {
        const head = typeof i.path === "string" ? i.path.split(/[.[]/)[0] : undefined;
        if (!head || !allowed.includes(head)) fail(`issue path ${String(i.path)} names no field (${String(i.message)})`);
      }
    }
    return res;
  }

  const submit = (what: string, payload: string | Buffer, contentType = "application/json") =>
    probe(what, { method: "POST", url: "/v1/runs", payload, headers: { "content-type": contentType } }, [...Object.keys(FIELDS), ...SUBMIT_META]);

  it("POST /v1/runs: random JSON values, wrong types at every field, huge strings, deep nesting, bad bytes and content types", async () => {
    const rng = seededRandom(SEED);
    for (let i = 0; i < 100; i++) await submit("random JSON", JSON.stringify(randomJson(rng)) ?? "null");
    for (const field of Object.keys(FIELDS)) {
      for (let i = 0; i < 6; i++) {
        const res = await submit(`wrong type at ${field}`, JSON.stringify(wrongTypeBody(rng, field)));
        const paths = res.statusCode === 400 ? (res.json().error.issues as Array<{ path: string }>).map((x) => x.path.split(/[.[]/)[0]) : [];
        if (!paths.includes(field)) violations.push(`wrong type at ${field}: ${res.statusCode}, issues ${JSON.stringify(paths)} do not name it`);
      }
    }
    for (const field of ["user_query", "task_objective", "code", "thread_id", "checkpoint_ns", "requester", "execution_folder_name"]) {
      for (const size of [MAX_CODE + 1, 300_000, BODY_LIMIT + 10]) {
        await submit(`huge ${field}`, JSON.stringify({ ...baseBody(), [field]: "x".repeat(size) }));
      }
    }
    // Nesting past limits.max_json_depth (64) is a 400 on the field and leaves no run behind.
    const runsBefore = (await fleet.list({ limit: 500 })).runs.length;
    for (const depth of [100, 1_000, 5_000, 50_000]) {
      const nested = [
        ["capability_context_data", `,"capability_context_data":${'{"a":'.repeat(depth)}1${"}".repeat(depth)}}`],
        ["expected_results", `,"expected_results":{"a":${"[".repeat(depth)}${"]".repeat(depth)}}}`],
      ] as const;
      for (const [field, tail] of nested) {
        const res = await submit(`${field} nested ${depth}`, JSON.stringify(baseBody()).replace(/}$/, tail));
        const paths = res.statusCode === 400 ? (res.json().error.issues as Array<{ path: string }>).map((x) => x.path) : [];
        if (paths.join() !== field) violations.push(`${field} nested ${depth}: ${res.statusCode}, issues ${JSON.stringify(paths)}`);
      }
    }
    expect((await fleet.list({ limit: 500 })).runs.length).toBe(runsBefore);
    for (const depth of [100, 5_000, 100_000, 500_000]) await submit(`unclosed nesting ${depth}`, `{"user_query":${"[".repeat(depth)}`);
    for (let i = 0; i < 30; i++) {
      const json = Buffer.from(JSON.stringify({ ...baseBody(), task_objective: "§PLACE§" }));
      const at = json.indexOf("§PLACE§");
      const bad = Buffer.from(Array.from({ length: 1 + int(rng, 6) }, () => pick(rng, [0xff, 0xfe, 0xc0, 0xae, 0x80, 0xed, 0xa0, 0xf8, int(rng, 256)])));
      await submit("invalid UTF-8", Buffer.concat([json.subarray(0, at), bad, json.subarray(at + Buffer.byteLength("§PLACE§"))]));
    }
    const types = [
      "text/plain",
      "",
      "application/jsonx",
      "application/json-patch+json",
      "application/JSON",
      "application/json; charset=latin1",
      "application/json; charset=utf-16",
      "application/json;;;",
      "multipart/form-data; boundary=x",
      "application/x-www-form-urlencoded",
      "*/*",
      "application/json\u0000",
      "application/",
    ];
    for (const t of types) {
      await submit(`content-type ${JSON.stringify(t)}`, JSON.stringify(baseBody()), t);
      await submit(`content-type ${JSON.stringify(t)} with junk`, "user_query=x&\u0000", t);
    }
    expect(violations).toEqual([]);
    expect(cases).toBeGreaterThan(250);
  });

  it("every other route: random ids, queries, methods and paths", async () => {
    const rng = seededRandom(SEED + 1);
    const ids = () => pick(rng, ["nope", "x".repeat(65), "%00", "..", "%2e%2e", "a%2Fb", "😀", ...BAD_ENCODINGS, encodeURIComponent(randomString(rng).replace(/[\ud800-\udfff]/g, "?")) || "x"]);
    for (let i = 0; i < 25; i++) {
      const id = ids();
      await probe("run by id", { method: "GET", url: `/v1/runs/${id}` }, ID_PATHS);
      await probe("events by id", { method: "GET", url: `/v1/runs/${id}/events` }, ID_PATHS);
      await probe("notebook by id", { method: "GET", url: `/v1/runs/${id}/notebook` }, ID_PATHS);
      await probe("cancel by id", { method: "POST", url: `/v1/runs/${id}/cancel` }, ID_PATHS);
    }
    for (let i = 0; i < 40; i++) {
      const q = new URLSearchParams();
      for (let k = int(rng, 4); k > 0; k--) q.append(pick(rng, ["status", "limit", "cursor", "bogus", "status"]), pick(rng, ["completed", "bogus", "0", "-1", "501", "1.5", "abc", "x".repeat(300), "", "50"]));
      await probe("list query", { method: "GET", url: `/v1/runs?${q}` }, LIST_FIELDS);
    }
    for (let i = 0; i < 30; i++) {
      const method = pick(rng, ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"] as const);
      const path = pick(rng, ["/v1", "/v1/runs/", "/v1/runs//x", "/v2/runs", "/v1/runs?execution_method=gpu", "/v1/runs/x/y/z", "//", "/healthz/x"]);
      await probe("random route", { method, url: path, ...(method === "POST" ? { payload: "{}", headers: { "content-type": "application/json" } } : {}) }, [
        ...Object.keys(FIELDS),
        ...SUBMIT_META,
        ...LIST_FIELDS,
        "execution_method",
      ]);
    }
    expect(violations).toEqual([]);
  });

  it("auth: random Authorization headers get a JSON 401, only the exact bearer token passes", async () => {
    const rng = seededRandom(SEED + 3);
    const token = "fuzz-token-0123456789";
    const authed = createProducerServer({
      fleet,
      logger: silentLogger(),
      tokens: [{ sha256: createHash("sha256").update(token).digest("hex"), identity: "fuzzer" }],
      bodyLimit: BODY_LIMIT,
      maxCodeBytes: MAX_CODE,
      maxContextBytes: 1024,
    });
    try {
      const headers = ["", "Bearer", "Bearer ", `bearer${token}`, `Bearer ${token}x`, `Bearer ${token.slice(1)}`, `Basic ${token}`, `Bearer ${"a".repeat(8000)}`, `Bearer ${token.toUpperCase()}`];
      for (let i = 0; i < 20; i++) headers.push(`${pick(rng, ["Bearer ", "", "Token "])}${randomString(rng).replace(/[^\x20-\x7e]/g, "")}`);
      for (const authorization of headers) {
        const opts: InjectOptions = { method: "POST", url: "/v1/runs", payload: JSON.stringify(baseBody()), headers: { "content-type": "application/json", authorization } };
        cases++;
        const res = await authed.inject(opts);
        if (res.statusCode !== 401 || res.json().error?.code !== "UNAUTHORIZED") violations.push(`auth ${JSON.stringify(authorization.slice(0, 40))}: ${res.statusCode} ${res.body.slice(0, 120)}`);
      }
      const ok = await authed.inject({ method: "POST", url: "/v1/runs", payload: JSON.stringify(baseBody()), headers: { "content-type": "application/json", authorization: `Bearer ${token}` } });
      expect(ok.statusCode).toBe(202);
    } finally {
      await authed.close();
    }
    expect(violations).toEqual([]);
  });

  it("artifacts: random and traversal paths never leave the run folder", async () => {
    const rng = seededRandom(SEED + 2);
    const parts = ["..", ".", "%2e%2e", "%2E%2E", "%2e", "..%2f", "..%5c", "%5c", "%00", "results.json", "a", "", "%2f", "~", "etc", "passwd", "😀", "..;", "%252e%252e", ...BAD_ENCODINGS];
    let served = 0;
    for (let i = 0; i < 150; i++) {
      const rest = Array.from({ length: 1 + int(rng, 5) }, () => pick(rng, parts)).join(pick(rng, ["/", "%2F", "/./", "//"]));
      const res = await probe(`artifact ${rest}`, { method: "GET", url: `/v1/runs/${runId}/artifacts/${rest}` }, ["path", "(url)"]);
      if (res.statusCode !== 200) continue;
      served++;
      // URL normalisation (`.`/`..` segments, also as %2e) may land on another route: not a file.
      const route = `/v1/runs/${runId}/artifacts/`;
      const effective = new URL(`${route}${rest}`, "http://producer").pathname;
      if (!effective.startsWith(route)) continue;
      // Whatever the artifact route served is a file of the run folder, byte for byte.
      const segments = decodeURIComponent(effective.slice(route.length)).split("/").filter((s) => s !== "");
      if (segments.some((s) => s === ".." || s === "." || s.includes("\\") || s.includes("\0"))) violations.push(`artifact ${rest}: served a traversal path`);
      else if (readFileSync(join(folder, ...segments)).compare(res.rawPayload) !== 0) violations.push(`artifact ${rest}: served another file`);
    }
    for (const ok of ["results.json", "%72esults.json"]) {
      const res = await probe(`artifact ${ok}`, { method: "GET", url: `/v1/runs/${runId}/artifacts/${ok}` }, ["path"]);
      expect(res.statusCode, ok).toBe(200);
      served++;
    }
    expect(violations).toEqual([]);
    expect(served).toBeGreaterThan(1);
  });
});
