import { Writable } from "node:stream";
import type { ExecuteInput, Logger } from "@pyfleet/core";
import type Docker from "dockerode";
import { OutputCollector } from "../output-collector.js";
import { ReportSplitter } from "./report-splitter.js";

/** A writable that hands every chunk to `push` at once (dockerode's demuxer writes frame payloads to it). */
function sink(push: (chunk: Buffer) => void): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      push(chunk);
      done();
    },
  });
}

/** Resolves when `p` does or after `ms`, whichever comes first (the timer is cleared). */
async function atMost(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/**
 * The output of one sandbox: the container's attach stream (no TTY, so multiplexed) split by
 * dockerode's `modem.demuxStream` into stdout and stderr; stdout is split again into the user's
 * output and the harness report that follows the run's marker. Output is streamed to
 * `input.onOutput` and capped at `maxOut` bytes per stream.
 */
export class SandboxOutput {
  readonly stdout: OutputCollector;
  readonly stderr: OutputCollector;
  readonly report: ReportSplitter;
  private readonly ended: Promise<void>;

  constructor(
    docker: Docker,
    private readonly stream: NodeJS.ReadableStream,
    opts: { marker: Buffer; maxOut: number; maxReportBytes: number; onOutput: ExecuteInput["onOutput"]; log: Logger },
  ) {
    this.stdout = new OutputCollector(opts.maxOut, (t) => opts.onOutput?.("stdout", t));
    this.stderr = new OutputCollector(opts.maxOut, (t) => opts.onOutput?.("stderr", t));
    this.report = new ReportSplitter(opts.marker, (b) => this.stdout.pushBytes(b), opts.maxReportBytes);
    docker.modem.demuxStream(
      stream,
      sink((b) => this.report.push(b)),
      sink((b) => this.stderr.pushBytes(b)),
    );
    this.ended = new Promise<void>((resolve) => {
      stream.on("end", () => resolve());
      stream.on("close", () => resolve());
      stream.on("error", (err: unknown) => {
        opts.log.warn({ err }, "sandbox output stream failed");
        resolve();
      });
    });
  }

  /**
   * Waits (at most `drainMs`: an engine may never close the stream) for the stream to end after
   * the container exited, then stops reading and releases held-back bytes.
   */
  async finish(drainMs: number): Promise<void> {
    await atMost(this.ended, drainMs);
    this.stream.removeAllListeners("data");
    this.report.end();
  }
}
