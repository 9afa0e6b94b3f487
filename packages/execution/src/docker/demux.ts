/**
 * Docker's multiplexed attach/log stream (no TTY): frames of an 8-byte header
 * `[stream, 0, 0, 0, size as uint32 big-endian]` followed by `size` bytes of payload.
 * Stream 1 is stdout, 2 is stderr (0 would be stdin echo; ignored).
 */
export class DockerStreamDemuxer {
  private buffer: Buffer = Buffer.alloc(0);

  constructor(
    private readonly onStdout: (chunk: Buffer) => void,
    private readonly onStderr: (chunk: Buffer) => void,
  ) {}

  /** Feeds raw bytes from the attach stream; frames may span or share chunks. */
  push(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    while (this.buffer.length >= 8) {
      const stream = this.buffer[0];
      const size = this.buffer.readUInt32BE(4);
      if (this.buffer.length < 8 + size) return;
      const payload = this.buffer.subarray(8, 8 + size);
      this.buffer = this.buffer.subarray(8 + size);
      if (stream === 1) this.onStdout(payload);
      else if (stream === 2) this.onStderr(payload);
    }
  }

  /** Bytes of an incomplete frame left at the end of the stream (0 when the stream ended cleanly). */
  get pendingBytes(): number {
    return this.buffer.length;
  }
}

/**
 * Splits the container's stdout into the user's output and the harness report that the entry
 * script appends after a per-run marker. Bytes that could be the start of the marker are held
 * back until the next chunk decides, so the user's stdout never contains any of it.
 */
export class ReportSplitter {
  private pending: Buffer = Buffer.alloc(0);
  private readonly reportParts: Buffer[] = [];
  private reportBytes = 0;
  private inReport = false;
  private overflow = false;

  constructor(
    private readonly marker: Buffer,
    private readonly onUserBytes: (chunk: Buffer) => void,
    private readonly maxReportBytes: number,
  ) {}

  push(chunk: Buffer): void {
    if (this.inReport) {
      this.addReport(chunk);
      return;
    }
    const data = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const at = data.indexOf(this.marker);
    if (at >= 0) {
      if (at > 0) this.onUserBytes(data.subarray(0, at));
      this.pending = Buffer.alloc(0);
      this.inReport = true;
      this.addReport(data.subarray(at + this.marker.length));
      return;
    }
    const keep = Math.min(data.length, this.marker.length - 1);
    const flush = data.length - keep;
    if (flush > 0) this.onUserBytes(data.subarray(0, flush));
    this.pending = Buffer.from(data.subarray(flush));
  }

  /** Ends the stream: held-back bytes were user output after all. */
  end(): void {
    if (!this.inReport && this.pending.length > 0) this.onUserBytes(this.pending);
    this.pending = Buffer.alloc(0);
  }

  /** True when the report was larger than allowed (its bytes were dropped). */
  get reportTooLarge(): boolean {
    return this.overflow;
  }

  /** The report text, or null when the marker never came. */
  report(): string | null {
    if (!this.inReport || this.overflow) return null;
    return Buffer.concat(this.reportParts).toString("utf8");
  }

  private addReport(chunk: Buffer): void {
    if (this.overflow || chunk.length === 0) return;
    this.reportBytes += chunk.length;
    if (this.reportBytes > this.maxReportBytes) {
      this.overflow = true;
      this.reportParts.length = 0;
      return;
    }
    this.reportParts.push(Buffer.from(chunk));
  }
}
