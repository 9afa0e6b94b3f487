import { type Logger, PyfleetError } from "@pyfleet/core";
import { classifyError } from "./classify-error.js";

/** How transient failures are retried inside one `generate` call. */
export interface RetryPolicy {
  /** Retries after the first try (`max_retries`). */
  maxRetries: number;
  /** First delay; doubles per retry up to `backoffMaxMs`. */
  backoffMs: number;
  backoffMaxMs: number;
  /** Deadline of one try, including the whole streamed body. */
  timeoutMs: number;
}

export interface RetryContext {
  policy: RetryPolicy;
  /** Named in errors and logs. */
  baseUrl: string;
  model: string;
  /** The caller's cancellation. */
  signal: AbortSignal | undefined;
  log: Logger;
}

/**
 * Runs `attempt` until it succeeds, a non-transient error occurs, or the budget is spent.
 * Each try gets its own signal that fires on the deadline or on the caller's abort (the openai
 * client's own timeout stops at the response headers, which would let a stalled stream hang).
 * @throws PyfleetError LLM_UNAVAILABLE (infrastructure, retryable) past the budget,
 *   LLM_CONFIG on 4xx, CANCELLED when the caller aborts.
 */
export async function withRetries<T>(attempt: (signal: AbortSignal) => Promise<T>, ctx: RetryContext): Promise<T> {
  const { policy, signal, log } = ctx;
  const total = policy.maxRetries + 1;
  let lastReason = "";
  let lastStatus: number | null = null;
  for (let i = 0; i < total; i++) {
    if (signal?.aborted) throw cancelled();
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, policy.timeoutMs);
    const onAbort = () => controller.abort();
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      return await attempt(controller.signal);
    } catch (err) {
      const c = classifyError(err, {
        baseUrl: ctx.baseUrl,
        model: ctx.model,
        timedOut,
        timeoutMs: policy.timeoutMs,
        cancelled: signal?.aborted === true,
      });
      if (!c.transient) throw c.error;
      lastReason = c.reason;
      lastStatus = c.status;
      if (i + 1 < total) {
        const delay = backoff(policy, i, c.retryAfterMs);
        log.warn({ reason: c.reason, retryInMs: delay, try: i + 1, of: total }, "model request failed; retrying");
        await sleep(delay, signal);
      }
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }
  }
  throw new PyfleetError(
    "LLM_UNAVAILABLE",
    `model "${ctx.model}" at ${ctx.baseUrl} gave no reply after ${total} tries; last: ${lastReason}`,
    { details: { baseUrl: ctx.baseUrl, model: ctx.model, tries: total, lastStatus, lastReason } },
  );
}

/** Exponential backoff with ±25 % jitter; a server's Retry-After wins, capped at the maximum. */
export function backoff(policy: RetryPolicy, retry: number, retryAfterMs: number | null): number {
  if (retryAfterMs !== null) return Math.min(retryAfterMs, policy.backoffMaxMs);
  const base = Math.min(policy.backoffMs * 2 ** retry, policy.backoffMaxMs);
  return Math.round(base * (0.75 + Math.random() * 0.5));
}

function cancelled(): PyfleetError {
  return new PyfleetError("CANCELLED", "code generation was cancelled");
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(cancelled());
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(cancelled());
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
