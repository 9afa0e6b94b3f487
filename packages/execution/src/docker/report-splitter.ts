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
