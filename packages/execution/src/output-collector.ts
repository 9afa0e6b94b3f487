/**
 * Keeps at most `maxBytes` of one output stream and drops the rest, counting what was dropped,
 * so 20 MB of prints never sit in memory. Chunks that fit are forwarded to `onText` as they come.
 */
export class OutputCollector {
  private readonly parts: string[] = [];
  private kept = 0;
  private dropped = 0;
  private readonly decoder = new TextDecoder("utf-8");

  constructor(
    private readonly maxBytes: number,
    private readonly onText?: (text: string) => void,
  ) {}

  /** Adds raw bytes (a pipe chunk); multi-byte characters split across chunks are kept whole. */
  pushBytes(chunk: Uint8Array): void {
    if (this.kept >= this.maxBytes) {
      this.dropped += chunk.byteLength;
      return;
    }
    this.pushText(this.decoder.decode(chunk, { stream: true }));
  }

  /** Adds text (a Jupyter stream message). */
  pushText(text: string): void {
    if (text.length === 0) return;
    const size = Buffer.byteLength(text, "utf8");
    if (this.kept + size <= this.maxBytes) {
      this.keep(text, size);
      return;
    }
    const room = this.maxBytes - this.kept;
    if (room > 0) {
      const head = Buffer.from(text, "utf8").subarray(0, room).toString("utf8").replace(/\uFFFD$/, "");
      const headSize = Buffer.byteLength(head, "utf8");
      this.keep(head, headSize);
      this.dropped += size - headSize;
      this.kept = this.maxBytes;
    } else {
      this.dropped += size;
    }
  }

  /** Counts bytes dropped before they got here (the kernel-side cap of the harness). */
  noteDropped(bytes: number): void {
    this.dropped += bytes;
  }

  get truncated(): boolean {
    return this.dropped > 0;
  }

  /** The kept text, plus a marker line saying how much was dropped. */
  text(): string {
    const tail = this.decoder.decode();
    if (tail && !this.truncated) this.keep(tail, Buffer.byteLength(tail, "utf8"));
    const body = this.parts.join("");
    if (!this.truncated) return body;
    return `${body}\n[pyfleet: output truncated at ${this.maxBytes} bytes (limits.max_stdout_bytes); ${this.dropped} more bytes dropped]\n`;
  }

  private keep(text: string, size: number): void {
    this.parts.push(text);
    this.kept += size;
    this.onText?.(text);
  }
}

/** What every local run's outcome carries of its output streams, time and timeout. */
export function outputExtras(stdout: OutputCollector, stderr: OutputCollector, durationMs: number, timedOutAfterMs: number | undefined) {
  return {
    backend: "local",
    stdout: stdout.text(),
    stderr: stderr.text(),
    stdoutTruncated: stdout.truncated || stderr.truncated,
    durationMs,
    ...(timedOutAfterMs !== undefined ? { timedOutAfterMs } : {}),
  };
}
