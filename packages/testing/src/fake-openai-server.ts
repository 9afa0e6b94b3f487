import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/** Token counts the fake reports; defaults are rough estimates from the text lengths. */
export interface FakeUsage {
  prompt_tokens: number;
  completion_tokens: number;
}

/** A successful chat completion. */
export interface FakeReplyStep {
  reply: string;
  /** Defaults to `stop`. */
  finishReason?: "stop" | "length" | "content_filter" | "tool_calls";
  usage?: FakeUsage;
  /** Model name in the reply (defaults to the model the request asked for). */
  model?: string;
  /** Streaming: characters per SSE chunk (default 8). */
  chunkSize?: number;
  /** Streaming: pause between chunks in ms (default 0). */
  chunkDelayMs?: number;
  /** Streaming: destroy the socket after this many content chunks (a reset mid-stream). */
  dropAfterChunks?: number;
  /** Streaming: end the response cleanly after this many content chunks, with no finish_reason and no [DONE]. */
  endAfterChunks?: number;
}

/** A scripted failure. */
export type FakeFailureStep =
  /** An HTTP error with an OpenAI-style error body. */
  | { fail: "status"; status: number; message?: string; body?: unknown; headers?: Record<string, string> }
  /** The socket is destroyed before any response byte (connection reset). */
  | { fail: "drop" }
  /** Nothing is sent for `ms` (longer than the client timeout), then the socket is destroyed. */
  | { fail: "hang"; ms: number };

export type FakeStep = FakeReplyStep | FakeFailureStep;

/** One request as the server saw it. */
export interface RecordedRequest {
  method: string;
  path: string;
  /** Query string without the `?` ("" when none), e.g. Azure's `api-version=...`. */
  query: string;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body (`null` for an empty or non-JSON body). */
  body: unknown;
  at: number;
}

/** The chat message list of a recorded request, for assertions on prompts. */
export interface RecordedMessage {
  role: string;
  content: string;
}

/**
 * An OpenAI-compatible HTTP server on a free loopback port, scripted per test.
 * `/v1/chat/completions` pops one step of the queue per request (streamed as real SSE chunks
 * when the request says `stream: true`); `/v1/models` lists the configured models. Every request
 * is recorded. An empty queue answers 500 with a message saying the script ran out.
 */
export class FakeOpenAIServer {
  /** Base URL ending in `/v1`, ready for the `openai` client's `baseURL`. */
  readonly url: string;
  readonly requests: RecordedRequest[] = [];
  private readonly steps: FakeStep[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed: Promise<void> | null = null;

  private constructor(
    private readonly server: Server,
    private readonly models: string[],
  ) {
    const { port } = server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}/v1`;
  }

  /** Starts a server on 127.0.0.1 with an OS-assigned port. */
  static async start(options: { models?: string[] } = {}): Promise<FakeOpenAIServer> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    const fake = new FakeOpenAIServer(server, options.models ?? ["fake-model"]);
    server.on("connection", (s) => {
      fake.sockets.add(s);
      s.on("close", () => fake.sockets.delete(s));
    });
    server.on("request", (req, res) => {
      fake.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) sendJson(res, 500, errorBody(`fake server failed: ${String(err)}`, "server_error"));
        else res.destroy();
      });
    });
    return fake;
  }

  /** Appends steps; each chat completion request consumes one. */
  enqueue(...steps: FakeStep[]): this {
    this.steps.push(...steps);
    return this;
  }

  /** Steps not yet consumed. */
  get pending(): number {
    return this.steps.length;
  }

  /** Recorded chat completion requests only. */
  get chatRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.path.endsWith("/chat/completions"));
  }

  /** Messages of the n-th chat completion request (0-based). */
  messagesOf(n: number): RecordedMessage[] {
    const body = this.chatRequests[n]?.body as { messages?: RecordedMessage[] } | undefined;
    if (!body?.messages) throw new Error(`no chat completion request #${n} (got ${this.chatRequests.length})`);
    return body.messages;
  }

  /** Stops listening and destroys open sockets. Idempotent. */
  close(): Promise<void> {
    if (!this.closed) {
      for (const t of this.timers) clearTimeout(t);
      this.timers.clear();
      this.closed = new Promise<void>((resolve) => {
        this.server.close(() => resolve());
        for (const s of this.sockets) s.destroy();
      });
    }
    return this.closed;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const [path = "/", query = ""] = (req.url ?? "/").split("?", 2);
    let body: unknown = null;
    try {
      body = raw.length > 0 ? JSON.parse(raw) : null;
    } catch {
      body = null;
    }
    this.requests.push({ method: req.method ?? "GET", path, query, headers: { ...req.headers }, body, at: Date.now() });

    if (req.method === "GET" && /\/models$/.test(path)) {
      sendJson(res, 200, {
        object: "list",
        data: this.models.map((id) => ({ id, object: "model", created: 0, owned_by: "fake" })),
      });
      return;
    }
    if (req.method !== "POST" || !/\/chat\/completions$/.test(path)) {
      sendJson(res, 404, errorBody(`fake server: no route ${req.method} ${path}`, "invalid_request_error"));
      return;
    }
    const step = this.steps.shift();
    if (!step) {
      sendJson(res, 500, errorBody("fake server: the test scripted no step for this request", "server_error"));
      return;
    }
    const request = (body ?? {}) as ChatRequest;
    if ("fail" in step) return this.failWith(step, req, res);
    if (request.stream) return this.stream(step, request, res);
    sendJson(res, 200, completion(step, request));
  }

  private failWith(step: FakeFailureStep, req: IncomingMessage, res: ServerResponse): void {
    if (step.fail === "drop") {
      req.socket.destroy();
      return;
    }
    if (step.fail === "hang") {
      const t = setTimeout(() => {
        this.timers.delete(t);
        req.socket.destroy();
      }, step.ms);
      this.timers.add(t);
      return;
    }
    const type = step.status === 429 ? "rate_limit_error" : step.status >= 500 ? "server_error" : "invalid_request_error";
    const body = step.body ?? errorBody(step.message ?? `fake error ${step.status}`, type);
    sendJson(res, step.status, body, step.headers);
  }

  private async stream(step: FakeReplyStep, request: ChatRequest, res: ServerResponse): Promise<void> {
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
    const id = `chatcmpl-${randomBytes(6).toString("hex")}`;
    const created = Math.floor(Date.now() / 1000);
    const model = step.model ?? request.model ?? "fake-model";
    const withUsage = request.stream_options?.include_usage === true;
    const base = { id, object: "chat.completion.chunk", created, model, system_fingerprint: "fake" };
    const send = (chunk: Record<string, unknown>) =>
      res.write(`data: ${JSON.stringify({ ...base, ...chunk, ...(withUsage ? { usage: null } : {}) })}\n\n`);

    send({ choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }] });
    const size = Math.max(1, step.chunkSize ?? 8);
    let sent = 0;
    for (let i = 0; i < step.reply.length; i += size) {
      if (step.dropAfterChunks !== undefined && sent >= step.dropAfterChunks) {
        // Let the chunks already written reach the client first, as a real mid-stream reset does.
        await new Promise<void>((resolve) => res.write("", () => resolve()));
        await new Promise((r) => setTimeout(r, 20));
        res.socket?.destroy();
        return;
      }
      if (step.endAfterChunks !== undefined && sent >= step.endAfterChunks) {
        res.end();
        return;
      }
      if (step.chunkDelayMs) await new Promise((r) => setTimeout(r, step.chunkDelayMs));
      if (res.destroyed) return;
      send({ choices: [{ index: 0, delta: { content: step.reply.slice(i, i + size) }, finish_reason: null }] });
      sent++;
    }
    send({ choices: [{ index: 0, delta: {}, finish_reason: step.finishReason ?? "stop" }] });
    if (withUsage) {
      const usage = usageOf(step, request);
      res.write(`data: ${JSON.stringify({ ...base, choices: [], usage })}\n\n`);
    }
    res.end("data: [DONE]\n\n");
  }
}

interface ChatRequest {
  model?: string;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  messages?: { content?: unknown }[];
}

function completion(step: FakeReplyStep, request: ChatRequest): Record<string, unknown> {
  return {
    id: `chatcmpl-${randomBytes(6).toString("hex")}`,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: step.model ?? request.model ?? "fake-model",
    system_fingerprint: "fake",
    choices: [
      {
        index: 0,
        message: { role: "assistant", content: step.reply, refusal: null },
        logprobs: null,
        finish_reason: step.finishReason ?? "stop",
      },
    ],
    usage: usageOf(step, request),
  };
}

function usageOf(step: FakeReplyStep, request: ChatRequest) {
  const promptChars = (request.messages ?? []).reduce(
    (n, m) => n + (typeof m.content === "string" ? m.content.length : 0),
    0,
  );
  const u = step.usage ?? {
    prompt_tokens: Math.ceil(promptChars / 4),
    completion_tokens: Math.ceil(step.reply.length / 4),
  };
  return { ...u, total_tokens: u.prompt_tokens + u.completion_tokens };
}

function errorBody(message: string, type: string) {
  return { error: { message, type, param: null, code: null } };
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on("data", (c: Buffer) => parts.push(c));
    req.on("end", () => resolve(Buffer.concat(parts).toString("utf8")));
    req.on("error", reject);
  });
}
