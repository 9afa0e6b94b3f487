import { ApprovalDetailSchema, ApprovalSummarySchema, DecisionBodySchema, PyfleetError, type Role, RUN_STATUSES, type RunRecord, RunRecordSchema, type RunStatus, type SignedDecision, type TokenAuth } from "@pyfleet/core";
import type { ApprovalRecord, ApprovalStore, ApproverIdentity, AuditLog } from "@pyfleet/fleet";
import { approvalSummary } from "@pyfleet/fleet";
import { BearerGuard, createService, errorResponses } from "@pyfleet/service-kit";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import { z } from "zod";
import type { ApprovalEvents } from "./approval-events.js";
import { approverPage } from "./page.js";

/** What the approver needs from the rest of the fleet. */
export interface ApproverDeps {
  store: ApprovalStore;
  audit: AuditLog;
  auth: TokenAuth;
  events: ApprovalEvents;
  /** Resumes the run with a final (signed) decision and dispatches its next node. */
  release(record: ApprovalRecord, decision: SignedDecision): Promise<void>;
  /** The run record (status, error, result summary) of a run, or null. */
  getRun(runId: string): Promise<RunRecord | null>;
  /** Run records newest first, optionally of one status (`Fleet.list`); without it GET /v1/runs is not served. */
  listRuns?(opts: { status?: RunStatus; limit: number; cursor: string | null }): Promise<{ runs: RunRecord[]; nextCursor: string | null }>;
  /** Settles a run in `outcome_unknown` after a human checked the machine. */
  reconcile(
    runId: string,
    input: { outcome: "succeeded" | "failed"; note: string },
    who: ApproverIdentity,
  ): Promise<{ status: RunStatus }>;
  metrics: Registry;
  logger: Logger;
  bodyLimit: number;
  /**
   * False while the fleet's Redis connection is down: API requests then answer 503
   * `REDIS_UNAVAILABLE` at once instead of waiting for Redis (default: always ready).
   */
  redisReady?: () => boolean;
}

const ListQuery = z.object({
  status: z.enum(["pending", "approved", "rejected", "expired", "cancelled"]).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
  /** Only the approvals of this run (its approval history, every attempt). */
  runId: z.string().min(1).max(64).optional(),
});
const AuditQuery = z
  .object({
    runId: z.string().min(1).max(64),
    /** How many of the newest audit entries are searched (default 5000). */
    scan: z.coerce.number().int().min(1).max(100_000).default(5000),
  })
  .strict();
const RunListQuery = z
  .object({
    status: z.enum(RUN_STATUSES).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    cursor: z.string().max(200).optional(),
  })
  .strict();
const IdParams = z.object({ id: z.string().min(1).max(200) });
const ApprovalList = z.strictObject({ approvals: z.array(ApprovalSummarySchema) });
/** `POST /v1/runs/:id/reconcile`: the run's status after it. */
const ReconcileResultSchema = z.strictObject({ runId: z.string(), status: z.string() });
const DecisionResult = z.strictObject({ approval: ApprovalSummarySchema, released: z.boolean(), resumed: z.boolean() });
/** An entry of the hash-chained audit log. */
const AuditEntrySchema = z.strictObject({ id: z.string(), type: z.string(), at: z.string(), data: z.record(z.string(), z.unknown()), prev: z.string(), hash: z.string() });
const Me = z.strictObject({ identity: z.string(), roles: z.array(z.string()) });
const RunList = z.strictObject({ runs: z.array(RunRecordSchema), nextCursor: z.string().nullable() });
const ReconcileBody = z
  .object({
    outcome: z.enum(["succeeded", "failed"]),
    note: z.string().min(1, "note must say what was checked on the machine").max(4000),
  })
  .strict();

declare module "fastify" {
  interface FastifyRequest {
    approver: ApproverIdentity;
  }
}

/** Builds the approver's HTTP app (API, SSE, web page). Call `listen` on the result. */
export function createApproverServer(deps: ApproverDeps): FastifyInstance {
  const app = createService({
    logger: deps.logger,
    bodyLimit: deps.bodyLimit,
    service: "approver",
    bodyLimitSetting: "approver_http.body_limit_bytes",
    openapi: {
      title: "pyfleet approver",
      description: "Review, approve or reject parked pyfleet runs; admins settle outcome_unknown runs. Every role may view.",
      schemas: { Decision: DecisionBodySchema, Reconcile: ReconcileBody, RunRecord: RunRecordSchema, ApprovalSummary: ApprovalSummarySchema, ApprovalDetail: ApprovalDetailSchema },
      inputs: ["Decision", "Reconcile"],
    },
  });
  app.addHook("onRequest", async (req) => {
    if (req.url.startsWith("/v1/") && deps.redisReady && !deps.redisReady()) {
      throw new PyfleetError("REDIS_UNAVAILABLE", "Redis is unreachable; nothing was read or changed: retry in a few seconds");
    }
  });
  app.decorateRequest("approver", null as unknown as ApproverIdentity);
  const guard = new BearerGuard(deps.auth, "APPROVAL_FORBIDDEN");
  // The role is checked before the body or query is validated: a caller without it learns nothing more.
  const as = (role: Role) => ({
    preValidation: async (req: FastifyRequest) => {
      req.approver = guard.require(req, role);
    },
  });
  app.register(async (site) => {
    site.get("/", { schema: { summary: "The approver web page", security: [], response: { 200: { description: "HTML", content: { "text/html": { schema: z.string() } } } } } }, async (_req, reply) =>
      reply.type("text/html; charset=utf-8").send(approverPage()),
    );
    site.get("/healthz", { schema: { summary: "Liveness", security: [], response: { 200: z.object({ ok: z.boolean() }) } } }, async () => ({ ok: true }));
    site.get("/metrics", { schema: { summary: "Prometheus metrics", security: [], response: { 200: { description: "Prometheus text format", content: { "text/plain": { schema: z.string() } } } } } }, async (_req, reply) =>
      reply.type(deps.metrics.contentType).send(await deps.metrics.metrics()),
    );
  });
  app.register(approverRoutes(deps, as));
  return app as unknown as FastifyInstance;
}

type RoleHook = (role: Role) => { preValidation(req: FastifyRequest): Promise<void> };

/** The `/v1` routes of the approver. */
function approverRoutes(deps: ApproverDeps, as: RoleHook): FastifyPluginAsyncZod {
  return async (api) => {
    api.get(
      "/v1/approvals",
      { ...as("viewer"), schema: { summary: "List approvals, newest first (viewer)", querystring: ListQuery, response: { 200: ApprovalList, ...errorResponses(400, 401, 403, 503) } } },
      async (req) => {
        const q = req.query;
        if (q.runId) {
          const all = await deps.store.list({ ...(q.status ? { status: q.status } : {}), limit: 500 });
          return { approvals: all.filter((r) => r.runId === q.runId).map(approvalSummary) };
        }
        const recs = await deps.store.list({ ...(q.status ? { status: q.status } : {}), ...(q.limit ? { limit: q.limit } : {}) });
        return { approvals: recs.map(approvalSummary) };
      },
    );

    api.get(
      "/v1/approvals/events",
      {
        ...as("viewer"),
        schema: {
          summary: "Server-sent events: pending and decided approvals (viewer)",
          response: { 200: { description: "text/event-stream; events `pending` and `decided`, data an approval", content: { "text/event-stream": { schema: ApprovalSummarySchema } } }, ...errorResponses(401, 403, 503) },
        },
      },
      async (req, reply) => {
        reply.hijack();
        const res = reply.raw;
        res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
        res.write(": connected\n\n");
        let n = 0;
        const off = deps.events.subscribe((e) => {
          res.write(`id: ${++n}\nevent: ${e.kind}\ndata: ${JSON.stringify(e.approval)}\n\n`);
        });
        const ping = setInterval(() => res.write(": ping\n\n"), 15_000);
        req.raw.on("close", () => {
          clearInterval(ping);
          off();
        });
      },
    );

    api.get(
      "/v1/approvals/:id",
      {
        ...as("viewer"),
        schema: {
          summary: "One approval with code, findings, write manifest and votes (viewer)",
          params: IdParams,
          response: { 200: z.strictObject({ approval: ApprovalDetailSchema }), ...errorResponses(401, 403, 404, 503) },
        },
      },
      async (req) => {
        const rec = await deps.store.get(req.params.id);
        if (!rec) throw new PyfleetError("APPROVAL_NOT_FOUND", `approval ${req.params.id} does not exist`);
        const { signedDecision, ...rest } = rec;
        return { approval: { ...rest, decision: signedDecision ? { decision: signedDecision.decision, approvers: signedDecision.approvers, keyId: signedDecision.keyId, signedAt: signedDecision.signedAt } : null } };
      },
    );

    api.post(
      "/v1/approvals/:id/decision",
      {
        ...as("approver"),
        schema: {
          summary: "Approve or reject (approver); quote the code hash you reviewed",
          description: "released=true when this vote decided the approval; resumed=true when the run was resumed at once (otherwise the approver's sweep resumes it shortly).",
          params: IdParams,
          body: DecisionBodySchema,
          response: { 200: DecisionResult, ...errorResponses(400, 401, 403, 404, 409, 410, 413, 503) },
        },
      },
      async (req) => {
        const { record, released } = await deps.store.decide(req.params.id, req.approver, req.body);
        let resumed = false;
        if (released) {
          try {
            await deps.release(record, released);
            await deps.store.markResumed(record.id);
            resumed = true;
          } catch (err) {
            // The decision is recorded and signed; the sweeper delivers it (a run not shown as
            // parked yet, a Redis hiccup). Answering 500 would make the caller retry a vote that counted.
            req.log.warn({ err, runId: record.runId, approvalId: record.id, stage: "approve", attempt: record.attempt }, "decision recorded; resuming the run is left to the sweeper");
          }
        }
        return { approval: approvalSummary(record), released: released !== null, resumed };
      },
    );

    api.get(
      "/v1/audit",
      {
        ...as("viewer"),
        schema: {
          summary: "The audit entries of one run (decisions, signature checks, writes), oldest first (viewer)",
          querystring: AuditQuery,
          response: { 200: z.strictObject({ entries: z.array(AuditEntrySchema) }), ...errorResponses(400, 401, 403, 503) },
        },
      },
      async (req) => {
        const entries = await deps.audit.tail(req.query.scan);
        return { entries: entries.filter((e) => e.data.runId === req.query.runId) };
      },
    );

    // Who the token belongs to: the page shows the reconciliation list only to admins.
    api.get(
      "/v1/me",
      { ...as("viewer"), schema: { summary: "The identity and roles of the bearer token (viewer)", response: { 200: Me, ...errorResponses(401, 403, 503) } } },
      async (req) => ({ identity: req.approver.id, roles: [...req.approver.roles] }),
    );

    // Viewer, like GET /v1/runs/:id: a list shows the same records. Admins use it with
    // status=outcome_unknown to find the runs they must reconcile.
    const { listRuns } = deps;
    if (listRuns) {
      api.get(
        "/v1/runs",
        {
          ...as("viewer"),
          schema: {
            summary: "Run records newest first (viewer); status=outcome_unknown lists the runs an admin must reconcile",
            querystring: RunListQuery,
            response: { 200: RunList, ...errorResponses(400, 401, 403, 503) },
          },
        },
        async (req) => listRuns({ limit: req.query.limit, cursor: req.query.cursor ?? null, ...(req.query.status ? { status: req.query.status } : {}) }),
      );
    }

    api.get(
      "/v1/runs/:id",
      {
        ...as("viewer"),
        schema: {
          summary: "The run record of an approval's run: status, error, result summary (viewer)",
          params: IdParams,
          response: { 200: z.strictObject({ run: RunRecordSchema }), ...errorResponses(401, 403, 404, 503) },
        },
      },
      async (req) => {
        const run = await deps.getRun(req.params.id);
        if (!run) throw new PyfleetError("NOT_FOUND", `run ${req.params.id} does not exist`);
        return { run };
      },
    );

    api.post(
      "/v1/runs/:id/reconcile",
      {
        ...as("admin"),
        schema: {
          summary: "Settle an outcome_unknown run after checking the machine (admin)",
          params: IdParams,
          body: ReconcileBody,
          response: { 200: ReconcileResultSchema, ...errorResponses(400, 401, 403, 404, 409, 503) },
        },
      },
      async (req) => {
        const res = await deps.reconcile(req.params.id, req.body, req.approver);
        await deps.audit.append("run.reconciled", { runId: req.params.id, outcome: req.body.outcome, note: req.body.note, identity: req.approver.id });
        return { runId: req.params.id, status: res.status };
      },
    );
  };
}
