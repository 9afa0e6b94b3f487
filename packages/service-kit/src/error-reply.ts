import { type FieldIssue, httpStatusOf, isPyfleetError, PyfleetError } from "@pyfleet/core";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

/** The JSON error body of every service: `{ error: { code, message, issues: [{ path, message }], details? } }`. */
export function errorBody(code: string, message: string, issues: FieldIssue[] = [], details?: Record<string, unknown>) {
  return { error: { code, message, issues, ...(details ? { details } : {}) } };
}

export interface ErrorReplyOptions {
  /** Service name for the 500 message ("see the producer log"). */
  service: string;
  /** Config key of the body limit, named in a 413 ("producer.body_limit_bytes"). */
  bodyLimitSetting: string;
  /** Codes whose `details` are part of the answer (the producer's THREAD_HAS_RUN names the run). */
  detailsOf?: readonly string[];
}

/** Where a schema-validation issue sits when it is about the whole part, not one field. */
const ROOT_OF: Record<string, string> = { body: "(root)", querystring: "(query)", params: "(url)", headers: "(headers)" };

/**
 * Issues of a failed route-schema validation (fastify-type-provider-zod puts the zod issues on
 * `err.validation` with an `instancePath` like `/expected_results/a`): dotted field paths, as
 * core's `zodIssues` writes them.
 */
export function validationIssues(err: FastifyError): FieldIssue[] {
  const root = ROOT_OF[err.validationContext ?? "body"] ?? "(root)";
  return (err.validation ?? []).map((v) => {
    const segments = v.instancePath.replace(/^\//, "").split("/").filter(Boolean);
    // Fastify's wildcard parameter (`/artifacts/*`) is documented as `path`.
    if (err.validationContext === "params" && segments[0] === "*") segments[0] = "path";
    const path = segments.join(".");
    return { path: path || root, message: v.message ?? "invalid" };
  });
}

/** Fastify's own parser errors (bad JSON, too large, wrong media type) as client errors. */
function fromFastify(err: FastifyError, opts: ErrorReplyOptions): { status: number; body: ReturnType<typeof errorBody> } | null {
  if (Array.isArray(err.validation)) {
    const issues = validationIssues(err);
    const summary = issues.map((i) => `${i.path}: ${i.message}`).join("; ");
    const parts: Record<string, string> = { body: "request body", querystring: "query", params: "path", headers: "headers" };
    const part = parts[err.validationContext ?? "body"] ?? "request";
    return { status: 400, body: errorBody("VALIDATION_FAILED", `invalid ${part}: ${summary}`, issues) };
  }
  switch (err.code) {
    case "FST_ERR_CTP_INVALID_JSON_BODY":
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return { status: 400, body: errorBody("VALIDATION_FAILED", `request body is not valid JSON: ${err.message}`, [{ path: "(body)", message: err.message }]) };
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return {
        status: 413,
        body: errorBody("PAYLOAD_TOO_LARGE", `request body is larger than ${opts.bodyLimitSetting}`, [{ path: "(body)", message: err.message }]),
      };
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return { status: 415, body: errorBody("VALIDATION_FAILED", "send the body as application/json", [{ path: "(content-type)", message: err.message }]) };
    default:
      if (typeof err.statusCode === "number" && err.statusCode >= 400 && err.statusCode < 500) {
        return { status: err.statusCode, body: errorBody(err.statusCode === 413 ? "PAYLOAD_TOO_LARGE" : "VALIDATION_FAILED", err.message, [{ path: "(body)", message: err.message }]) };
      }
      // A proxied service that is down or slow (the console's pass-through) keeps its gateway status.
      if (err.statusCode === 502 || err.statusCode === 503 || err.statusCode === 504) {
        return { status: err.statusCode, body: errorBody("BACKEND_UNAVAILABLE", err.message) };
      }
      return null;
  }
}

/**
 * Installs the error and not-found handlers every service shares: a PyfleetError answers with
 * core's {@link httpStatusOf} its code, bad input is a 4xx naming the field, never a 500, and
 * every error leaves as {@link errorBody}.
 */
export function installErrorHandler(app: FastifyInstance, opts: ErrorReplyOptions): void {
  app.setErrorHandler((err: FastifyError | PyfleetError, req: FastifyRequest, reply: FastifyReply) => {
    if (isPyfleetError(err)) {
      const e = err as PyfleetError;
      const status = httpStatusOf(e.code);
      if (e.code === "REDIS_UNAVAILABLE") reply.header("retry-after", "5");
      else if (status >= 500) req.log.error({ err: e.toJSON() }, "request failed");
      return reply.status(status).send(errorBody(e.code, e.message, e.issues ?? [], opts.detailsOf?.includes(e.code) ? e.details : undefined));
    }
    const mapped = fromFastify(err as FastifyError, opts);
    if (mapped) return reply.status(mapped.status).send(mapped.body);
    req.log.error({ err }, "request failed");
    return reply.status(500).send(errorBody("INTERNAL", `internal error; see the ${opts.service} log`));
  });
  app.setNotFoundHandler((req, reply) => {
    reply.status(404).send(errorBody("NOT_FOUND", `no route ${req.method} ${req.url.split("?")[0]}`));
  });
}

/**
 * Fastify's `frameworkErrors` hook: errors raised before routing (a path that is not valid
 * percent-encoding, a path parameter over the router's length limit) in the services' shape.
 */
export function onFrameworkError(err: FastifyError, _req: unknown, reply: FastifyReply): void {
  const status = typeof err.statusCode === "number" && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 400;
  reply.status(status).send(errorBody("VALIDATION_FAILED", "the request path is not a valid URL", [{ path: "(url)", message: err.message }]));
}

/** Shorthand for a 404 of an unknown run. */
export const runNotFound = (runId: string) => new PyfleetError("NOT_FOUND", `run ${runId} not found`);
