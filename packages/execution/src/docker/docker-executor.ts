import { randomBytes } from "node:crypto";
import type { ExecuteInput, ExecutionOutcome, Executor } from "@pyfleet/core";
import { type Logger, PyfleetError, silentLogger } from "@pyfleet/core";
import type Docker from "dockerode";
import { reportToOutcome, timeoutErrorInfo } from "../harness.js";
import { type ExecutionOptions, type ResolvedExecutionOptions, resolveExecutionOptions } from "../options.js";
import { type DockerEndpoint, describeEndpoint, dockerClient, dockerError } from "./client.js";
import { checkSandboxUser, containerSpec, INPUT_DIR, inputArchive, newReportMarker, type SandboxLimits } from "./container-spec.js";
import { copyOut, parseEnvelope } from "./envelope.js";
import { SandboxOutput } from "./sandbox-output.js";

export interface DockerExecutorOptions extends Partial<SandboxLimits> {
  /** Config sections the backend reads (`docker.*`, `limits.max_stdout_bytes`). */
  options?: ExecutionOptions;
  /** Where the engine is; used in messages (the client is passed in separately). */
  endpoint?: DockerEndpoint;
  /** Time between SIGINT (the harness still reports) and SIGKILL on timeout. */
  interruptGraceMs?: number;
  /** Largest report (results + base64 figures) accepted from a container. */
  maxReportBytes?: number;
  logger?: Logger;
}

/** Longest wait for the output stream to end once the container has exited. */
const STREAM_DRAIN_MS = 5000;

/** Seconds past the run's own timeout and grace after which the sandbox kills itself (executor gone). */
const DEADLINE_MARGIN_S = 30;

/** Exit code of a process killed by SIGKILL (the OOM killer's signal). */
const SIGKILL_EXIT = 137;

/** How one sandbox ended. */
interface SandboxRun {
  output: SandboxOutput;
  exitCode: number;
  oomKilled: boolean;
  timedOut: boolean;
  cancelled: boolean;
}

/**
 * The `docker` backend: one hardened, one-shot container per run (no network, read-only root,
 * tmpfs work dir, memory/CPU/pids limits, no capabilities, non-root, no-new-privileges). Inputs
 * go in with `putArchive`; the shared harness runs the code; its report, and the files the code
 * left in the work dir (copied to `workDir`), come back on the stdout stream (demultiplexed by dockerode) after a
 * per-run marker. Not `getArchive`: the work dir is a tmpfs, and the archive API reads the
 * container's layer under the mount, not the tmpfs (moby/moby#22020, "corner cases" of docker cp).
 */
export class DockerExecutor implements Executor {
  readonly method = "docker" as const;
  private readonly cfg: ResolvedExecutionOptions;
  private readonly limits: SandboxLimits;
  private readonly graceMs: number;
  private readonly maxReportBytes: number;
  private readonly log: Logger;
  private readonly endpoint: string;
  private readonly instanceId = randomBytes(6).toString("hex");
  private readonly live = new Set<Docker.Container>();
  private readonly removals = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly docker: Docker,
    opts: DockerExecutorOptions = {},
  ) {
    this.cfg = resolveExecutionOptions(opts.options);
    checkSandboxUser(this.cfg.docker.user);
    this.limits = {
      workDirMb: opts.workDirMb ?? 256,
      tmpMb: opts.tmpMb ?? 64,
      copyOutBytes: opts.copyOutBytes ?? 16 * 1024 * 1024,
      reportMb: opts.reportMb ?? 128,
    };
    this.graceMs = opts.interruptGraceMs ?? 1000;
    this.maxReportBytes = opts.maxReportBytes ?? 128 * 1024 * 1024;
    this.log = opts.logger ?? silentLogger();
    this.endpoint = describeEndpoint(opts.endpoint ?? { socket: this.cfg.docker.socket });
  }

  /**
   * Connects (DOCKER_HOST wins over `docker.socket`), checks the engine answers and the image exists.
   * @throws PyfleetError BACKEND_UNAVAILABLE (infrastructure), IMAGE_MISSING or
   *   BACKEND_MISCONFIGURED (configuration: a root `docker.user`).
   */
  static async create(opts: DockerExecutorOptions & { dockerHost?: string } = {}): Promise<DockerExecutor> {
    const cfg = resolveExecutionOptions(opts.options);
    const endpoint: DockerEndpoint = { socket: cfg.docker.socket };
    const host = opts.dockerHost ?? process.env.DOCKER_HOST;
    if (host) endpoint.dockerHost = host;
    const client = dockerClient(endpoint);
    const ctx = { endpoint: describeEndpoint(endpoint), image: cfg.docker.image };
    await client.ping().catch((err: unknown) => {
      throw dockerError(err, "ping", ctx);
    });
    await client
      .getImage(cfg.docker.image)
      .inspect()
      .catch((err: unknown) => {
        throw dockerError(err, "inspect image", ctx);
      });
    return new DockerExecutor(client, { ...opts, endpoint });
  }

  /**
   * Runs the code in a fresh sandbox.
   * @throws PyfleetError `METHOD_NOT_ALLOWED` (policy) for a real write run or a write-manifest
   *   dry run: the sandbox has no network, so it cannot reach the control system.
   */
  async execute(input: ExecuteInput): Promise<ExecutionOutcome> {
    if (this.closed) throw new PyfleetError("BACKEND_UNAVAILABLE", "the docker executor is closed");
    refuseRealWrites(input);
    const log = this.log.child({ runId: input.runId, attempt: input.attempt, backend: "docker" });
    const marker = newReportMarker();
    const started = performance.now();
    const deadline = (input.timeoutMs + this.graceMs) / 1000 + DEADLINE_MARGIN_S;
    const spec = containerSpec(input, this.cfg.docker, this.limits, marker, this.instanceId, deadline);
    const container = await this.step("create container", () => this.docker.createContainer(spec));
    this.live.add(container);
    try {
      const run = await this.run(container, input, marker, log);
      const durationMs = performance.now() - started;
      log.debug({ exitCode: run.exitCode, oomKilled: run.oomKilled, durationMs }, "docker run ended");
      return await this.outcome(run, input, durationMs);
    } finally {
      this.live.delete(container);
      this.removeLater(container, log);
    }
  }

  /** Runs `fn`, turning a dockerode failure into the fleet's error taxonomy (see {@link dockerError}). */
  private async step<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw dockerError(err, operation, { endpoint: this.endpoint, image: this.cfg.docker.image });
    }
  }

  /** Puts the inputs in, starts the container with its output attached, and waits for it to exit. */
  private async run(container: Docker.Container, input: ExecuteInput, marker: Buffer, log: Logger): Promise<SandboxRun> {
    await this.step("put archive", async () => container.putArchive(await inputArchive(input), { path: INPUT_DIR }));
    const stream = await this.step("attach", () => container.attach({ stream: true, stdout: true, stderr: true }));
    const output = new SandboxOutput(this.docker, stream, {
      marker,
      maxOut: this.cfg.limits.max_stdout_bytes,
      maxReportBytes: this.maxReportBytes,
      onOutput: input.onOutput,
      log,
    });
    await this.step("start", () => container.start());
    const watch = this.watch(container, input, log);
    const waited = await this.step("wait", () => container.wait() as Promise<{ StatusCode: number }>).finally(() => watch.clear());
    await output.finish(STREAM_DRAIN_MS);
    const state = (await this.step("inspect", () => container.inspect())).State;
    return { output, exitCode: waited.StatusCode, oomKilled: state.OOMKilled, timedOut: watch.timedOut(), cancelled: watch.cancelled() };
  }

  /** What an exited sandbox means: the harness report turned into an outcome, or the error that ended it. */
  private async outcome(run: SandboxRun, input: ExecuteInput, durationMs: number): Promise<ExecutionOutcome> {
    if (run.cancelled) throw new PyfleetError("CANCELLED", `run ${input.runId} attempt ${input.attempt} was cancelled`);
    // close() force-removes running containers: their exit 137 is not the code's doing
    if (this.closed) throw new PyfleetError("BACKEND_UNAVAILABLE", "the docker executor was closed during the run");
    const { stdout, stderr, report } = run.output;
    const out = { backend: "docker", stdout: stdout.text(), stderr: stderr.text(), stdoutTruncated: stdout.truncated || stderr.truncated, durationMs };
    if (run.oomKilled || (run.exitCode === SIGKILL_EXIT && !run.timedOut)) {
      throw new PyfleetError(
        "MEMORY_LIMIT",
        `the code hit the sandbox memory limit of ${this.cfg.docker.memory_mb} MB (docker.memory_mb) and was killed`,
        { details: { memoryMb: this.cfg.docker.memory_mb, exitCode: run.exitCode, stderr: out.stderr.slice(-2000) } },
      );
    }
    const text = report.report();
    if (text === null) {
      if (run.timedOut) return { ...out, results: null, figures: [], recordedWrites: [], warnings: [], error: timeoutErrorInfo(input.timeoutMs) };
      const code = report.reportTooLarge || run.exitCode === 2 || run.exitCode === 3 ? "INTERNAL" : "KERNEL_DIED";
      const why = report.reportTooLarge ? `its report exceeded ${this.maxReportBytes} bytes` : `it exited with ${run.exitCode} before reporting`;
      throw new PyfleetError(code, `the sandbox Python process died: ${why}`, {
        details: { exitCode: run.exitCode, backend: "docker", stderr: out.stderr.slice(-2000) },
      });
    }
    const result = parseEnvelope(text);
    const copyWarnings = await copyOut(input.workDir, result, this.limits.copyOutBytes);
    // results over limits.max_result_bytes are refused, as on the other backends (issue 14 item 5)
    const extras = { ...out, maxResultBytes: this.cfg.limits.max_result_bytes };
    const outcome = reportToOutcome(result.report, run.timedOut ? { ...extras, timedOutAfterMs: input.timeoutMs } : extras);
    return copyWarnings.length > 0 ? { ...outcome, warnings: [...outcome.warnings, ...copyWarnings] } : outcome;
  }

  /** Removes the container (~100 ms) after the outcome is returned; settled() and close() await it. */
  private removeLater(container: Docker.Container, log: Logger): void {
    const removal: Promise<void> = container
      .remove({ force: true, v: true })
      .then(
        () => undefined,
        (err: unknown) => log.warn({ err }, "could not remove sandbox container"),
      )
      .finally(() => this.removals.delete(removal));
    this.removals.add(removal);
  }

  /** Resolves once every finished run's container (and its input volume) is removed. */
  async settled(): Promise<void> {
    await Promise.all([...this.removals]);
  }

  /** Timeout (SIGINT, then SIGKILL after the grace period) and cancellation for one container. */
  private watch(container: Docker.Container, input: ExecuteInput, log: Logger) {
    let timedOut = false;
    let cancelled = false;
    const kill = (signal: string) =>
      container.kill({ signal }).catch((err: unknown) => log.debug({ err, signal }, "kill of a finished container"));
    let killTimer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      log.info({ timeoutMs: input.timeoutMs }, "execution timeout: interrupting the sandbox");
      void kill("SIGINT");
      killTimer = setTimeout(() => void kill("SIGKILL"), this.graceMs);
    }, input.timeoutMs);
    const onAbort = () => {
      cancelled = true;
      void kill("SIGKILL");
    };
    input.signal?.addEventListener("abort", onAbort, { once: true });
    if (input.signal?.aborted) onAbort();
    return {
      timedOut: () => timedOut,
      cancelled: () => cancelled,
      clear: () => {
        clearTimeout(timer);
        clearTimeout(killTimer);
        input.signal?.removeEventListener("abort", onAbort);
      },
    };
  }

  /** Removes containers still running (a close during a run) and waits for pending removals. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.live].map((c) => c.remove({ force: true, v: true }).catch(() => undefined)));
    this.live.clear();
    await this.settled();
  }
}

/**
 * The docker sandbox runs with `NetworkMode: none`: it cannot reach any Channel Access server, so
 * a write run there would only fail to connect after the human approved it. Refused up front as
 * a policy error (never retried); dry runs (writes recorded, not performed) are fine.
 * @throws PyfleetError `METHOD_NOT_ALLOWED` for a write_access run that is not a dry run.
 */
export function refuseRealWrites(input: Pick<ExecuteInput, "mode" | "dryRun" | "describeWrites">): void {
  if (input.mode === "write_access" && !input.dryRun) {
    throw new PyfleetError(
      "METHOD_NOT_ALLOWED",
      "execution_method docker cannot perform control-system writes: its sandbox has no network (NetworkMode none), so no IOC is reachable. Run write_access code on execution_method local or container, or ask for a dry run",
    );
  }
  if (input.describeWrites) {
    // the write manifest reads each PV's current value and limits: no IOC is reachable either
    throw new PyfleetError(
      "METHOD_NOT_ALLOWED",
      "execution_method docker cannot build a write manifest: its sandbox has no network (NetworkMode none), so the PVs' current values and limits cannot be read. Run write_access code on execution_method local or container",
    );
  }
}
