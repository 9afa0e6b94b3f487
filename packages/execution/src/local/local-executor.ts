import { type ChildProcess, spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ExecuteInput, ExecutionOutcome, Executor, Logger } from "@pyfleet/core";
import { PyfleetError, silentLogger } from "@pyfleet/core";
import { HARNESS_PATH, parseHarnessReport, reportToOutcome, timeoutOutcome } from "../harness.js";
import type { LocalOptions } from "../options.js";
import { OutputCollector, outputExtras } from "../output-collector.js";
import { buildChildEnv } from "../safe-env.js";
import { type CaGate, type GateSession, gateManifestFor, SANDBOX_CA_ENV } from "../sandbox/ca-gate.js";
import { applyGateTruth } from "../sandbox/gate-truth.js";
import { RelayFolder, relayUnreachable } from "../sandbox/bind-relay.js";
import { type SandboxOptions, sandboxHostIds, spawnSandboxed } from "../sandbox/sandbox-process.js";
import { SharedCaGate } from "../sandbox/shared-ca-gate.js";
import { mountWorkTmpfs } from "../sandbox/work-tmpfs.js";
import { resolveInterpreter } from "./interpreter.js";
import { copyOutWork, localSandboxSpec, prepareSandboxFolders, SANDBOX_ENV } from "./local-sandbox.js";

/** Default cap on a run's serialized `results` (`limits.max_result_bytes`). */
export const DEFAULT_MAX_RESULT_BYTES = 4 * 1024 * 1024;

/** Time between SIGINT (the harness reports where the code stopped) and SIGKILL of the group. */
export const LOCAL_KILL_GRACE_MS = 1000;

export interface LocalExecutorOptions {
  local: LocalOptions;
  maxStdoutBytes: number;
  /**
   * Run each interpreter inside bubblewrap (docs/security.md). Default: not sandboxed, which is
   * only for development machines without bubblewrap; the runtime passes the config's section.
   */
  sandbox?: SandboxOptions;
  /**
   * CA servers (`host:port`, UDP search address) sandboxed runs reach through the Channel Access
   * gate this executor starts on first use (docs/security.md). Empty or unset: sandboxed runs
   * have no Channel Access at all. The registry passes the executor's EPICS_CA_ADDR_LIST.
   */
  caUpstreams?: readonly string[];
  /** Largest `results` (serialized JSON) a run may return; default 4 MiB. */
  maxResultBytes?: number;
  /** Where allow-listed variables are read from; default `process.env`. */
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
}

/**
 * Runs each execution as a fresh interpreter on the harness: its own process group, cwd in the
 * attempt folder, allow-listed environment, rlimits, and a hard timeout (SIGINT, then SIGKILL of
 * the whole group). Harness files live in a private temp folder, never in the attempt folder.
 */
export class LocalExecutor implements Executor {
  readonly method = "local" as const;
  private interpreter: Promise<string> | undefined;
  private readonly gate: SharedCaGate;
  private readonly running = new Set<ChildProcess>();
  private closed = false;
  /** Bind sources the sandbox's uid cannot reach are relayed from here (removed at close). */
  private readonly relays = new RelayFolder();
  private readonly logger: Logger;

  constructor(private readonly options: LocalExecutorOptions) {
    this.logger = options.logger ?? silentLogger();
    this.gate = new SharedCaGate({ ...options, logger: this.logger });
  }

  /** Runs the code; user-code errors and timeouts come back in `outcome.error`. */
  async execute(input: ExecuteInput): Promise<ExecutionOutcome> {
    if (this.closed) throw new PyfleetError("BACKEND_UNAVAILABLE", "the local executor is closed");
    this.interpreter ??= resolveInterpreter(this.options.local.python_env_path);
    const python = await this.interpreter.catch((err: unknown) => {
      this.interpreter = undefined;
      throw err;
    });
    await mkdir(input.workDir, { recursive: true });
    const scratch = await mkdtemp(join(tmpdir(), "pyfleet-local-"));
    try {
      const sandbox = this.options.sandbox?.enabled ? this.options.sandbox : undefined;
      if (!sandbox) return await this.run(python, scratch, input);
      const folders = await prepareSandboxFolders(sandbox, scratch);
      // the working folder's total size is capped (a tmpfs) when we may mount one
      const unmount = await mountWorkTmpfs(folders.work, sandbox.work_mb, sandboxHostIds(sandbox), { remove: scratch, logger: this.logger });
      try {
        return await this.run(python, folders.run, input, { options: sandbox, folders });
      } finally {
        try {
          // the code's files reach the attempt folder only now, and only regular files
          const skipped = await copyOutWork(folders.work, input.workDir, sandbox.max_file_mb * 1024 * 1024);
          if (skipped.length > 0) this.logger.warn({ runId: input.runId, skipped }, "files the sandboxed code left were not kept");
        } finally {
          await unmount?.();
        }
      }
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  private async run(
    python: string,
    scratch: string,
    input: ExecuteInput,
    sandboxed?: { options: SandboxOptions; folders: { run: string; work: string } },
  ): Promise<ExecutionOutcome> {
    const { local, maxStdoutBytes } = this.options;
    const files = { code: join(scratch, "code.py"), context: join(scratch, "context.json"), report: join(scratch, "report.json") };
    await writeFile(files.code, input.code, "utf8");
    await writeFile(files.context, JSON.stringify(input.context ?? {}), "utf8");
    const sandbox = sandboxed?.options;
    const inner = sandbox ? { harness: SANDBOX_ENV.harness, scratch: SANDBOX_ENV.scratch } : { harness: HARNESS_PATH, scratch };
    const args = [inner.harness, "--code", join(inner.scratch, "code.py"), "--context", join(inner.scratch, "context.json")];
    args.push("--mode", input.mode, "--report", join(inner.scratch, "report.json"));
    if (input.dryRun) args.push("--dry-run");
    if (input.describeWrites) args.push("--describe-writes");
    if (input.writePolicy) {
      await writeFile(join(scratch, "write-policy.json"), JSON.stringify(input.writePolicy), "utf8");
      args.push("--write-policy", join(inner.scratch, "write-policy.json"));
    }
    args.push("--rlimit-as-mb", String(local.memory_limit_mb), "--rlimit-cpu-s", String(local.cpu_seconds));
    args.push("--rlimit-nofile", String(local.max_open_files));
    // the harness asks the kernel to kill it when this process dies (no code outliving its executor);
    // in a sandbox bwrap's --die-with-parent does it (the executor's pid is not visible there)
    if (!sandbox) args.push("--parent-pid", String(process.pid));
    const env = buildChildEnv(local.env_allowlist, this.options.env ?? process.env, {
      MPLBACKEND: "Agg",
      PYTHONDONTWRITEBYTECODE: "1",
      PYTHONNOUSERSITE: "1",
      ...(sandbox ? { HOME: "/tmp", MPLCONFIGDIR: "/tmp/.mpl" } : {}),
    });
    const started = performance.now();
    let commandPid: Promise<number> | undefined;
    let child: ChildProcess;
    let gateRun: { gate: CaGate; session: GateSession } | undefined;
    if (sandboxed && sandbox) {
      const gate = await this.gate.get(python);
      const spec = await localSandboxSpec({ python, folders: sandboxed.folders, workDir: input.workDir, argv: [python, ...args], local, sandbox });
      // a venv or harness the sandbox's uid cannot reach (a checkout under /root) is relayed
      const { binds, relays } = await relayUnreachable(spec.binds, sandboxHostIds(sandbox), this.relays);
      // with a gate the command waits (bwrap --block-fd) until the gate serves CA in its network
      const sp = spawnSandboxed(sandbox, { spec: { ...spec, binds }, relays, env: gate ? { ...env, ...SANDBOX_CA_ENV } : env, hold: gate !== undefined });
      child = sp.child;
      commandPid = sp.commandPid;
      if (gate) {
        try {
          // the signed manifest's policy (write runs) is enforced here, outside the code's process
          gateRun = { gate, session: await gate.attach(await sp.commandPid, input.mode, gateManifestFor(input.mode, input.writePolicy)) };
          sp.release();
        } catch (err) {
          signalGroup(child, "SIGKILL");
          throw new PyfleetError("BACKEND_UNAVAILABLE", `the CA gate could not serve the sandbox: ${String(err)}`, { cause: err });
        }
      }
    } else {
      child = spawn(python, args, { cwd: input.workDir, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    }
    this.running.add(child);
    const stdout = new OutputCollector(maxStdoutBytes, (t) => input.onOutput?.("stdout", t));
    const stderr = new OutputCollector(maxStdoutBytes, (t) => input.onOutput?.("stderr", t));
    child.stdout?.on("data", (b: Buffer) => stdout.pushBytes(b));
    child.stderr?.on("data", (b: Buffer) => stderr.pushBytes(b));

    let timedOut = false;
    let cancelled = false;
    const timers: NodeJS.Timeout[] = [];
    const stop = () => {
      // in a sandbox the harness is pid 1 of its own namespace, in a session of its own: signal it directly
      if (commandPid) void commandPid.then((pid) => signalPid(pid, "SIGINT"), () => undefined);
      else signalGroup(child, "SIGINT");
      timers.push(setTimeout(() => signalGroup(child, "SIGKILL"), LOCAL_KILL_GRACE_MS));
    };
    timers.push(
      setTimeout(() => {
        timedOut = true;
        stop();
      }, input.timeoutMs),
    );
    const onAbort = () => {
      cancelled = true;
      signalGroup(child, "SIGKILL");
    };
    input.signal?.addEventListener("abort", onAbort, { once: true });

    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; spawnError?: Error }>((resolve) => {
      child.once("error", (err) => resolve({ code: null, signal: null, spawnError: err }));
      child.once("exit", (code, signal) => resolve({ code, signal }));
    });
    // whatever the code left behind in its group (background children) goes with it
    signalGroup(child, "SIGKILL");
    await drained(child);
    for (const t of timers) clearTimeout(t);
    input.signal?.removeEventListener("abort", onAbort);
    this.running.delete(child);
    const durationMs = performance.now() - started;
    const gateRecord = gateRun ? await gateRun.gate.detach(gateRun.session) : undefined;

    if (exit.spawnError) {
      throw new PyfleetError("BACKEND_UNAVAILABLE", `cannot start ${python}: ${exit.spawnError.message}`, { cause: exit.spawnError });
    }
    if (cancelled) throw new PyfleetError("CANCELLED", "the execution was cancelled");
    const extras = outputExtras(stdout, stderr, durationMs, timedOut ? input.timeoutMs : undefined);
    const raw = exit.code === 0 ? await readReport(files.report, this.maxReportBytes()) : null;
    // in a sandbox the report folder is always writable: failing to write it (harness exit 3) means
    // the report hit the file-size limit, i.e. the code returned too much
    if (typeof raw === "number" || (sandbox && exit.code === 3)) {
      const size = typeof raw === "number" ? `${raw} bytes` : `over the sandbox's ${sandbox?.max_file_mb} MiB file-size limit`;
      const evalue = `RESULTS_TOO_LARGE: the run's report is ${size}, more than allowed (limits.max_result_bytes); return less in results`;
      const error = { ename: "ResultsTooLarge", evalue, traceback: "", category: "code" as const };
      return applyGateTruth({ ...timeoutOutcome({ ...extras, timedOutAfterMs: 0 }), error }, gateRecord);
    }
    if (raw !== null && exit.code === 0) {
      return applyGateTruth(reportToOutcome(parseHarnessReport(JSON.parse(raw)), { ...extras, maxResultBytes: this.maxResultBytes() }), gateRecord);
    }
    if (timedOut) {
      return applyGateTruth(timeoutOutcome({ ...extras, timedOutAfterMs: input.timeoutMs }), gateRecord);
    }
    this.logger.warn({ exitCode: exit.code, signal: exit.signal, runId: input.runId }, "local python died before reporting");
    throw new PyfleetError(
      exit.code === 2 || exit.code === 3 ? "INTERNAL" : "KERNEL_DIED",
      `the Python process exited (${exit.signal ?? `code ${exit.code}`}) before reporting: ${tail(extras.stderr)}`,
      { details: { exitCode: exit.code, signal: exit.signal, backend: "local", ...(gateRecord ? { gate: gateRecord } : {}) } },
    );
  }

  private maxResultBytes(): number {
    return this.options.maxResultBytes ?? DEFAULT_MAX_RESULT_BYTES;
  }

  /** The report holds results and figures: results up to the cap, figures up to 16x it. */
  private maxReportBytes(): number {
    return this.maxResultBytes() * 17 + 64 * 1024;
  }

  /** Kills every running interpreter group and removes the relay folder. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    for (const child of this.running) signalGroup(child, "SIGKILL");
    this.running.clear();
    await this.gate.close();
    await this.relays.remove();
  }
}

function signalPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // gone already
  }
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // the group is gone already
  }
}

/** Waits for the pipes to close; a process that escaped the group may hold them, so at most 2 s. */
async function drained(child: ChildProcess): Promise<void> {
  if (child.stdout?.readableEnded !== false && child.stderr?.readableEnded !== false) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    new Promise<void>((resolve) => child.once("close", () => resolve())),
    new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        resolve();
      }, 2000);
    }),
  ]);
  clearTimeout(timer);
}

/**
 * The harness report; its size instead when it is larger than `maxBytes` (the code can write the
 * file itself: it is refused before it is read into memory); null when there is none.
 */
async function readReport(path: string, maxBytes: number): Promise<string | number | null> {
  const info = await stat(path).catch(() => null);
  if (!info) return null;
  return info.size > maxBytes ? info.size : readFile(path, "utf8");
}

function tail(text: string): string {
  const t = text.trim();
  return t.length > 500 ? `…${t.slice(-500)}` : t || "(no stderr)";
}
