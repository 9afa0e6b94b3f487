/**
 * Groups streamed tokens into larger pieces so a follower gets one event per ~200 ms or per
 * 512 characters instead of one per token. The pieces add up to exactly the text pushed.
 */
export class ChunkBatcher {
  private buffer = "";
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly emit: (text: string) => void,
    private readonly intervalMs: number,
    private readonly maxChars: number,
    /** Called when `emit` throws; a broken listener must not fail the generation. */
    private readonly onEmitError: (err: unknown) => void = () => {},
  ) {}

  push(text: string): void {
    if (!text) return;
    this.buffer += text;
    if (this.buffer.length >= this.maxChars) {
      this.flush();
      return;
    }
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.flush();
      }, this.intervalMs);
    }
  }

  /** Emits whatever is waiting and cancels the pending timer. */
  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (!this.buffer) return;
    const text = this.buffer;
    this.buffer = "";
    try {
      this.emit(text);
    } catch (err) {
      this.onEmitError(err);
    }
  }
}
