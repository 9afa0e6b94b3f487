import { readSse, type SseMessage } from "./sse.js";

/** The two services behind the console server (`/api/producer`, `/api/approver`). */
export type Service = "producer" | "approver";

const TOKEN_KEY = "pyfleet-console-token";

/** An API error with the service's error code. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Token handling and typed calls to both services. */
export const api = {
  get token(): string {
    return sessionStorage.getItem(TOKEN_KEY) ?? "";
  },
  set token(t: string) {
    if (t) sessionStorage.setItem(TOKEN_KEY, t);
    else sessionStorage.removeItem(TOKEN_KEY);
  },

  url(service: Service, path: string): string {
    return `/api/${service}${path}`;
  },

  async fetch(service: Service, path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (api.token) headers.set("authorization", `Bearer ${api.token}`);
    return fetch(api.url(service, path), { ...init, headers });
  },

  /** JSON call; a non-2xx reply throws an ApiError with the service's message. */
  async json<T>(service: Service, path: string, init: RequestInit & { body?: string } = {}): Promise<T> {
    const headers = new Headers(init.headers);
    if (init.body !== undefined) headers.set("content-type", "application/json");
    const res = await api.fetch(service, path, { ...init, headers });
    const body = (await res.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
    if (!res.ok) throw new ApiError(res.status, body.error?.code ?? "HTTP_" + res.status, body.error?.message ?? res.statusText);
    return body as T;
  },

  /** Fetches a file with the token and hands back an object URL (for img src and downloads). */
  async blobUrl(service: Service, path: string): Promise<string> {
    const res = await api.fetch(service, path);
    if (!res.ok) throw new ApiError(res.status, "HTTP_" + res.status, `${path}: ${res.statusText}`);
    return URL.createObjectURL(await res.blob());
  },

  /**
   * Follows an SSE endpoint until `signal` aborts, reconnecting after drops (1 s back-off).
   * `onOpen` runs on each (re)connection so callers can re-read state they may have missed.
   */
  async stream(service: Service, path: string, onMessage: (m: SseMessage) => void, signal: AbortSignal, onOpen?: () => void): Promise<void> {
    while (!signal.aborted) {
      try {
        const res = await api.fetch(service, path, { headers: { accept: "text/event-stream" }, signal });
        if (!res.ok || !res.body) throw new ApiError(res.status, "HTTP_" + res.status, res.statusText);
        onOpen?.();
        for await (const m of readSse(res.body)) onMessage(m);
      } catch {
        if (signal.aborted) return;
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  },
};
