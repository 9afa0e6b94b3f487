import { DecisionBodySchema, PyfleetError, parseOrThrow, type Role, type TokenAuth, RUN_STATUSES, type RunRecord, type RunStatus, type SignedDecision } from "@pyfleet/core";
import type { ApprovalRecord, ApprovalStore, ApproverIdentity, AuditLog } from "@pyfleet/fleet";
import { approvalSummary } from "@pyfleet/fleet";
import { BearerGuard, createService } from "@pyfleet/service-kit";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import { z } from "zod";
import type { ApprovalEvents } from "./approval-events.js";
import { openApiDocument } from "./openapi.js";
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
const ReconcileBody = z
  .object({
    outcome: z.enum(["succeeded", "failed"]),
    note: z.string().min(1, "note must say what was checked on the machine").max(4000),
  })
  .strict();

/** Builds the approver's HTTP app (API, SSE, web page). Call `listen` on the result. */
export function createApproverServer(deps: ApproverDeps): FastifyInstance {
  const app = createService({ logger: deps.logger, bodyLimit: deps.bodyLimit, service: "approver", bodyLimitSetting: "approver_http.body_limit_bytes" });
  app.addHook("onRequest", async (req) => {
    if (req.url.startsWith("/v1/") && deps.redisReady && !deps.redisReady()) {
      throw new PyfleetError("REDIS_UNAVAILABLE", "Redis is unreachable; nothing was read or changed: retry in a few seconds");
    }
  });

  const guard = new BearerGuard(deps.auth, "APPROVAL_FORBIDDEN");
  const require = (req: FastifyRequest, role: Role): ApproverIdentity => guard.require(req, role);

  app.get("/", async (_req, reply) => reply.type("text/html; charset=utf-8").send(approverPage()));
  app.get("/healthz", async () => ({ ok: true }));
  app.get("/metrics", async (_req, reply) => reply.type(deps.metrics.contentType).send(await deps.metrics.metrics()));
  app.get("/openapi.json", async () => openApiDocument());

  app.get("/v1/approvals", async (req) => {
    require(req, "viewer");
    const q = parseOrThrow(ListQuery, req.query, "query");
    if (q.runId) {
      const all = await deps.store.list({ ...(q.status ? { status: q.status } : {}), limit: 500 });
      return { approvals: all.filter((r) => r.runId === q.runId).map(approvalSummary) };
    }
    const recs = await deps.store.list({ ...(q.status ? { status: q.status } : {}), ...(q.limit ? { limit: q.limit } : {}) });
    return { approvals: recs.map(approvalSummary) };
  });

  app.get("/v1/approvals/events", async (req, reply) => {
    require(req, "viewer");
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
  });

  app.get<{ Params: { id: string } }>("/v1/approvals/:id", async (req) => {
    require(req, "viewer");
    const rec = await deps.store.get(req.params.id);
    if (!rec) throw new PyfleetError("APPROVAL_NOT_FOUND", `approval ${req.params.id} does not exist`);
    const { signedDecision, ...rest } = rec;
    return { approval: { ...rest, decision: signedDecision ? { decision: signedDecision.decision, approvers: signedDecision.approvers, keyId: signedDecision.keyId, signedAt: signedDecision.signedAt } : null } };
  });

  app.post<{ Params: { id: string } }>("/v1/approvals/:id/decision", async (req) => {
    const who = require(req, "approver");
    const body = parseOrThrow(DecisionBodySchema, req.body ?? undefined, "decision");
    const { record, released } = await deps.store.decide(req.params.id, who, body);
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
  });

  // The audit entries of one run (decisions, signature checks, writes), oldest first.
  app.get("/v1/audit", async (req) => {
    require(req, "viewer");
    const q = parseOrThrow(AuditQuery, req.query, "query");
    const entries = await deps.audit.tail(q.scan);
    return { entries: entries.filter((e) => e.data.runId === q.runId) };
  });

  // Who the token belongs to: the page shows the reconciliation list only to admins.
  app.get("/v1/me", async (req) => {
    const who = require(req, "viewer");
    return { identity: who.id, roles: who.roles };
  });

  // Viewer, like GET /v1/runs/:id: a list shows the same records. Admins use it with
  // status=outcome_unknown to find the runs they must reconcile.
  const { listRuns } = deps;
  if (listRuns) {
    app.get("/v1/runs", async (req) => {
      require(req, "viewer");
      const q = parseOrThrow(RunListQuery, req.query, "query");
      return listRuns({ limit: q.limit, cursor: q.cursor ?? null, ...(q.status ? { status: q.status } : {}) });
    });
  }

  app.get<{ Params: { id: string } }>("/v1/runs/:id", async (req) => {
    require(req, "viewer");
    const run = await deps.getRun(req.params.id);
    if (!run) throw new PyfleetError("NOT_FOUND", `run ${req.params.id} does not exist`);
    return { run };
  });

  app.post<{ Params: { id: string } }>("/v1/runs/:id/reconcile", async (req) => {
    const who = require(req, "admin");
    const body = parseOrThrow(ReconcileBody, req.body ?? undefined, "reconcile");
    const res = await deps.reconcile(req.params.id, body, who);
    await deps.audit.append("run.reconciled", { runId: req.params.id, outcome: body.outcome, note: body.note, identity: who.id });
    return { runId: req.params.id, status: res.status };
  });

  return app as unknown as FastifyInstance;
}
