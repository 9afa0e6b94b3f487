import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ExecuteInput, ExecutionMode, ExecutionOutcome, Executor, Logger } from "@pyfleet/core";
import { PyfleetError, silentLogger } from "@pyfleet/core";
import { resolveInterpreter } from "../local/interpreter.js";
import { copyOutWork } from "../local/local-sandbox.js";
import type { ForkServerOptions, LocalOptions } from "../options.js";
import { buildChildEnv } from "../safe-env.js";
import { RelayFolder } from "../sandbox/bind-relay.js";
import { gateManifestFor, SANDBOX_CA_ENV } from "../sandbox/ca-gate.js";
import { applyGateTruth } from "../sandbox/gate-truth.js";
import { type SandboxOptions, sandboxCommandPid, } from "../sandbox/sandbox-process.js";
import { SharedCaGate } from "../sandbox/shared-ca-gate.js";
import { mountWorkTmpfs, type Unmount } from "../sandbox/work-tmpfs.js";
import { ChildHub } from "./child-hub.js";
import { ForkParent } from "./fork-parent.js";
import {
  type ForkFolders,
  grantSocket,
  makeRunFolder,
  prepareForkFolders,
  removeRunFolder,
  removeRunFolderIfEmpty,
  sandboxedForkLauncher,
} from "./fork-sandbox.js";
import { isNotStartedError, runForkedChild } from "./forked-run.js";
import { ParentGate } from "./parent-gate.js";
import { FORKSERVER_PATH, type ForkParentLauncher, type ForkParentSpec, spawnForkParent } from "./spawn-fork-parent.js";

/**
 * How many children a run may be given when the ones before it ended without starting its code
 * (the executor learns of a killed spare or parent only after it handed the job out).
 */
const NOT_STARTED_ATTEMPTS = 3;

export interface ForkServerExecutorOptions {
  /** Which parent this is: read-only and write runs never share a process. */
  mode: ExecutionMode;
  local: LocalOptions;
  forkServer: ForkServerOptions;
  maxStdoutBytes: number;
  /** Where allow-listed variables are read from; default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /**
   * Run the parent (and so every child) inside bubblewrap (docs/security.md). Default: not
   * sandboxed, only for development machines without bubblewrap; the runtime passes the config's section.
   */
  sandbox?: SandboxOptions;
  /**
   * CA servers (`host:port`) sandboxed runs reach through the Channel Access gate, which serves
   * the parent's network namespace (docs/security.md §3). Empty or unset: no Channel Access.
   */
  caUpstreams?: readonly string[];
  /** Largest `results` (serialized JSON) a run may return; default: no cap. */
  maxResultBytes?: number;
  /** Starts the parent; default {@link spawnForkParent}, or bubblewrap when `sandbox.enabled`. */
  launch?: ForkParentLauncher;
  logger?: Logger;
}

/**
 * `execution.local.isolation: fork`: one warm Python parent per mode with the harness, the guard
 * and the common modules imported forks a fresh child per run (its own process, session, working
 * folder, rlimits and guard; killed on timeout; dies with its parent, which dies with this
 * process). The parent is started on first use (or {@link warm}), replaced in the background
 * after `fork_server.max_runs_per_parent` runs, and started again when it dies.
 */
export class ForkServerExecutor implements Executor {
  readonly method = "local" as const;
  private readonly logger: Logger;
  private dir: Promise<{ folders: ForkFolders; socketPath: string; hub: ChildHub }> | undefined;
  private current: ForkParent | undefined;
  private starting: Promise<ForkParent> | undefined;
  private readonly parents = new Set<ForkParent>();
  private readonly aborts = new Set<AbortController>();
  /** Run folders being removed after their runs returned. */
  private readonly removals = new Set<Promise<void>>();
  private readonly gates = new Map<ForkParent, ParentGate>();
  private readonly gate: SharedCaGate;
  /** Bind sources the sandbox's uid cannot reach are relayed from here (removed at close). */
  private readonly relays = new RelayFolder();
  private unmountWork: Unmount | undefined;
  private closed = false;

  constructor(private readonly options: ForkServerExecutorOptions) {
    this.logger = options.logger ?? silentLogger();
    this.gate = new SharedCaGate({ ...options, logger: this.logger });
  }

  /** Starts the parent now so the first run does not wait for its imports. */
  async warm(): Promise<void> {
    await this.parent();
  }

  /** What the current parent imported (undefined until one is ready); `hostPid` is the launched process. */
  get parentInfo(): (ForkParent["info"] & { hostPid: number | undefined }) | undefined {
    return this.current ? { ...this.current.info, hostPid: this.current.hostPid } : undefined;
  }

  /** Runs the code in a fresh child; user-code errors and timeouts come back in `outcome.error`. */
  async execute(input: ExecuteInput): Promise<ExecutionOutcome> {
    if (this.closed) throw new PyfleetError("BACKEND_UNAVAILABLE", "the fork server executor is closed");
    if (input.mode !== this.options.mode) {
      throw new PyfleetError("BACKEND_MISCONFIGURED", `a ${input.mode} run reached the ${this.options.mode} fork server`);
    }
    const sandbox = this.sandbox;
    const dir = this.folder();
    const claimed = this.claimParent();
    let prepared: [ForkParent, { hub: ChildHub }, { host: string; inside: string } | undefined, unknown];
    try {
      prepared = await Promise.all([
        claimed,
        dir,
        // sandboxed, a run works in a private folder of the sandbox; its files are copied out after
        sandbox ? dir.then(({ folders }) => makeRunFolder(sandbox, folders, randomBytes(12).toString("base64url"))) : undefined,
        mkdir(input.workDir, { recursive: true }),
      ]);
    } catch (err) {
      void claimed.then(
        (p) => p.release(),
        () => undefined,
      );
      throw err;
    }
    const [claimedParent, { hub }, runFolder] = prepared;
    let parent = claimedParent;
    try {
      for (let attempt = 1; ; attempt += 1) {
        try {
          return await this.runOn(parent, hub, input, runFolder?.inside ?? input.workDir);
        } catch (err) {
          // no code of the run started in any child (a spare killed before it read its job, a
          // parent that died first): another child may take the job, at-most-once holds
          if (!isNotStartedError(err) || attempt >= NOT_STARTED_ATTEMPTS || this.closed || input.signal?.aborted) throw err;
          this.logger.warn({ runId: input.runId, attempt, err: err.message }, "the forked child ended before it started the code; another child takes the run");
          parent = await this.claimParent();
        }
      }
    } finally {
      if (sandbox && runFolder && !removeRunFolderIfEmpty(runFolder.host)) {
        try {
          const skipped = await copyOutWork(runFolder.host, input.workDir, sandbox.max_file_mb * 1024 * 1024);
          if (skipped.length > 0) this.logger.warn({ runId: input.runId, skipped }, "files the sandboxed code left were not kept");
        } finally {
          // the files are out: the run need not wait for the folder's removal (close() does)
          this.removeLater(runFolder.host);
        }
      }
    }
  }

  /** One try of a run on a claimed parent (released here). */
  private async runOn(parent: ForkParent, hub: ChildHub, input: ExecuteInput, workDir: string): Promise<ExecutionOutcome> {
    const abort = new AbortController();
    this.aborts.add(abort);
    const parentGate = this.gates.get(parent);
    let ticket: Awaited<ReturnType<ParentGate["begin"]>> | undefined;
    try {
      ticket = await parentGate?.begin(gateManifestFor(input.mode, input.writePolicy));
      const outcome = await runForkedChild({
        parent,
        hub,
        input,
        workDir,
        maxStdoutBytes: this.options.maxStdoutBytes,
        ...(this.options.maxResultBytes === undefined ? {} : { maxResultBytes: this.options.maxResultBytes }),
        closing: abort.signal,
      });
      // the gate's record, not the code's report, says which writes happened or were refused
      return ticket && parentGate ? applyGateTruth(outcome, await parentGate.end(ticket)) : outcome;
    } catch (err) {
      if (ticket && parentGate) await parentGate.end(ticket).catch(() => undefined);
      throw err;
    } finally {
      this.aborts.delete(abort);
      parent.release();
      if (parent.runs >= this.options.forkServer.max_runs_per_parent) this.replace(parent);
    }
  }

  private removeLater(folder: string): void {
    const removal = removeRunFolder(folder).catch((err: unknown) => this.logger.warn({ err, folder }, "could not remove a run folder"));
    this.removals.add(removal);
    void removal.finally(() => this.removals.delete(removal));
  }

  private get sandbox(): SandboxOptions | undefined {
    return this.options.sandbox?.enabled ? this.options.sandbox : undefined;
  }

  /** Kills every parent (their children die with them), removes the socket and relay folders. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const abort of this.aborts) abort.abort();
    await this.starting?.catch(() => undefined);
    await Promise.all([...this.parents].map((p) => p.kill()));
    this.parents.clear();
    this.current = undefined;
    await Promise.all([...this.gates.values()].map((g) => g.detach()));
    this.gates.clear();
    await this.gate.close();
    await this.relays.remove();
    await Promise.all(this.removals);
    const dir = await this.dir?.catch(() => undefined);
    if (dir) {
      await dir.hub.close();
      await this.unmountWork?.();
      await rm(dir.folders.root, { recursive: true, force: true });
    }
  }

  private folder(): Promise<{ folders: ForkFolders; socketPath: string; hub: ChildHub }> {
    this.dir ??= (async () => {
      const folders = await prepareForkFolders(await mkdtemp(join(tmpdir(), "pyfleet-fork-")));
      // the parent's sandbox has one total disk cap: its runs' folders live in one tmpfs
      if (this.sandbox) {
        this.unmountWork = await mountWorkTmpfs(folders.work, this.sandbox.work_mb, undefined, { mode: "0711", remove: folders.root, logger: this.logger });
      }
      const socketPath = join(folders.sock, "children.sock");
      const hub = await ChildHub.listen(socketPath);
      if (this.sandbox) await grantSocket(this.sandbox, socketPath);
      return { folders, socketPath, hub };
    })();
    return this.dir;
  }

  /**
   * The parent a run uses, claimed at once (synchronously when one is ready): a successor that
   * becomes ready while the run prepares retires this parent, which must not exit before the
   * run has taken its child (it would fail as KERNEL_DIED).
   */
  private claimParent(): Promise<ForkParent> {
    const current = this.current;
    if (current?.alive) {
      current.claim();
      return Promise.resolve(current);
    }
    return this.parent().then((p) => {
      p.claim();
      return p;
    });
  }

  private parent(): Promise<ForkParent> {
    if (this.current?.alive) return Promise.resolve(this.current);
    this.starting ??= this.startParent().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  private async startParent(): Promise<ForkParent> {
    const { local, forkServer } = this.options;
    const [python, dir] = await Promise.all([resolveInterpreter(local.python_env_path), this.folder()]);
    const { socketPath, folders } = dir;
    const sandbox = this.sandbox;
    const args = [FORKSERVER_PATH, "--mode", this.options.mode, "--socket", socketPath];
    // outside a sandbox the parent asks the kernel to kill it when this process dies; inside,
    // bwrap's --die-with-parent does (this process's pid is not visible there)
    if (!sandbox) args.push("--parent-pid", String(process.pid));
    args.push("--preload", forkServer.preload.join(","));
    args.push("--rlimit-as-mb", String(local.memory_limit_mb), "--rlimit-cpu-s", String(local.cpu_seconds));
    args.push("--rlimit-nofile", String(local.max_open_files));
    const gate = sandbox ? await this.gate.get(python) : undefined;
    const env = buildChildEnv(local.env_allowlist, this.options.env ?? process.env, {
      MPLBACKEND: "Agg",
      PYTHONDONTWRITEBYTECODE: "1",
      PYTHONNOUSERSITE: "1",
      // unmodified CA clients find the gate on the sandbox's loopback
      ...(gate ? SANDBOX_CA_ENV : {}),
    });
    const spec: ForkParentSpec = { python, args, env, cwd: folders.root, socketPath };
    const launch =
      this.options.launch ?? (sandbox ? (await sandboxedForkLauncher({ python, sandbox, local, folders, relays: this.relays })).launch : spawnForkParent);
    const started = performance.now();
    const parent = await ForkParent.start({
      spec,
      launch,
      logger: this.logger,
      readyTimeoutMs: forkServer.start_timeout_seconds * 1000,
      onDeath: (p) => this.onDeath(p),
    });
    if (this.closed) {
      await parent.kill();
      throw new PyfleetError("BACKEND_UNAVAILABLE", "the fork server executor is closed");
    }
    if (gate) {
      // the parent runs no user code before its first fork: attaching now covers every run
      try {
        const pid = await sandboxCommandPid(parent.hostPid);
        this.gates.set(parent, new ParentGate(gate, await gate.attach(pid, this.options.mode, {}), this.options.mode));
      } catch (err) {
        await parent.kill();
        throw new PyfleetError("BACKEND_UNAVAILABLE", `the CA gate could not serve the fork server's sandbox: ${String(err)}`, { cause: err });
      }
    }
    this.parents.add(parent);
    this.current = parent;
    parent.keepSpares(dir.hub, forkServer.spare_children);
    const { pid, preloaded, missing, threads, prefaultPages } = parent.info;
    this.logger.info({ forkServerPid: pid, mode: this.options.mode, preloaded, prefaultPages, startMs: Math.round(performance.now() - started) }, "fork server ready");
    if (missing.length > 0) this.logger.warn({ forkServerPid: pid, missing }, "fork server could not preload some modules");
    if (threads > 1) this.logger.warn({ forkServerPid: pid, threads }, "fork server parent has threads after its imports (forking is safest single-threaded)");
    return parent;
  }

  /** Starts a successor in the background; the old parent serves until it is ready, then drains. */
  private replace(old: ForkParent): void {
    if (this.closed || this.current !== old || this.starting) return;
    this.starting = this.startParent()
      .then((fresh) => {
        old.retire();
        return fresh;
      })
      .catch((err: unknown) => {
        this.logger.warn({ err }, "could not start a fork server successor; the current parent goes on");
        return old;
      })
      .finally(() => {
        this.starting = undefined;
      });
  }

  private onDeath(parent: ForkParent): void {
    void this.gates.get(parent)?.detach();
    this.gates.delete(parent);
    this.parents.delete(parent);
    if (this.current === parent) this.current = undefined;
  }
}
