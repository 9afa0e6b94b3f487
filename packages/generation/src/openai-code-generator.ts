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
import { createClient, effectiveBaseUrl } from "./client.js";
import { extractCode } from "./extract-code.js";
import { type GeneratorOptions, type ResolvedOptions, resolveOptions } from "./options.js";
import { buildPrompt } from "./prompt/build-prompt.js";
import { savePromptRecord } from "./prompt-record.js";
import { RestartableSink } from "./restartable-sink.js";
import { type CompletionResult, streamCompletion } from "./stream-completion.js";
import { withRetries } from "./with-retries.js";

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
        const result = await this.request(messages, limit, input, sink, log).catch((err: unknown) => {
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

  /** One streamed completion with transient failures retried (see `withRetries`). */
  private request(
    messages: Message[],
    maxTokens: number,
    input: GenerateInput,
    sink: RestartableSink,
    log: Logger,
  ): Promise<CompletionResult> {
    const o = this.options;
    return withRetries(
      (signal) => {
        sink.beginRequest();
        return streamCompletion({
          client: this.client,
          model: o.model,
          messages,
          temperature: o.temperature,
          maxTokens,
          signal,
          ...(sink.onText ? { onText: sink.onText } : {}),
          batchMs: o.stream_batch_ms,
          batchChars: o.stream_batch_chars,
          onEmitError: (e) => log.warn({ err: e }, "onChunk listener threw; generation goes on"),
        });
      },
      {
        policy: {
          maxRetries: o.max_retries,
          backoffMs: o.retry_backoff_ms,
          backoffMaxMs: o.retry_backoff_max_ms,
          timeoutMs: Math.ceil(o.timeout_seconds * 1000),
        },
        baseUrl: this.baseUrl,
        model: o.model,
        signal: input.signal,
        log,
      },
    );
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
