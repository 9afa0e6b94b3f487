import {
  type ArtifactRef,
  type ExecutionMethod,
  isTerminalStatus,
  type PublicResult,
  type PublicRun,
  PyfleetError,
  type PythonExecutionRequestInput,
  type RunRecord,
  type RunEvent,
  type RunStatus,
} from "@pyfleet/core";
import { errorFromResponse, Http, type HttpOptions } from "./http.js";
import { parseSse } from "./sse.js";

/** The final result as the producer shows it (core's {@link PublicResult}): paths relative to the run folder, plus their URLs. */
export type RunResult = PublicResult;

/**
 * A run as the producer returns it (core's {@link PublicRun}, the schema the producer documents
 * in `/openapi.json`): the record, every attempt, the final result once finished, the pending
 * approval, the request without its context. Files are {@link ArtifactRef}s.
 */
export type RunDetails = PublicRun;

export interface SubmittedRun {
  runId: string;
  threadId: string;
  status: RunStatus;
}

export interface WaitOptions {
  /** Give up after this long (rejects with `WAIT_TIMEOUT`); default 10 minutes. */
  timeoutMs?: number;
  /** Also resolve when the run parks at `awaiting_approval`. */
  untilApproval?: boolean;
  signal?: AbortSignal;
}

export interface EventsOptions {
  /** Resume after this event id (from an earlier stream). */
  lastEventId?: string;
  /** Reconnect attempts after a dropped connection before giving up; default 10. */
  maxReconnects?: number;
  signal?: AbortSignal;
  /** false: only the events stored so far, then stop (no waiting for the run to end). */
  follow?: boolean;
}

/**
 * Typed SDK of the producer API: submit runs, read and list them, wait for the end, stream
 * their events (reconnecting with Last-Event-ID), cancel them. Errors are `PyfleetError`s with
 * the producer's code and field issues.
 */
export class PyfleetClient {
  private readonly http: Http;

  /**
   * @param options `baseUrl` (or its alias `url`; default `PYFLEET_URL`) and `token` (default
   *   `PYFLEET_TOKEN`); with no options at all the client talks to the fleet of the environment.
   * @param env where the defaults are read (default `process.env`).
   * @throws PyfleetError `VALIDATION_FAILED` for a URL that is not http(s) or two different URLs.
   */
  constructor(
    readonly options: HttpOptions = {},
    env: Record<string, string | undefined> = process.env,
  ) {
    this.http = new Http(options, env);
  }

  /** The producer URL this client talks to. */
  get baseUrl(): string {
    return this.http.baseUrl;
  }

  submit(request: PythonExecutionRequestInput, opts: { executionMethod?: ExecutionMethod } = {}): Promise<SubmittedRun> {
    const q = opts.executionMethod ? `?execution_method=${opts.executionMethod}` : "";
    return this.http.json<SubmittedRun>("POST", `/v1/runs${q}`, request);
  }

  get(runId: string): Promise<RunDetails> {
    return this.http.json<RunDetails>("GET", `/v1/runs/${encodeURIComponent(runId)}`);
  }

  list(opts: { status?: RunStatus; limit?: number; cursor?: string } = {}): Promise<{ runs: RunRecord[]; nextCursor: string | null }> {
    const q = new URLSearchParams();
    if (opts.status) q.set("status", opts.status);
    if (opts.limit) q.set("limit", String(opts.limit));
    if (opts.cursor) q.set("cursor", opts.cursor);
    const qs = q.toString();
    return this.http.json("GET", `/v1/runs${qs ? `?${qs}` : ""}`);
  }

  cancel(runId: string): Promise<{ runId: string; status: RunStatus }> {
    return this.http.json("POST", `/v1/runs/${encodeURIComponent(runId)}/cancel`);
  }

  /**
   * Resolves with the run once it is terminal (any terminal status: check `status`), or parked
   * for approval when `untilApproval` is set.
   * @throws PyfleetError `WAIT_TIMEOUT` after `timeoutMs`, `NOT_FOUND` for an unknown run.
   */
  async wait(runId: string, opts: WaitOptions = {}): Promise<RunDetails> {
    const deadline = Date.now() + (opts.timeoutMs ?? 600_000);
    let delay = 50;
    for (;;) {
      const run = await this.get(runId);
      if (isTerminalStatus(run.status) || (opts.untilApproval && run.status === "awaiting_approval")) return run;
      if (opts.signal?.aborted) throw new PyfleetError("CANCELLED", `wait for run ${runId} aborted`);
      if (Date.now() >= deadline) {
        throw new PyfleetError("WAIT_TIMEOUT", `run ${runId} still ${run.status} after ${opts.timeoutMs ?? 600_000} ms`, {
          details: { runId, status: run.status },
        });
      }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 1000);
    }
  }

  /**
   * The run's events in order, as an async iterator that ends after the `finished` event.
   * A dropped connection is resumed with `Last-Event-ID`, so no event is lost or repeated.
   */
  async *events(runId: string, opts: EventsOptions = {}): AsyncGenerator<RunEvent> {
    let last = opts.lastEventId ?? null;
    let reconnects = 0;
    const max = opts.maxReconnects ?? 10;
    for (;;) {
      let res: Response;
      try {
        res = await this.http.raw(`/v1/runs/${encodeURIComponent(runId)}/events${opts.follow === false ? "?follow=0" : ""}`, {
          headers: { accept: "text/event-stream", ...(last ? { "last-event-id": last } : {}) },
          ...(opts.signal ? { signal: opts.signal } : {}),
        });
      } catch (err) {
        if (opts.signal?.aborted || ++reconnects > max) throw err;
        await new Promise((r) => setTimeout(r, 200 * reconnects));
        continue;
      }
      if (!res.ok || !res.body) throw await errorFromResponse(res, `GET /v1/runs/${runId}/events`);
      try {
        for await (const msg of parseSse(res.body)) {
          const event = JSON.parse(msg.data) as RunEvent;
          if (msg.id) last = msg.id;
          reconnects = 0;
          yield event;
          if (event.type === "finished") return;
        }
      } catch (err) {
        if (opts.signal?.aborted) throw err;
      }
      if (opts.follow === false) return;
      const run = await this.get(runId);
      if (isTerminalStatus(run.status) && last !== null) {
        const rest = await this.drain(runId, last);
        for (const e of rest) yield e;
        return;
      }
      if (++reconnects > max) throw new PyfleetError("BACKEND_UNAVAILABLE", `event stream of run ${runId} keeps dropping`);
      await new Promise((r) => setTimeout(r, 100 * reconnects));
    }
  }

  /** Events after `last` of a finished run (one more short-lived stream). */
  private async drain(runId: string, last: string): Promise<RunEvent[]> {
    const res = await this.http.raw(`/v1/runs/${encodeURIComponent(runId)}/events`, { headers: { "last-event-id": last } });
    if (!res.ok || !res.body) return [];
    const out: RunEvent[] = [];
    for await (const msg of parseSse(res.body)) out.push(JSON.parse(msg.data) as RunEvent);
    return out;
  }
}
