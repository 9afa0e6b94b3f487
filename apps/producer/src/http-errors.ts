import { type ErrorCode, type FieldIssue, isPyfleetError, PyfleetError } from "@pyfleet/core";
import type { FastifyError, FastifyInstance, FastifyReply } from "fastify";

/** HTTP status of each error code the producer answers with. */
const STATUS: Partial<Record<ErrorCode, number>> = {
  VALIDATION_FAILED: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  THREAD_HAS_RUN: 409,
  PAYLOAD_TOO_LARGE: 413,
  REDIS_UNAVAILABLE: 503,
};

/** The JSON error body: `{ error: { code, message, issues: [{ path, message }] } }`. */
export function errorBody(code: string, message: string, issues: FieldIssue[] = [], details?: Record<string, unknown>) {
  return { error: { code, message, issues, ...(details ? { details } : {}) } };
}

/** Maps Fastify's own parser errors (bad JSON, too large, wrong media type) to client errors. */
function fromFastify(err: FastifyError): { status: number; code: string; message: string; issues: FieldIssue[] } | null {
  switch (err.code) {
    case "FST_ERR_CTP_INVALID_JSON_BODY":
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return { status: 400, code: "VALIDATION_FAILED", message: "request body is not valid JSON", issues: [{ path: "(body)", message: err.message }] };
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return { status: 413, code: "PAYLOAD_TOO_LARGE", message: "request body is larger than producer.body_limit_bytes", issues: [{ path: "(body)", message: err.message }] };
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return { status: 415, code: "VALIDATION_FAILED", message: "send the body as application/json", issues: [{ path: "(content-type)", message: err.message }] };
    default:
      if (typeof err.statusCode === "number" && err.statusCode >= 400 && err.statusCode < 500) {
        return { status: err.statusCode, code: "VALIDATION_FAILED", message: err.message, issues: [] };
      }
      return null;
  }
}

/** Installs the error and not-found handlers: every bad input is a 4xx with a JSON body. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (isPyfleetError(err)) {
      const e = err as PyfleetError;
      const status = STATUS[e.code] ?? (e.category === "validation" ? 400 : 500);
      if (e.code === "REDIS_UNAVAILABLE") reply.header("retry-after", "5");
      else if (status >= 500) req.log.error({ err: e.toJSON() }, "request failed");
      return reply.status(status).send(errorBody(e.code, e.message, e.issues ?? [], e.code === "THREAD_HAS_RUN" ? e.details : undefined));
    }
    const mapped = fromFastify(err);
    if (mapped) return reply.status(mapped.status).send(errorBody(mapped.code, mapped.message, mapped.issues));
    req.log.error({ err }, "request failed");
    return reply.status(500).send(errorBody("INTERNAL", "internal error; see the producer log"));
  });
  app.setNotFoundHandler((req, reply) => {
    reply.status(404).send(errorBody("NOT_FOUND", `no route ${req.method} ${req.url.split("?")[0]}`));
  });
}

/**
 * Fastify's `frameworkErrors` hook: errors raised before routing (a path that is not valid
 * percent-encoding, a path parameter over the router's length limit) in the producer's shape.
 */
export function onFrameworkError(err: FastifyError, _req: unknown, reply: FastifyReply): void {
  const status = typeof err.statusCode === "number" && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 400;
  reply.status(status).send(errorBody("VALIDATION_FAILED", "the request path is not a valid URL", [{ path: "(url)", message: err.message }]));
}

/** Shorthand for a 404 of an unknown run. */
export const runNotFound = (runId: string) => new PyfleetError("NOT_FOUND", `run ${runId} not found`);
