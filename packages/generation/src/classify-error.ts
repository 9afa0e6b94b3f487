import { PyfleetError } from "@pyfleet/core";
import OpenAI from "openai";

/** How one failed HTTP attempt should be handled. */
export type Classified =
  /** Worth another try after a pause (429, 408, 409, 5xx, reset, timeout). */
  | { transient: true; reason: string; status: number | null; retryAfterMs: number | null }
  /** Retrying cannot help: thrown as is. */
  | { transient: false; error: PyfleetError };

/** Facts about the attempt that the classifier cannot see on the error itself. */
export interface AttemptContext {
  baseUrl: string;
  model: string;
  /** Our own per-request deadline fired (as opposed to the caller aborting). */
  timedOut: boolean;
  timeoutMs: number;
  /** The caller's signal aborted: the run was cancelled. */
  cancelled: boolean;
}

/**
 * Maps an error from the openai client (or from reading the stream) onto pyfleet's routes:
 * transient failures are retried inside the call, 4xx are configuration errors naming the
 * endpoint and quoting the server, a caller abort is CANCELLED.
 */
export function classifyError(err: unknown, ctx: AttemptContext): Classified {
  if (ctx.cancelled) {
    return { transient: false, error: new PyfleetError("CANCELLED", "code generation was cancelled", { cause: err }) };
  }
  if (ctx.timedOut || err instanceof OpenAI.APIConnectionTimeoutError) {
    return { transient: true, reason: `no complete reply within ${ctx.timeoutMs} ms`, status: null, retryAfterMs: null };
  }
  if (err instanceof OpenAI.APIError && typeof err.status === "number") {
    const status = err.status;
    if (status === 408 || status === 409 || status === 429 || status >= 500) {
      return { transient: true, reason: `HTTP ${status}: ${serverMessage(err)}`, status, retryAfterMs: retryAfter(err) };
    }
    return {
      transient: false,
      error: new PyfleetError(
        "LLM_CONFIG",
        `the model server at ${ctx.baseUrl} refused the request for model "${ctx.model}" with HTTP ${status}: ${serverMessage(err)}` +
          hint(status),
        { cause: err, details: { status, baseUrl: ctx.baseUrl, model: ctx.model, serverMessage: serverMessage(err) } },
      ),
    };
  }
  if (err instanceof PyfleetError) return { transient: false, error: err };
  // Connection errors (refused, reset before or during the stream), streams that ended without a
  // finish_reason, and SSE errors without status.
  const message = err instanceof Error ? describe(err) : String(err);
  return { transient: true, reason: `connection failed: ${message}`, status: null, retryAfterMs: null };
}

function hint(status: number): string {
  if (status === 401 || status === 403) return " (check the API key in the env var named by models.python_code_generator.api_key_env)";
  if (status === 404) return " (check models.python_code_generator.base_url, usually ending in /v1, and the model or deployment name)";
  return "";
}

/** The server's own error text, without the client's "401 " prefix when possible. */
function serverMessage(err: InstanceType<typeof OpenAI.APIError>): string {
  const body = err.error as { message?: unknown } | undefined;
  if (body && typeof body.message === "string" && body.message) return body.message;
  return err.message;
}

function retryAfter(err: InstanceType<typeof OpenAI.APIError>): number | null {
  const h = err.headers;
  if (!h) return null;
  const ms = Number.parseFloat(h.get("retry-after-ms") ?? "");
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const s = h.get("retry-after");
  if (!s) return null;
  const sec = Number.parseFloat(s);
  if (Number.isFinite(sec) && sec >= 0) return sec * 1000;
  const at = Date.parse(s);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : null;
}

function describe(err: Error): string {
  const cause = (err as { cause?: unknown }).cause;
  const inner = cause instanceof Error ? `: ${cause.message}` : "";
  return `${err.name}: ${err.message}${inner}`;
}
