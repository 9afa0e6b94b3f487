import { EventSourceParserStream } from "eventsource-parser/stream";

/** One Server-Sent Event as received. */
export interface SseMessage {
  id: string | null;
  event: string;
  data: string;
}

/**
 * Parses an SSE byte stream into messages with `eventsource-parser` (comments and retry lines
 * are skipped; an event without an `event:` field is a `message`).
 */
export async function* parseSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> {
  const events = body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream());
  for await (const e of events) {
    yield { id: e.id ?? null, event: e.event ?? "message", data: e.data };
  }
}
