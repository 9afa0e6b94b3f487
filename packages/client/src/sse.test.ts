import { describe, expect, it } from "vitest";
import { parseSse } from "./sse.js";

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return new ReadableStream({
    start(c) {
      for (const ch of chunks) c.enqueue(enc.encode(ch));
      c.close();
    },
  });
}

describe("parseSse", () => {
  it("parses ids, event names and multi-line data split across chunks, skipping comments", async () => {
    const out = [];
    for await (const m of parseSse(streamOf([": connected\n\nid: 1-0\nevent: st", "atus\ndata: {\"a\":\ndata: 1}\n\n", "data: x\r\n\r\n"]))) out.push(m);
    expect(out).toEqual([
      { id: "1-0", event: "status", data: '{"a":\n1}' },
      { id: null, event: "message", data: "x" },
    ]);
  });
});
