import { type Identity, type Logger, makeRequestSchema, PyfleetError, type Role, TokenAuth, type TokenEntry } from "@pyfleet/core";
import type { Fleet } from "@pyfleet/fleet";
import { BearerGuard, createService } from "@pyfleet/service-kit";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { createProducerMetrics, type ProducerMetrics } from "./producer-metrics.js";
import { responses } from "./route-schemas.js";
import { runRoutes } from "./run-routes.js";

export interface ProducerDeps {
  fleet: Fleet;
  logger: Logger;
  /**
   * `producer.tokens` (role `submitter` unless roles are given); empty = no auth: everyone is
   * `anonymous`, a viewer and submitter (`startProducer` allows that only with
   * `producer.allow_anonymous: true`).
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
  /**
   * Served on `/metrics`; pass the one whose observer the fleet was opened with so the runs this
   * process ends are counted (`startProducer` does). Default: metrics of its own.
   */
  metrics?: ProducerMetrics;
}

declare module "fastify" {
  interface FastifyRequest {
    identity: string;
    who: Identity;
  }
}

/** Who a request is when the producer has no tokens (dev and tests; see `producer.allow_anonymous`). */
const ANONYMOUS: Identity = { id: "anonymous", roles: ["viewer", "submitter"] };
const OPEN_PATHS = new Set(["/healthz", "/metrics", "/openapi.json"]);

/** Builds the producer HTTP API (see `/openapi.json`). Call `listen` on the result. */
export function createProducerServer(deps: ProducerDeps): FastifyInstance {
  const { fleet } = deps;
  const request = makeRequestSchema({ maxCodeBytes: deps.maxCodeBytes, maxContextBytes: deps.maxContextBytes, maxJsonDepth: deps.maxJsonDepth ?? 64 });
  const app = createService({
    logger: deps.logger,
    // The producer logs only warnings and errors of its own, no request lines.
    logLevel: "warn",
    bodyLimit: deps.bodyLimit,
    service: "producer",
    bodyLimitSetting: "producer.body_limit_bytes",
    detailsOf: ["THREAD_HAS_RUN"],
    files: true,
    openapi: {
      title: "pyfleet producer API",
      description:
        "Submit runs and read their results. A token with only the submitter role sees and cancels only the runs it submitted (other runs answer 404); viewer, approver and admin tokens see every run; only admin tokens cancel runs of other identities.",
      schemas: { PythonExecutionRequest: request, ...responses },
      inputs: ["PythonExecutionRequest"],
    },
  });
  const producerTokens = deps.tokens.map((t) => ({ sha256: t.sha256, identity: t.identity, roles: t.roles ?? (["submitter"] as const) }));
  const guard = new BearerGuard(new TokenAuth(producerTokens.length ? [...producerTokens, ...(deps.readerTokens ?? [])] : [], { openAs: ANONYMOUS }));
  const metrics = deps.metrics ?? createProducerMetrics();
  const { registry } = metrics;

  app.decorateRequest("identity", "anonymous");
  app.decorateRequest("who", null as unknown as Identity);
  app.addHook("onRequest", async (req) => {
    req.who = ANONYMOUS;
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
    metrics.responded(req.routeOptions.url ?? "unknown", reply.statusCode);
  });

  app.register(async (api) => {
    api.get("/healthz", { schema: { summary: "Liveness", security: [], response: { 200: z.object({ ok: z.boolean() }) } } }, async () => ({ ok: true }));
    api.get(
      "/metrics",
      { schema: { summary: "Prometheus metrics", security: [], response: { 200: { description: "Prometheus text format", content: { "text/plain": { schema: z.string() } } } } } },
      async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()),
    );
  });
  app.register(runRoutes({ ...deps, request, onSubmitted: metrics.submitted }));
  return app as unknown as FastifyInstance;
}
