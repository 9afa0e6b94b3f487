import type OpenAI from "openai";
import { ChunkBatcher } from "./chunk-batcher.js";

/** The server closed the stream before the model finished (a proxy cut it, the server crashed). */
export class IncompleteStreamError extends Error {
  override readonly name = "IncompleteStreamError";
}

/** The outcome of one streamed chat completion. */
export interface CompletionResult {
  text: string;
  finishReason: string | null;
  /** 0 when the server sent no usage (it ignored `stream_options.include_usage`). */
  promptTokens: number;
  completionTokens: number;
  /** Model the server says answered (falls back to the requested one). */
  model: string;
}

export interface StreamRequest {
  client: OpenAI;
  model: string;
  messages: { role: "system" | "user"; content: string }[];
  temperature: number;
  maxTokens: number;
  signal: AbortSignal;
  onText?: (text: string) => void;
  batchMs: number;
  batchChars: number;
  onEmitError: (err: unknown) => void;
}

/**
 * Makes one streamed request and collects the reply. Text reaches `onText` in batches; a stream
 * that breaks off, or ends without a finish_reason, throws (the caller retries) after the text
 * already batched was emitted.
 */
export async function streamCompletion(req: StreamRequest): Promise<CompletionResult> {
  const batcher = req.onText ? new ChunkBatcher(req.onText, req.batchMs, req.batchChars, req.onEmitError) : null;
  const parts: string[] = [];
  const result: CompletionResult = {
    text: "",
    finishReason: null,
    promptTokens: 0,
    completionTokens: 0,
    model: req.model,
  };
  try {
    const stream = await req.client.chat.completions.create(
      {
        model: req.model,
        messages: req.messages,
        temperature: req.temperature,
        max_tokens: req.maxTokens,
        stream: true,
        stream_options: { include_usage: true },
      },
      { signal: req.signal },
    );
    for await (const chunk of stream) {
      if (chunk.model) result.model = chunk.model;
      if (chunk.usage) {
        result.promptTokens = chunk.usage.prompt_tokens;
        result.completionTokens = chunk.usage.completion_tokens;
      }
      const choice = chunk.choices[0];
      if (!choice) continue;
      const text = choice.delta?.content;
      if (text) {
        parts.push(text);
        batcher?.push(text);
      }
      if (choice.finish_reason) result.finishReason = choice.finish_reason;
    }
    batcher?.flush();
    if (result.finishReason === null) {
      throw new IncompleteStreamError(`the stream ended after ${parts.join("").length} characters without a finish_reason`);
    }
  } catch (err) {
    batcher?.flush();
    throw err;
  }
  result.text = parts.join("");
  return result;
}
