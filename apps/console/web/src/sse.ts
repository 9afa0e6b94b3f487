/** One Server-Sent Event. */
export interface SseMessage {
  id: string | null;
  event: string;
  data: string;
}

/**
 * Reads an SSE body from fetch (not EventSource: the token goes in the Authorization header,
 * never in a URL where logs and history would keep it).
 */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buf = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buf += decoder.decode(value, { stream: true }).replace(/\r\n?/g, "\n");
      let i = buf.indexOf("\n\n");
      while (i >= 0) {
        const chunk = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const msg: SseMessage = { id: null, event: "message", data: "" };
        const data: string[] = [];
        for (const line of chunk.split("\n")) {
          if (line.startsWith(":")) continue;
          const c = line.indexOf(":");
          const field = c < 0 ? line : line.slice(0, c);
          const value = c < 0 ? "" : line.slice(c + 1).replace(/^ /, "");
          if (field === "data") data.push(value);
          else if (field === "event") msg.event = value;
          else if (field === "id") msg.id = value;
        }
        if (data.length) {
          msg.data = data.join("\n");
          yield msg;
        }
        i = buf.indexOf("\n\n");
      }
    }
  } finally {
    reader.releaseLock();
  }
}
