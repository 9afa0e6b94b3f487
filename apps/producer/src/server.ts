import { createReadStream } from "node:fs";
import { DEFAULT_REQUEST_LIMITS, EXECUTION_METHODS, type Identity, jsonDepthExceeds, type Logger, PyfleetError, type Role, TokenAuth, type TokenEntry } from "@pyfleet/core";
import type { Fleet } from "@pyfleet/fleet";
import { assertRole, BearerGuard, createService, errorBody, runNotFound } from "@pyfleet/service-kit";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { Counter, collectDefaultMetrics, Registry } from "prom-client";
import { z } from "zod";
import { contentTypeOf, resolveArtifact } from "./artifacts.js";
import { openApiDocument } from "./openapi.js";
import { listRuns, RunListQuery } from "./run-list.js";
import { publicRun } from "./run-view.js";
import { streamRunList } from "./runs-stream.js";
import { streamRunEvents } from "./sse.js";

export interface ProducerDeps {
  fleet: Fleet;
  logger: Logger;
  /**
   * `producer.tokens` (role `submitter` unless roles are given); empty = no auth (dev: everyone
   * is `anonymous`, a viewer and submitter).
   */
  tokens: ReadonlyArray<{ sha256: string; identity: string; roles?: readonly Role[] }>;
  /**
   * Tokens that may read runs but are not producer tokens: `approver.tokens`, so the console's
   * operators see runs with the token they approve with. Only consulted when `tokens` is set.
   */
  readerTokens?: readonly TokenEntry[];
  /** `producer.body_limit_bytes`. */
  bodyLimit: number;
  /** `limits.max_code_bytes` / `limits.max_context_bytes`: over them is a 413 naming the field. */
  maxCodeBytes: number;
  maxContextBytes: number;
  /** `limits.max_json_depth` (default 64): deeper free-form JSON is left to the schema's 400. */
  maxJsonDepth?: number;
}

const SubmitQuery = z.object({ execution_method: z.enum(EXECUTION_METHODS).optional() }).strict();
const OPEN_PATHS = new Set(["/healthz", "/metrics", "/openapi.json"]);

declare module "fastify" {
  interface FastifyRequest {
    identity: string;
    who: Identity;
  }
}

/** Builds the producer HTTP API (see `/openapi.json`). Call `listen` on the result. */
export function createProducerServer(deps: ProducerDeps): FastifyInstance {
  const { fleet } = deps;
  const app = createService({
    logger: deps.logger,
    // The producer logs only warnings and errors of its own, no request lines.
    logLevel: "warn",
    bodyLimit: deps.bodyLimit,
    service: "producer",
    bodyLimitSetting: "producer.body_limit_bytes",
    detailsOf: ["THREAD_HAS_RUN"],
  });
  const anonymous: Identity = { id: "anonymous", roles: ["viewer", "submitter"] };
  const producerTokens = deps.tokens.map((t) => ({ sha256: t.sha256, identity: t.identity, roles: t.roles ?? (["submitter"] as const) }));
  const guard = new BearerGuard(new TokenAuth(producerTokens.length ? [...producerTokens, ...(deps.readerTokens ?? [])] : [], { openAs: anonymous }));
  const need = (req: FastifyRequest, role: Role): void => assertRole(req.who, role);
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const submitted = new Counter({ name: "pyfleet_runs_submitted_total", help: "Runs accepted by this producer", registers: [registry] });
  const responses = new Counter({
    name: "pyfleet_http_responses_total",
    help: "HTTP responses by route and status",
    labelNames: ["route", "status"],
    registers: [registry],
  });

  app.decorateRequest("identity", "anonymous");
  app.decorateRequest("who", null as unknown as Identity);
  app.addHook("onRequest", async (req) => {
    req.who = anonymous;
    if (OPEN_PATHS.has(req.url.split("?")[0] ?? "")) return;
    const who = guard.identify(req);
    req.identity = who.id;
    req.who = who;
    // A Redis outage answers 503 at once rather than holding the request until Redis returns
    // (the fleet's connection queues commands while it reconnects).
    if (!fleet.redisReady) {
      throw new PyfleetError("REDIS_UNAVAILABLE", "Redis is unreachable; nothing was stored: retry in a few seconds");
    }
  });
  app.addHook("onResponse", async (req, reply) => {
    responses.inc({ route: req.routeOptions.url ?? "unknown", status: String(reply.statusCode) });
  });

  app.get("/healthz", async () => ({ ok: true }));
  app.get("/metrics", async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()));
  app.get("/openapi.json", async () => openApiDocument());

  app.post("/v1/runs", async (req, reply) => {
    need(req, "submitter");
    if (!/^application\/json\b/i.test(req.headers["content-type"] ?? "")) {
      return reply
        .status(415)
        .send(errorBody("VALIDATION_FAILED", "send the run as application/json", [{ path: "(content-type)", message: `got ${req.headers["content-type"] ?? "none"}` }]));
    }
    const q = SubmitQuery.safeParse(req.query);
    if (!q.success) throw new PyfleetError("VALIDATION_FAILED", "invalid query", { issues: queryIssues(q.error) });
    checkSizes(req.body, deps);
    const run = await fleet.submit(req.body, {
      requester: req.identity,
      ...(q.data.execution_method ? { executionMethod: q.data.execution_method } : {}),
    });
    submitted.inc();
    return reply.status(202).send(run);
  });

  app.get("/v1/runs", async (req) => {
    const r = RunListQuery.safeParse(req.query);
    if (!r.success) throw new PyfleetError("VALIDATION_FAILED", "invalid query", { issues: queryIssues(r.error) });
    return listRuns(fleet, r.data);
  });

  app.get("/v1/runs/stream", async (req, reply) => {
    const r = RunListQuery.safeParse(req.query);
    if (!r.success) throw new PyfleetError("VALIDATION_FAILED", "invalid query", { issues: queryIssues(r.error) });
    await streamRunList(fleet, r.data, req, reply);
  });

  app.get("/v1/runs/:id", async (req) => {
    const id = runIdOf(req);
    const run = await fleet.details(id);
    if (!run) throw runNotFound(id);
    return publicRun(run);
  });

  app.get("/v1/runs/:id/events", async (req, reply) => {
    const id = runIdOf(req);
    if (!(await fleet.get(id))) throw runNotFound(id);
    await streamRunEvents(fleet, id, req, reply);
  });

  app.get("/v1/runs/:id/notebook", async (req, reply) => {
    const id = runIdOf(req);
    const run = await fleet.details(id);
    if (!run) throw runNotFound(id);
    const path = run.final?.result?.notebook_path ?? run.resultSummary?.notebookPath ?? null;
    if (!path || !run.folderPath) throw new PyfleetError("NOT_FOUND", `run ${id} has no notebook (yet)`);
    const file = await resolveArtifact(run.folderPath, relativeTo(run.folderPath, path));
    const download = (req.query as { download?: string }).download === "1";
    if (download) reply.header("content-disposition", `attachment; filename="${id}.ipynb"`);
    return reply.type("application/x-ipynb+json").send(createReadStream(file));
  });

  app.get("/v1/runs/:id/artifacts/*", async (req, reply) => {
    const id = runIdOf(req);
    const rest = (req.params as { "*": string })["*"];
    const run = await fleet.details(id);
    if (!run) throw runNotFound(id);
    if (!run.folderPath) throw new PyfleetError("NOT_FOUND", `run ${id} has no artifact folder (yet)`);
    const file = await resolveArtifact(run.folderPath, rest);
    return reply.type(contentTypeOf(file)).send(createReadStream(file));
  });

  app.post("/v1/runs/:id/cancel", async (req, reply) => {
    need(req, "submitter");
    const rec = await fleet.cancel(runIdOf(req));
    return reply.status(202).send({ runId: rec.runId, status: rec.status });
  });

  return app as unknown as FastifyInstance;
}

function runIdOf(req: FastifyRequest): string {
  const id = (req.params as { id: string }).id;
  if (!/^[A-Za-z0-9-]{1,64}$/.test(id)) throw runNotFound(id);
  return id;
}

function queryIssues(error: z.ZodError) {
  return error.issues.map((i) => ({ path: i.path.join(".") || "(query)", message: i.message }));
}

function relativeTo(folder: string, path: string): string {
  const f = folder.endsWith("/") ? folder : `${folder}/`;
  return path.startsWith(f) ? path.slice(f.length) : path;
}

/**
 * Oversized code or context is a 413 naming the field (before schema validation). Context nested
 * past the depth limit is not measured (JSON.stringify would overflow the stack): the schema
 * answers it with a 400.
 */
function checkSizes(body: unknown, deps: ProducerDeps): void {
  if (typeof body !== "object" || body === null) return;
  const b = body as { code?: unknown; capability_context_data?: unknown };
  if (typeof b.code === "string" && Buffer.byteLength(b.code, "utf8") > deps.maxCodeBytes) {
    throw new PyfleetError("PAYLOAD_TOO_LARGE", `code is larger than limits.max_code_bytes (${deps.maxCodeBytes} bytes)`, {
      issues: [{ path: "code", message: `larger than ${deps.maxCodeBytes} bytes` }],
    });
  }
  const ctx = b.capability_context_data;
  if (ctx == null || jsonDepthExceeds(ctx, deps.maxJsonDepth ?? DEFAULT_REQUEST_LIMITS.maxJsonDepth)) return;
  if (Buffer.byteLength(JSON.stringify(ctx), "utf8") > deps.maxContextBytes) {
    throw new PyfleetError("PAYLOAD_TOO_LARGE", `capability_context_data is larger than limits.max_context_bytes (${deps.maxContextBytes} bytes)`, {
      issues: [{ path: "capability_context_data", message: `larger than ${deps.maxContextBytes} bytes` }],
    });
  }
}
