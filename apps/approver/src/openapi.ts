import { RUN_STATUSES } from "@pyfleet/core";

/** The approver's OpenAPI 3.1 description (served at /openapi.json). */
export function openApiDocument() {
  const error = { $ref: "#/components/schemas/Error" };
  const errors = (...codes: number[]) =>
    Object.fromEntries(codes.map((c) => [String(c), { description: STATUS_TEXT[c], content: { "application/json": { schema: error } } }]));
  return {
    openapi: "3.1.0",
    info: { title: "pyfleet approver", version: "1", description: "Review, approve or reject parked pyfleet runs." },
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
      schemas: {
        Error: {
          type: "object",
          required: ["error"],
          properties: {
            error: {
              type: "object",
              required: ["code", "message"],
              properties: {
                code: { type: "string" },
                message: { type: "string" },
                issues: { type: "array", items: { type: "object", properties: { path: { type: "string" }, message: { type: "string" } } } },
              },
            },
          },
        },
        Decision: {
          type: "object",
          required: ["decision", "codeHash", "reason"],
          additionalProperties: false,
          properties: {
            decision: { enum: ["approve", "reject"] },
            codeHash: { type: "string", pattern: "^[0-9a-f]{64}$", description: "sha256 of the code you reviewed" },
            reason: { type: "string", minLength: 1 },
            feedback: { type: "string", description: "for a rejection: what the generator should change" },
            regenerate: { type: "boolean", description: "for a rejection with feedback: generate new code" },
          },
        },
      },
    },
    security: [{ bearer: [] }],
    paths: {
      "/v1/approvals": {
        get: {
          summary: "List approvals (viewer)",
          parameters: [
            { name: "status", in: "query", schema: { enum: ["pending", "approved", "rejected", "expired", "cancelled"] } },
            { name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: 500 } },
          ],
          responses: { "200": { description: "approvals, newest first" }, ...errors(400, 401, 403) },
        },
      },
      "/v1/approvals/{id}": {
        get: { summary: "One approval with code, findings and votes (viewer)", responses: { "200": { description: "the approval" }, ...errors(401, 403, 404) } },
      },
      "/v1/approvals/{id}/decision": {
        post: {
          summary: "Approve or reject (approver); must quote the code hash shown",
          requestBody: { required: true, content: { "application/json": { schema: { $ref: "#/components/schemas/Decision" } } } },
          responses: { "200": { description: "vote recorded; released=true when it decided the approval, resumed=true when the run was resumed at once (otherwise the approver's sweep resumes it shortly)" }, ...errors(400, 401, 403, 404, 409, 410, 413) },
        },
      },
      "/v1/approvals/events": { get: { summary: "Server-sent events: pending and decided approvals (viewer)", responses: { "200": { description: "text/event-stream" } } } },
      "/v1/me": { get: { summary: "The identity and roles of the bearer token (viewer)", responses: { "200": { description: "{ identity, roles }" }, ...errors(401, 403) } } },
      "/v1/runs": {
        get: {
          summary: "List run records newest first (viewer); status=outcome_unknown lists the runs an admin must reconcile",
          parameters: [
            { name: "status", in: "query", schema: { enum: [...RUN_STATUSES] } },
            { name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: 500, default: 50 } },
            { name: "cursor", in: "query", schema: { type: "string" }, description: "nextCursor of the previous page" },
          ],
          responses: { "200": { description: "{ runs, nextCursor }" }, ...errors(400, 401, 403) },
        },
      },
      "/v1/runs/{id}": {
        get: { summary: "The run record of an approval's run: status, error, result summary (viewer)", responses: { "200": { description: "the run" }, ...errors(401, 403, 404) } },
      },
      "/v1/runs/{id}/reconcile": {
        post: {
          summary: "Settle an outcome_unknown run (admin)",
          requestBody: { required: true, content: { "application/json": { schema: { type: "object", required: ["outcome", "note"], properties: { outcome: { enum: ["succeeded", "failed"] }, note: { type: "string" } } } } } },
          responses: { "200": { description: "run settled" }, ...errors(400, 401, 403, 404, 409) },
        },
      },
      "/healthz": { get: { summary: "Liveness", security: [], responses: { "200": { description: "ok" } } } },
      "/metrics": { get: { summary: "Prometheus metrics", security: [], responses: { "200": { description: "text" } } } },
    },
  };
}

const STATUS_TEXT: Record<number, string> = {
  400: "bad request (body or query invalid; issues name the fields)",
  401: "no or unknown bearer token",
  403: "missing role, or approving your own run",
  404: "no such approval or run",
  409: "codeHash differs from the code under review, or already decided",
  410: "the approval expired",
  413: "body too large",
};
