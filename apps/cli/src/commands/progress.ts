import type { RunEvent } from "@pyfleet/core";

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/**
 * A live progress line per stage: spinner, stage, attempt and elapsed time, redrawn in place on
 * a TTY; on anything else one plain line per status change.
 */
export class ProgressLine {
  private stage = "queued";
  private attempt = 0;
  private frame = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly started = Date.now();

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly plain: (line: string) => void,
  ) {
    if (this.isTty) {
      this.timer = setInterval(() => this.draw(), 100);
      this.timer.unref();
    }
  }

  private get isTty(): boolean {
    return this.stream.isTTY === true;
  }

  /** Feeds one run event. */
  update(e: RunEvent): void {
    if (e.attempt) this.attempt = e.attempt;
    if (e.type !== "status") return;
    const status = String((e.data as { status?: unknown }).status);
    if (status === this.stage) return;
    this.stage = status;
    if (this.isTty) this.draw();
    else this.plain(`[${this.elapsed()}] ${status}${this.attempt ? ` (attempt ${this.attempt})` : ""}`);
  }

  /** Clears the line (TTY) and stops the spinner. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.isTty) this.stream.write("\r\x1b[2K");
  }

  private draw(): void {
    this.frame = (this.frame + 1) % FRAMES.length;
    const att = this.attempt ? ` · attempt ${this.attempt}` : "";
    this.stream.write(`\r\x1b[2K${FRAMES[this.frame]} ${this.stage}${att} · ${this.elapsed()}`);
  }

  private elapsed(): string {
    return `${((Date.now() - this.started) / 1000).toFixed(1)}s`;
  }
}
