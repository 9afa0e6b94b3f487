import { cancelsAllRuns, DEFAULT_REQUEST_LIMITS, type Identity, jsonDepthExceeds, PyfleetError, type RunRecord, seesAllRuns } from "@pyfleet/core";
import type { Fleet } from "@pyfleet/fleet";
import { assertRole, errorBody, errorResponses, runNotFound, sendContainedFile } from "@pyfleet/service-kit";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { contentTypeOf } from "./artifacts.js";
import { listRuns, RunListQuery } from "./run-list.js";
import { publicRun } from "./run-view.js";
import { ArtifactParams, EventsHeaders, EventsQuery, NotebookQuery, RunIdParams, responses, SubmitQuery } from "./route-schemas.js";
import { streamRunList } from "./runs-stream.js";
import { streamRunEvents } from "./sse.js";

/** What a run id looks like; anything else names no run. */
const RUN_ID = /^[A-Za-z0-9-]{1,64}$/;

export interface RunRouteDeps {
  fleet: Fleet;
  /** The request body schema (with this producer's limits), also the OpenAPI component. */
  request: z.ZodType;
  maxCodeBytes: number;
  maxContextBytes: number;
  maxJsonDepth?: number;
  /** Called for every accepted run (the submitted-runs counter). */
  onSubmitted(): void;
}

/**
 * Whether `who` may see `run`: its requester, or a role that sees every run ({@link seesAllRuns}).
 * Runs a token may not see answer 404, as if they did not exist: their ids are not disclosed.
 */
export function canSee(who: Identity, run: Pick<RunRecord, "requester">): boolean {
  return seesAllRuns(who) || run.requester === who.id;
}

/**
 * The list filter narrowed to the caller's own runs unless its role sees every run.
 * @throws PyfleetError `FORBIDDEN` when such a caller asks for another requester's runs.
 */
function scoped<F extends { requester?: string | undefined }>(who: Identity, f: F): F {
  if (seesAllRuns(who)) return f;
  if (f.requester !== undefined && f.requester !== who.id) {
    throw new PyfleetError("FORBIDDEN", `${who.id} sees only its own runs: leave out requester or ask for ${who.id}`, {
      issues: [{ path: "requester", message: "only your own identity" }],
    });
  }
  return { ...f, requester: who.id };
}

/** The `/v1/runs` routes of the producer. */
export function runRoutes(deps: RunRouteDeps): FastifyPluginAsyncZod {
  const { fleet } = deps;
  /** The run record, if it exists and the caller may see it. @throws PyfleetError `NOT_FOUND` otherwise. */
  const visible = async (req: FastifyRequest, id: string): Promise<RunRecord> => {
    const run = RUN_ID.test(id) ? await fleet.get(id) : null;
    if (!run || !canSee(req.who, run)) throw runNotFound(id);
    return run;
  };
  /** The run with its details, if it exists and the caller may see it. */
  const visibleDetails = async (req: FastifyRequest, id: string) => {
    const run = RUN_ID.test(id) ? await fleet.details(id) : null;
    if (!run || !canSee(req.who, run)) throw runNotFound(id);
    return run;
  };

  return async (api) => {
    api.post(
      "/v1/runs",
      {
        schema: {
          summary: "Submit a run (submitter)",
          querystring: SubmitQuery,
          body: deps.request,
          response: { 202: responses.SubmittedRun, ...errorResponses(400, 401, 403, 409, 413, 415, 503) },
        },
        // Before the schema: the role, the media type, then sizes (a 413 naming the field, not a 400).
        preValidation: async (req, reply) => {
          assertRole(req.who, "submitter");
          if (!/^application\/json\b/i.test(req.headers["content-type"] ?? "")) {
            return (reply as FastifyReply)
              .status(415)
              .send(errorBody("VALIDATION_FAILED", "send the run as application/json", [{ path: "(content-type)", message: `got ${req.headers["content-type"] ?? "none"}` }]));
          }
          checkSizes(req.body, deps);
        },
      },
      async (req, reply) => {
        const run = await fleet.submit(req.body, {
          requester: req.identity,
          ...(req.query.execution_method ? { executionMethod: req.query.execution_method } : {}),
        });
        deps.onSubmitted();
        return reply.status(202).send(run);
      },
    );

    api.get(
      "/v1/runs",
      { schema: { summary: "List runs, newest first; filters combine", querystring: RunListQuery, response: { 200: responses.RunList, ...errorResponses(400, 401, 503) } } },
      async (req) => listRuns(fleet, scoped(req.who, req.query)),
    );

    api.get(
      "/v1/runs/stream",
      {
        schema: {
          summary: "The runs list live (Server-Sent Events): a snapshot event, then status and run events",
          querystring: RunListQuery,
          response: { 200: { description: "text/event-stream", content: { "text/event-stream": { schema: responses.RunList } } }, ...errorResponses(400, 401, 503) },
        },
      },
      async (req, reply) => streamRunList(fleet, scoped(req.who, req.query), req, reply),
    );

    api.get(
      "/v1/runs/:id",
      { schema: { summary: "A run with its final result", params: RunIdParams, response: { 200: responses.RunDetails, ...errorResponses(400, 401, 404, 503) } } },
      async (req) => publicRun(await visibleDetails(req, req.params.id)),
    );

    api.get(
      "/v1/runs/:id/events",
      {
        schema: {
          summary: "Run events as Server-Sent Events; resumable with Last-Event-ID",
          params: RunIdParams,
          querystring: EventsQuery,
          headers: EventsHeaders,
          response: {
            200: { description: "text/event-stream; each `data:` line is one RunEvent", content: { "text/event-stream": { schema: responses.RunEvent } } },
            ...errorResponses(400, 401, 404, 503),
          },
        },
      },
      async (req, reply) => {
        await visible(req, req.params.id);
        await streamRunEvents(fleet, req.params.id, req, reply);
      },
    );

    api.get(
      "/v1/runs/:id/notebook",
      {
        schema: {
          summary: "The run's final notebook (.ipynb)",
          params: RunIdParams,
          querystring: NotebookQuery,
          response: { 200: { description: "notebook", content: { "application/x-ipynb+json": { schema: z.record(z.string(), z.unknown()) } } }, ...errorResponses(400, 401, 404, 503) },
        },
      },
      async (req, reply) => {
        const { id } = req.params;
        const run = await visibleDetails(req, id);
        const path = run.final?.result?.notebook_path ?? run.resultSummary?.notebookPath ?? null;
        if (!path || !run.folderPath) throw new PyfleetError("NOT_FOUND", `run ${id} has no notebook (yet)`);
        if (req.query.download === "1") reply.header("content-disposition", `attachment; filename="${id}.ipynb"`);
        return sendContainedFile(reply, run.folderPath, relativeTo(run.folderPath, path), "application/x-ipynb+json");
      },
    );

    api.get(
      "/v1/runs/:id/artifacts/*",
      {
        schema: {
          summary: "A file of the run folder (figures, results.json)",
          params: ArtifactParams,
          response: { 200: { description: "the file", content: { "application/octet-stream": { schema: z.string() } } }, ...errorResponses(400, 401, 404, 503) },
        },
      },
      async (req, reply) => {
        const { id, "*": rest } = req.params;
        const run = await visibleDetails(req, id);
        if (!run.folderPath) throw new PyfleetError("NOT_FOUND", `run ${id} has no artifact folder (yet)`);
        return sendContainedFile(reply, run.folderPath, rest, contentTypeOf(rest));
      },
    );

    api.post(
      "/v1/runs/:id/cancel",
      {
        schema: {
          summary: "Cancel a run (its submitter, or an admin)",
          params: RunIdParams,
          response: { 202: responses.CancelledRun, ...errorResponses(400, 401, 403, 404, 503) },
        },
      },
      async (req, reply) => {
        assertRole(req.who, "submitter");
        const { id } = req.params;
        const run = await visible(req, id);
        if (run.requester !== req.who.id && !cancelsAllRuns(req.who)) {
          throw new PyfleetError("FORBIDDEN", `run ${id} was submitted by ${run.requester}: only its submitter or an admin may cancel it`);
        }
        const rec = await fleet.cancel(id);
        return reply.status(202).send({ runId: rec.runId, status: rec.status });
      },
    );
  };
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
function checkSizes(body: unknown, deps: RunRouteDeps): void {
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
