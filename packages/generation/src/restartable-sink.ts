import type { GenerateInput, Logger } from "@pyfleet/core";

/**
 * Forwards streamed text to `onChunk` and tells the listener through `onRestart` when a new
 * request starts after text of an earlier one was delivered (a retry streams from the start).
 */
export class RestartableSink {
  readonly onText: ((text: string) => void) | undefined;
  private delivered = false;

  constructor(
    private readonly input: Pick<GenerateInput, "onChunk" | "onRestart">,
    private readonly log: Logger,
  ) {
    const onChunk = input.onChunk;
    this.onText = onChunk
      ? (text) => {
          this.delivered = true;
          onChunk(text);
        }
      : undefined;
  }

  /** Call before each request; signals a restart when text was delivered since the last one. */
  beginRequest(): void {
    if (!this.delivered) return;
    this.delivered = false;
    try {
      this.input.onRestart?.();
    } catch (err) {
      this.log.warn({ err }, "onRestart listener threw; generation goes on");
    }
  }
}
