import { EXECUTION_METHODS, makeRequestSchema, RUN_STATUSES, RunEventSchema, RunRecordSchema, RunStatusSchema } from "@pyfleet/core";
import { z } from "zod";
import { PublicRunSchema } from "./public-run-schema.js";

const errorRef = { $ref: "#/components/schemas/Error" };
const errors = (...codes: number[]) =>
  Object.fromEntries(codes.map((c) => [String(c), { description: "error", content: { "application/json": { schema: errorRef } } }]));
const runIdParam = { name: "id", in: "path", required: true, schema: { type: "string" } };
const ok = (description: string, name: string) => ({ description, content: { "application/json": { schema: { $ref: `#/components/schemas/${name}` } } } });
/** Response bodies, generated from the same zod contracts the producer answers with (clients check theirs against them). */
const responseSchemas = {
  SubmittedRun: z.object({ runId: z.string(), threadId: z.string(), status: RunStatusSchema }),
  RunRecord: RunRecordSchema,
  RunDetails: PublicRunSchema,
  RunList: z.object({ runs: z.array(RunRecordSchema), nextCursor: z.string().nullable() }),
  RunEvent: RunEventSchema,
  CancelledRun: z.object({ runId: z.string(), status: RunStatusSchema }),
};

/** The producer API as OpenAPI 3.1 (request schema generated from the zod contract). */
export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: "3.1.0",
    info: { title: "pyfleet producer API", version: "1" },
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
      schemas: {
        PythonExecutionRequest: z.toJSONSchema(makeRequestSchema(), { io: "input", unrepresentable: "any" }),
        ...Object.fromEntries(Object.entries(responseSchemas).map(([k, v]) => [k, z.toJSONSchema(v, { io: "output", unrepresentable: "any" })])),
        Error: {
          type: "object",
          required: ["error"],
          properties: {
            error: {
              type: "object",
              required: ["code", "message", "issues"],
              properties: {
                code: { type: "string" },
                message: { type: "string" },
                issues: { type: "array", items: { type: "object", properties: { path: { type: "string" }, message: { type: "string" } } } },
              },
            },
          },
        },
      },
    },
    security: [{ bearer: [] }],
    paths: {
      "/v1/runs": {
        post: {
          summary: "Submit a run",
          parameters: [
            {
              name: "execution_method",
              in: "query",
              description: "backend of this run (wins over the body's execution_method); must be in execution.allowed_methods",
              schema: { type: "string", enum: [...EXECUTION_METHODS] },
            },
          ],
          requestBody: { required: true, content: { "application/json": { schema: { $ref: "#/components/schemas/PythonExecutionRequest" } } } },
          responses: {
            "202": ok("accepted", "SubmittedRun"),
            ...errors(400, 401, 409, 413, 415),
          },
        },
        get: {
          summary: "List runs, newest first",
          parameters: [
            { name: "status", in: "query", schema: { type: "string", enum: [...RUN_STATUSES] } },
            { name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: 500, default: 50 } },
            { name: "cursor", in: "query", schema: { type: "string" } },
          ],
          responses: { "200": ok("a page of runs", "RunList"), ...errors(400, 401) },
        },
      },
      "/v1/runs/{id}": { get: { summary: "A run with its final result", parameters: [runIdParam], responses: { "200": ok("the run", "RunDetails"), ...errors(400, 401, 404) } } },
      "/v1/runs/{id}/events": {
        get: {
          summary: "Run events as Server-Sent Events; resumable with Last-Event-ID",
          parameters: [runIdParam, { name: "Last-Event-ID", in: "header", schema: { type: "string" } }],
          responses: {
            "200": { description: "text/event-stream; each `data:` line is one RunEvent", content: { "text/event-stream": { schema: { $ref: "#/components/schemas/RunEvent" } } } },
            ...errors(400, 401, 404),
          },
        },
      },
      "/v1/runs/{id}/notebook": { get: { summary: "The run's final notebook (.ipynb)", parameters: [runIdParam], responses: { "200": { description: "notebook" }, ...errors(400, 401, 404) } } },
      "/v1/runs/{id}/artifacts/{path}": {
        get: {
          summary: "A file of the run folder (figures, results.json)",
          parameters: [runIdParam, { name: "path", in: "path", required: true, schema: { type: "string" } }],
          responses: { "200": { description: "file" }, ...errors(400, 401, 404) },
        },
      },
      "/v1/runs/{id}/cancel": { post: { summary: "Cancel a run", parameters: [runIdParam], responses: { "202": ok("cancel requested", "CancelledRun"), ...errors(400, 401, 404) } } },
      "/healthz": { get: { summary: "Liveness", security: [], responses: { "200": { description: "ok" } } } },
      "/metrics": { get: { summary: "Prometheus metrics", security: [], responses: { "200": { description: "text" } } } },
    },
  };
}
