import { ERROR_CODES, type ErrorCode, type FieldIssue, PyfleetError } from "@pyfleet/core";

/** Connection settings of a client. */
export interface HttpOptions {
  /** Producer base URL, e.g. `http://127.0.0.1:8080`. */
  baseUrl: string;
  /** Bearer token (when the producer has `producer.tokens`). */
  token?: string;
  /** fetch implementation (defaults to the global one). */
  fetch?: typeof fetch;
}

/** Turns a producer error reply into a typed PyfleetError (same code, issues and details). */
export async function errorFromResponse(res: Response, what: string): Promise<PyfleetError> {
  let body: { error?: { code?: string; message?: string; issues?: FieldIssue[]; details?: Record<string, unknown> } } = {};
  try {
    body = (await res.json()) as typeof body;
  } catch {
    body = {};
  }
  const e = body.error ?? {};
  const code: ErrorCode = e.code && e.code in ERROR_CODES ? (e.code as ErrorCode) : res.status >= 500 ? "INTERNAL" : "VALIDATION_FAILED";
  return new PyfleetError(code, `${what}: HTTP ${res.status}: ${e.message ?? res.statusText}`, {
    details: { status: res.status, ...(e.details ?? {}) },
    ...(e.issues ? { issues: e.issues } : {}),
  });
}

/** A small JSON-over-HTTP helper bound to one producer. */
export class Http {
  private readonly base: string;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly opts: HttpOptions) {
    this.base = opts.baseUrl.replace(/\/+$/, "");
    this.fetchImpl = opts.fetch ?? fetch;
  }

  headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...(this.opts.token ? { authorization: `Bearer ${this.opts.token}` } : {}), ...extra };
  }

  url(path: string): string {
    return `${this.base}${path}`;
  }

  /** Raw request; network failures become `BACKEND_UNAVAILABLE`. */
  async raw(path: string, init: RequestInit = {}): Promise<Response> {
    try {
      return await this.fetchImpl(this.url(path), { ...init, headers: { ...this.headers(), ...((init.headers as Record<string, string>) ?? {}) } });
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      throw new PyfleetError("BACKEND_UNAVAILABLE", `pyfleet producer at ${this.base} is unreachable: ${(err as Error).message}`, { cause: err });
    }
  }

  /** JSON request; a non-2xx reply throws the typed error. */
  async json<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    const res = await this.raw(path, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }),
      ...(signal ? { signal } : {}),
    });
    if (!res.ok) throw await errorFromResponse(res, `${method} ${path}`);
    return (await res.json()) as T;
  }
}
