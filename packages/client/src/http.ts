import { ERROR_CODES, type ErrorCode, type FieldIssue, PyfleetError } from "@pyfleet/core";

/** Connection settings of a client. */
export interface HttpOptions {
  /** Producer base URL, e.g. `http://127.0.0.1:8080`; default `PYFLEET_URL`, else http://127.0.0.1:8080. */
  baseUrl?: string;
  /** Same as `baseUrl` (the name `getRegistry` uses); give one of the two. */
  url?: string;
  /** Bearer token (when the producer has `producer.tokens`); default `PYFLEET_TOKEN`. */
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

/** The default producer URL when neither an option nor `PYFLEET_URL` names one. */
export const DEFAULT_PRODUCER_URL = "http://127.0.0.1:8080";

/**
 * Resolves the URL and token of a client: `baseUrl` or `url` (not two different ones), else
 * `PYFLEET_URL`; `token`, else `PYFLEET_TOKEN` (the one name `pyfleet dev` prints and the
 * approver CLI reads too).
 * @throws PyfleetError `VALIDATION_FAILED` when `baseUrl` and `url` disagree or are not URLs.
 */
export function resolveTarget(opts: HttpOptions, env: Record<string, string | undefined> = process.env): { baseUrl: string; token?: string } {
  if (opts.baseUrl !== undefined && opts.url !== undefined && opts.baseUrl !== opts.url) {
    throw new PyfleetError("VALIDATION_FAILED", `give the producer URL once: baseUrl ${opts.baseUrl} and url ${opts.url} differ`, {
      issues: [{ path: "url", message: "baseUrl and url are the same option; pass one" }],
    });
  }
  const baseUrl = opts.baseUrl ?? opts.url ?? env.PYFLEET_URL ?? DEFAULT_PRODUCER_URL;
  if (!/^https?:\/\/[^\s]+$/i.test(baseUrl)) {
    throw new PyfleetError("VALIDATION_FAILED", `producer URL ${JSON.stringify(baseUrl)} is not an http(s) URL`, {
      issues: [{ path: opts.baseUrl !== undefined ? "baseUrl" : opts.url !== undefined ? "url" : "PYFLEET_URL", message: "must start with http:// or https://" }],
    });
  }
  const token = opts.token ?? env.PYFLEET_TOKEN;
  return { baseUrl, ...(token ? { token } : {}) };
}

/** A small JSON-over-HTTP helper bound to one producer. */
export class Http {
  private readonly base: string;
  private readonly token: string | undefined;
  private readonly fetchImpl: typeof fetch;

  constructor(opts: HttpOptions, env: Record<string, string | undefined> = process.env) {
    const t = resolveTarget(opts, env);
    this.base = t.baseUrl.replace(/\/+$/, "");
    this.token = t.token;
    this.fetchImpl = opts.fetch ?? fetch;
  }

  /** The base URL requests go to (no trailing slash). */
  get baseUrl(): string {
    return this.base;
  }

  headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...(this.token ? { authorization: `Bearer ${this.token}` } : {}), ...extra };
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
