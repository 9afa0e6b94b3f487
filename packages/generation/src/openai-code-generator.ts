import {
  type CodeGenerator,
  type GeneratedCode,
  type GenerateInput,
  type Logger,
  PyfleetError,
  runLogger,
  silentLogger,
  type TokenUsage,
} from "@pyfleet/core";
import type OpenAI from "openai";
import { classifyError } from "./classify-error.js";
import { createClient, effectiveBaseUrl } from "./client.js";
import { extractCode } from "./extract-code.js";
import { type GeneratorOptions, type ResolvedOptions, resolveOptions } from "./options.js";
import { buildPrompt } from "./prompt/build-prompt.js";
import { savePromptRecord } from "./prompt-record.js";
import { type CompletionResult, streamCompletion } from "./stream-completion.js";

type Message = { role: "system" | "user"; content: string };

/**
 * Writes Python with any OpenAI-compatible chat model (OpenAI, Azure OpenAI, vLLM, Ollama,
 * LM Studio). One `generate` call streams one reply, retries transient failures with backoff,
 * retries a cut-off reply once with twice the token limit, and extracts the code.
 */
export class OpenAICodeGenerator implements CodeGenerator {
  private readonly baseUrl: string;

  constructor(
    private readonly client: OpenAI,
    private readonly options: ResolvedOptions,
    private readonly logger: Logger = silentLogger(),
  ) {
    this.baseUrl = effectiveBaseUrl(options);
  }

  /**
   * Resolves options against the env and builds the client. Does no I/O.
   * @throws PyfleetError LLM_CONFIG when neither a key nor a base URL is set, or a value is out of range.
   */
  static create(
    options: GeneratorOptions,
    env: Record<string, string | undefined> = process.env,
    deps: { logger?: Logger } = {},
  ): OpenAICodeGenerator {
    const resolved = resolveOptions(options, env);
    return new OpenAICodeGenerator(createClient(resolved), resolved, deps.logger);
  }

  /** Model and endpoint in use (for start-up logs; never the key). */
  describe(): { model: string; baseUrl: string; azure: boolean } {
    return { model: this.options.model, baseUrl: this.baseUrl, azure: this.options.azure_api_version !== null };
  }

  async generate(input: GenerateInput): Promise<GeneratedCode> {
    const o = this.options;
    const log = runLogger(this.logger, { runId: input.runId, stage: "generate", attempt: input.attempt });
    const prompt = buildPrompt(input.request, input.errorChain, {
      feedbackErrors: o.feedback_errors,
      writesEnabled: o.writes_enabled,
      controlSystem: o.control_system,
      contextSummaryChars: o.context_summary_chars,
      analysisRules: o.analysis_rules,
      templates: o.templates,
    });
    const messages: Message[] = [
      { role: "system", content: prompt.system },
      { role: "user", content: prompt.user },
    ];
    const started = Date.now();
    const limits: number[] = [];
    const sink = new RestartableSink(input, log);
    let reply = "";
    let usage: TokenUsage | undefined;
    try {
      for (;;) {
        const limit = limits.length === 0 ? o.max_tokens : o.max_tokens * 2;
        limits.push(limit);
        const result = await this.requestWithRetries(messages, limit, input, sink, log).catch((err: unknown) => {
          throw limits.length > 1 ? refusedLargerLimit(err, limits, reply, usage) : err;
        });
        reply = result.text;
        usage = addUsage(usage, result, started);
        if (result.finishReason !== "length") break;
        if (limits.length >= 2) {
          throw truncated(`the reply was cut off at max_tokens=${limit} (after one retry with a doubled limit)`, limits, reply, usage);
        }
        log.warn({ maxTokens: limit }, "reply cut off by max_tokens; retrying once with a doubled limit");
      }
      const extracted = extractCode(reply);
      log.info({ usage, codeChars: extracted.code.length, blocks: extracted.blocks }, "code generated");
      return { code: extracted.code, ...(usage ? { usage } : {}) };
    } catch (err) {
      if (err instanceof PyfleetError && err.code === "NO_CODE_IN_REPLY" && usage) err.details!.usage = usage;
      throw err;
    } finally {
      if (o.save_prompts && input.attemptDir) {
        const record = {
          runId: input.runId,
          attempt: input.attempt,
          model: o.model,
          baseUrl: this.baseUrl,
          temperature: o.temperature,
          maxTokens: limits,
          messages,
          at: new Date(started).toISOString(),
        };
        await savePromptRecord(input.attemptDir, record, reply).catch((e: unknown) =>
          log.warn({ err: e, dir: input.attemptDir }, "could not save prompt.json / reply.md"),
        );
      }
    }
  }

  /** One completion with transient failures retried; past the budget LLM_UNAVAILABLE. */
  private async requestWithRetries(
    messages: Message[],
    maxTokens: number,
    input: GenerateInput,
    sink: RestartableSink,
    log: Logger,
  ): Promise<CompletionResult> {
    const o = this.options;
    const total = o.max_retries + 1;
    const timeoutMs = Math.ceil(o.timeout_seconds * 1000);
    let lastReason = "";
    let lastStatus: number | null = null;
    for (let i = 0; i < total; i++) {
      throwIfCancelled(input.signal);
      const controller = new AbortController();
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, timeoutMs);
      const onAbort = () => controller.abort();
      input.signal?.addEventListener("abort", onAbort, { once: true });
      try {
        sink.beginRequest();
        return await streamCompletion({
          client: this.client,
          model: o.model,
          messages,
          temperature: o.temperature,
          maxTokens,
          signal: controller.signal,
          ...(sink.onText ? { onText: sink.onText } : {}),
          batchMs: o.stream_batch_ms,
          batchChars: o.stream_batch_chars,
          onEmitError: (e) => log.warn({ err: e }, "onChunk listener threw; generation goes on"),
        });
      } catch (err) {
        const c = classifyError(err, {
          baseUrl: this.baseUrl,
          model: o.model,
          timedOut,
          timeoutMs,
          cancelled: input.signal?.aborted === true,
        });
        if (!c.transient) throw c.error;
        lastReason = c.reason;
        lastStatus = c.status;
        if (i + 1 < total) {
          const delay = this.backoff(i, c.retryAfterMs);
          log.warn({ reason: c.reason, retryInMs: delay, try: i + 1, of: total }, "model request failed; retrying");
          await sleep(delay, input.signal);
        }
      } finally {
        clearTimeout(timer);
        input.signal?.removeEventListener("abort", onAbort);
      }
    }
    throw new PyfleetError(
      "LLM_UNAVAILABLE",
      `model "${o.model}" at ${this.baseUrl} gave no reply after ${total} tries; last: ${lastReason}`,
      { details: { baseUrl: this.baseUrl, model: o.model, tries: total, lastStatus, lastReason } },
    );
  }

  /** Exponential backoff with ±25 % jitter; a server's Retry-After wins, capped at the maximum. */
  private backoff(retry: number, retryAfterMs: number | null): number {
    const max = this.options.retry_backoff_max_ms;
    if (retryAfterMs !== null) return Math.min(retryAfterMs, max);
    const base = Math.min(this.options.retry_backoff_ms * 2 ** retry, max);
    return Math.round(base * (0.75 + Math.random() * 0.5));
  }
}

/**
 * Forwards streamed text to `onChunk` and tells the listener through `onRestart` when a new
 * request starts after text of an earlier one was delivered (a retry streams from the start).
 */
class RestartableSink {
  readonly onText: ((text: string) => void) | undefined;
  private delivered = false;

  constructor(
    private readonly input: GenerateInput,
    private readonly log: Logger,
  ) {
    const onChunk = input.onChunk;
    this.onText = onChunk
      ? (text) => {
          this.delivered = true;
          onChunk(text);
        }
      : undefined;
  }

  beginRequest(): void {
    if (!this.delivered) return;
    this.delivered = false;
    try {
      this.input.onRestart?.();
    } catch (err) {
      this.log.warn({ err }, "onRestart listener threw; generation goes on");
    }
  }
}

function truncated(why: string, limits: number[], reply: string, usage: TokenUsage | undefined): PyfleetError {
  return new PyfleetError(
    "REPLY_TRUNCATED",
    `${why}; write shorter code: fewer comments, no repeated blocks, loops instead of unrolled statements`,
    { details: { maxTokens: limits, replyChars: reply.length, tail: reply.slice(-400), usage } },
  );
}

/**
 * The retry with a doubled limit may exceed what the server accepts (a small context window
 * answers 400). That is still a cut-off reply to feed back, not a broken configuration.
 */
function refusedLargerLimit(err: unknown, limits: number[], reply: string, usage: TokenUsage | undefined): unknown {
  if (!(err instanceof PyfleetError) || err.code !== "LLM_CONFIG" || err.details?.status !== 400) return err;
  const limit = limits[limits.length - 1];
  return truncated(
    `the reply was cut off at max_tokens=${limits[0]} and the server refused max_tokens=${limit} (${String(err.details?.serverMessage)})`,
    limits,
    reply,
    usage,
  );
}

function addUsage(prev: TokenUsage | undefined, r: CompletionResult, started: number): TokenUsage {
  return {
    promptTokens: (prev?.promptTokens ?? 0) + r.promptTokens,
    completionTokens: (prev?.completionTokens ?? 0) + r.completionTokens,
    model: r.model,
    latencyMs: Date.now() - started,
    finishReason: r.finishReason,
  };
}

function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new PyfleetError("CANCELLED", "code generation was cancelled");
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new PyfleetError("CANCELLED", "code generation was cancelled"));
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new PyfleetError("CANCELLED", "code generation was cancelled"));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
