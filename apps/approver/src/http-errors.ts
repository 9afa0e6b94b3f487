import { type ErrorCode, isPyfleetError, PyfleetError } from "@pyfleet/core";
import type { FastifyError, FastifyInstance } from "fastify";

const STATUS: Partial<Record<ErrorCode, number>> = {
  VALIDATION_FAILED: 400,
  UNAUTHORIZED: 401,
  APPROVAL_FORBIDDEN: 403,
  NOT_FOUND: 404,
  APPROVAL_NOT_FOUND: 404,
  APPROVAL_HASH_MISMATCH: 409,
  APPROVAL_ALREADY_DECIDED: 409,
  RUN_NOT_RECONCILABLE: 409,
  THREAD_HAS_RUN: 409,
  APPROVAL_EXPIRED: 410,
  PAYLOAD_TOO_LARGE: 413,
  REDIS_UNAVAILABLE: 503,
};

/** HTTP status for a PyfleetError code (500 for anything not caused by the caller). */
export function statusFor(code: ErrorCode): number {
  return STATUS[code] ?? 500;
}

/**
 * Every error leaves as `{ error: { code, message, issues? } }` with a sentence; Fastify's own
 * parse errors (bad JSON, too large, wrong content type) keep their 4xx status — bad input is
 * never a 500.
 */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | PyfleetError, req, reply) => {
    if (isPyfleetError(err)) {
      const e = err as PyfleetError;
      const status = statusFor(e.code);
      if (e.code === "REDIS_UNAVAILABLE") reply.header("retry-after", "5");
      else if (status >= 500) req.log.error({ err: e }, "request failed");
      return reply.status(status).send({ error: { code: e.code, message: e.message, ...(e.issues ? { issues: e.issues } : {}) } });
    }
    const fe = err as FastifyError;
    const status = fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500 ? fe.statusCode : 500;
    if (status >= 500) {
      req.log.error({ err }, "request failed");
      return reply.status(500).send({ error: { code: "INTERNAL", message: "internal error; see the approver log" } });
    }
    const code = status === 413 ? "PAYLOAD_TOO_LARGE" : "VALIDATION_FAILED";
    const message =
      status === 413
        ? "request body is larger than approver_http.body_limit_bytes"
        : fe.code === "FST_ERR_CTP_INVALID_JSON_BODY" || /JSON/i.test(fe.message)
          ? `request body is not valid JSON: ${fe.message}`
          : fe.message;
    return reply.status(status).send({ error: { code, message, issues: [{ path: "(body)", message }] } });
  });
  app.setNotFoundHandler((req, reply) =>
    reply.status(404).send({ error: { code: "NOT_FOUND", message: `no route ${req.method} ${req.url}` } }),
  );
}

/** Throws a validation error naming the field. */
export function badRequest(path: string, message: string): never {
  throw new PyfleetError("VALIDATION_FAILED", `${path}: ${message}`, { issues: [{ path, message }] });
}
