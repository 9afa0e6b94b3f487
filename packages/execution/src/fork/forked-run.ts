import type { ExecuteInput, ExecutionOutcome } from "@pyfleet/core";
import { isPyfleetError, PyfleetError } from "@pyfleet/core";
import { parseHarnessReport, reportToOutcome, timeoutOutcome } from "../harness.js";
import { LOCAL_KILL_GRACE_MS } from "../local/local-executor.js";
import { OutputCollector, outputExtras } from "../output-collector.js";
import type { ChildHub } from "./child-hub.js";
import type { ForkParent } from "./fork-parent.js";
import type { ChildExit, ForkedChild } from "./forked-child.js";

const SIGINT = 2;
const SIGKILL = 9;
/**
 * How a child that sent its finish mark counts: as a clean exit. Its exit (the teardown of its
 * address space) is not waited for; the parent kills its group first, as it does at reaping.
 */
const FINISHED: ChildExit = Object.freeze({ code: 0, signal: null });
/** A process that escaped the group may hold fd 1/2 open: wait at most this long for their end. */
const DRAIN_MS = 2000;

export interface ForkedRunOptions {
  parent: ForkParent;
  hub: ChildHub;
  input: ExecuteInput;
  /** The folder the child works in, as the child sees it (the attempt folder unless sandboxed). */
  workDir: string;
  maxStdoutBytes: number;
  /** Largest `results` (serialized JSON) a run may return; unset: no cap. */
  maxResultBytes?: number;
  /** Aborted when the executor closes. */
  closing: AbortSignal;
}

/**
 * One run on a fork-server parent: takes a fresh child (forked ahead, connected), sends it the
 * job, streams stdout/stderr through capped collectors, enforces the timeout (SIGINT, then
 * SIGKILL of the child's group after {@link LOCAL_KILL_GRACE_MS}) and turns the report and the
 * exit status the parent saw into the outcome, with the same rules as the local backend. A child
 * that sent its finish mark counts as exited cleanly once the parent has killed its group: the
 * run does not wait for the kernel to tear the child down.
 */
export async function runForkedChild(opts: ForkedRunOptions): Promise<ExecutionOutcome> {
  const { parent, hub, input } = opts;
  const child = await parent.take().catch((err: unknown) => {
    throw notStarted(err, "no child could be taken for the run");
  });
  const stdout = new OutputCollector(opts.maxStdoutBytes, (t) => input.onOutput?.("stdout", t));
  const stderr = new OutputCollector(opts.maxStdoutBytes, (t) => input.onOutput?.("stderr", t));
  const job = Buffer.from(
    JSON.stringify({
      code: input.code,
      context: input.context ?? {},
      mode: input.mode,
      dry_run: input.dryRun,
      work_dir: opts.workDir,
      write_policy: input.writePolicy ?? null,
      describe_writes: input.describeWrites ?? false,
    }),
    "utf8",
  );
  let timedOut = false;
  let cancelled = false;
  const timers: NodeJS.Timeout[] = [];
  const kill = () => parent.signal(child.id, SIGKILL);
  const onAbort = () => {
    cancelled = true;
    kill();
  };
  input.signal?.addEventListener("abort", onAbort, { once: true });
  opts.closing.addEventListener("abort", onAbort, { once: true });
  const started = performance.now();
  try {
    if (input.signal?.aborted) onAbort();
    child.start(job, { onData: (kind, chunk) => (kind === "out" ? stdout : stderr).pushBytes(chunk) });
    timers.push(
      setTimeout(() => {
        timedOut = true;
        parent.signal(child.id, SIGINT);
        timers.push(setTimeout(kill, LOCAL_KILL_GRACE_MS));
      }, input.timeoutMs),
    );
    let exit: ChildExit;
    try {
      exit = await Promise.race([child.exited, child.finished.then(() => FINISHED)]);
      if (exit === FINISHED) await parent.finish(child.id);
    } catch (err) {
      if (cancelled) throw new PyfleetError("CANCELLED", "the execution was cancelled");
      // the parent died: a child that never sent its start mark took none of the code with it
      if (!timedOut && (await neverStarted(child))) throw notStarted(err, "the fork server parent died before the child started the code");
      throw err;
    }
    // the parent killed the child's group (when the child finished, or when it reaped it): the
    // streams end now, unless a process that left the group holds them
    await child.drained(DRAIN_MS);
    const durationMs = performance.now() - started;
    if (cancelled) throw new PyfleetError("CANCELLED", "the execution was cancelled");
    const extras = outputExtras(stdout, stderr, durationMs, timedOut ? input.timeoutMs : undefined);
    const raw = child.reportBytes();
    if (exit.code === 0 && raw !== null) {
      try {
        const report = parseHarnessReport(parseJson(raw));
        return reportToOutcome(report, opts.maxResultBytes === undefined ? extras : { ...extras, maxResultBytes: opts.maxResultBytes });
      } catch (err) {
        // copies of the child the code forked share its report connection: a timed-out run
        // stays a timeout whatever they sent; otherwise the report cannot be trusted
        if (!timedOut) throw err;
      }
    }
    if (timedOut) return timeoutOutcome({ ...extras, timedOutAfterMs: input.timeoutMs });
    if (!child.codeStarted && raw === null) {
      const how = exit.signal === null ? `code ${exit.code}` : `signal ${exit.signal}`;
      throw notStarted(undefined, `the forked child exited (${how}) before it started the code: ${tail(extras.stderr)}`);
    }
    throw new PyfleetError(
      "KERNEL_DIED",
      `the forked Python process exited (${exit.signal === null ? `code ${exit.code}` : `signal ${exit.signal}`}) before reporting: ${tail(extras.stderr)}`,
      { details: { exitCode: exit.code, signal: exit.signal, backend: "local", isolation: "fork" } },
    );
  } finally {
    for (const t of timers) clearTimeout(t);
    input.signal?.removeEventListener("abort", onAbort);
    opts.closing.removeEventListener("abort", onAbort);
    hub.release(child.id);
  }
}

/**
 * True when `err` says the run's code never started in any child (no child could be taken, or the
 * child ended before its start mark): the executor may give the job to another child without
 * breaking at-most-once. `details.codeStarted === false` on a `KERNEL_DIED`.
 */
export function isNotStartedError(err: unknown): err is PyfleetError {
  return isPyfleetError(err) && err.code === "KERNEL_DIED" && err.details?.codeStarted === false;
}

function notStarted(cause: unknown, message: string): PyfleetError {
  const reason = isPyfleetError(cause) ? `: ${cause.message}` : "";
  return new PyfleetError("KERNEL_DIED", `${message}${reason}`, {
    ...(cause === undefined ? {} : { cause }),
    details: { codeStarted: false, backend: "local", isolation: "fork" },
  });
}

/** Waits for the child's connections to end (so a start mark in flight is read), then says whether it never started the code. */
async function neverStarted(child: ForkedChild): Promise<boolean> {
  await child.drained(DRAIN_MS);
  return !child.codeStarted && child.reportBytes() === null;
}

/** The report's JSON; not JSON (e.g. several processes wrote to the connection) is an INTERNAL error. */
function parseJson(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString("utf8"));
  } catch (err) {
    throw new PyfleetError("INTERNAL", `the forked child's report is not one JSON document (did the code fork copies of itself?): ${String(err)}`);
  }
}

function tail(text: string): string {
  const t = text.trim();
  return t.length > 500 ? `…${t.slice(-500)}` : t || "(no stderr)";
}
