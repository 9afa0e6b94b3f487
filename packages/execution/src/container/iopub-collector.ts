import type { KernelMessage } from "@jupyterlab/services";
import type { Figure } from "@pyfleet/core";
import { type HarnessReport, parseHarnessReport, RESULT_MIME } from "../harness.js";
import { OutputCollector } from "../output-collector.js";

const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

/** An error the kernel raised outside the harness. */
export interface KernelError {
  ename: string;
  evalue: string;
  traceback: string;
}

/**
 * Gathers what the harness sends on IOPub during one execution: `stream` output (capped at
 * `maxBytes` per stream, passed on to `onOutput`), `image/png` figures the harness tagged, the
 * report of {@link RESULT_MIME}, and an `error` raised outside the harness.
 */
export class IOPubCollector {
  readonly stdout: OutputCollector;
  readonly stderr: OutputCollector;
  readonly figures: Figure[] = [];
  report: HarnessReport | null = null;
  kernelError: KernelError | null = null;

  constructor(maxBytes: number, onOutput?: (stream: "stdout" | "stderr", text: string) => void) {
    this.stdout = new OutputCollector(maxBytes, (t) => onOutput?.("stdout", t));
    this.stderr = new OutputCollector(maxBytes, (t) => onOutput?.("stderr", t));
  }

  /** Takes one IOPub message (others than the kinds above are ignored). */
  handle(msg: KernelMessage.IIOPubMessage): void {
    const type = msg.header.msg_type;
    if (type === "stream") {
      const content = msg.content as KernelMessage.IStreamMsg["content"];
      (content.name === "stderr" ? this.stderr : this.stdout).pushText(content.text);
    } else if (type === "display_data" || type === "execute_result") {
      const content = msg.content as KernelMessage.IDisplayDataMsg["content"];
      const reported = content.data[RESULT_MIME];
      const figureName = (content.metadata?.pyfleet as { figure?: unknown } | undefined)?.figure;
      if (reported !== undefined) this.report = parseHarnessReport(reported);
      else if (typeof figureName === "string" && typeof content.data["image/png"] === "string") {
        this.figures.push({ name: figureName, mime: "image/png", data: content.data["image/png"] });
      }
    } else if (type === "error") {
      const content = msg.content as KernelMessage.IErrorMsg["content"];
      this.kernelError = { ename: content.ename, evalue: content.evalue, traceback: content.traceback.join("\n").replace(ANSI, "") };
    }
  }

  /** Counts output the harness itself dropped (its report says how much) as truncation. */
  noteHarnessDrops(): void {
    const dropped = this.report?.output_dropped;
    this.stdout.noteDropped(dropped?.stdout ?? 0);
    this.stderr.noteDropped(dropped?.stderr ?? 0);
  }
}
