import { type ChildProcess, spawn } from "node:child_process";
import { stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { type ExecutionMode, type GateRecord, GateRecordSchema, type Logger, PyfleetError, silentLogger } from "@pyfleet/core";
import { RelayFolder, relayedCommand, relayUnreachable } from "./bind-relay.js";

/** Absolute path of the gate (`packages/execution/gate/pyfleet_ca_gate.py`). */
export const CA_GATE_PATH: string = fileURLToPath(new URL("../../gate/pyfleet_ca_gate.py", import.meta.url));

/** What the sandbox's environment must say so unmodified CA clients find the gate. */
export const SANDBOX_CA_ENV: Readonly<Record<string, string>> = {
  EPICS_CA_ADDR_LIST: "127.0.0.1",
  EPICS_CA_AUTO_ADDR_LIST: "NO",
  EPICS_CA_SERVER_PORT: "5064",
  // the gate confirms libca's repeater registration here: no caRepeater process in the sandbox
  EPICS_CA_REPEATER_PORT: "5065",
};

/** PVs a write run may write, with optional limits (from the signed manifest); null admits any PV. */
export type GateManifest = Record<string, { low?: number | null; high?: number | null }> | null;

/** The shape of the signed manifest's write policy (`ExecuteInput.writePolicy`, developer "manifest"). */
export interface GateWritePolicyLike {
  allowed_pvs: string[] | null;
  limits: Record<string, { low: number | null; high: number | null }>;
  enforce_limits: boolean;
}

/**
 * What the gate admits for a run: nothing in read-only runs; in write runs the policy's PVs (with
 * limits when enforced), and nothing at all when a write run carries no policy (fail closed).
 */
export function gateManifestFor(mode: ExecutionMode, policy: GateWritePolicyLike | undefined): GateManifest {
  if (mode !== "write_access" || !policy) return {};
  if (policy.allowed_pvs === null) return null;
  return Object.fromEntries(policy.allowed_pvs.map((pv) => [pv, policy.enforce_limits ? (policy.limits[pv] ?? {}) : {}]));
}

export interface CaGateOptions {
  /** Interpreter with caproto (the project venv). */
  python: string;
  /** CA servers' search addresses, `host:port` (the executor's EPICS_CA_ADDR_LIST). */
  upstreams: readonly string[];
  /**
   * Host uid/gid of the gate process: the sandboxes' own (`sandboxHostIds`) when the executor is
   * root, so the gate holds no privilege beyond the user namespaces that uid owns.
   */
  runAs?: { uid: number; gid: number } | undefined;
  logger?: Logger;
}

/** One run's attachment to the gate; {@link CaGate.detach} returns what it saw. */
export interface GateSession {
  id: string;
}

interface Pending {
  resolve: (v: Record<string, unknown>) => void;
  reject: (e: Error) => void;
}

/**
 * The Channel Access gate process (docs/security.md): outside every sandbox, it serves CA inside
 * each attached sandbox's network namespace, passes reads, refuses writes in read-only runs and
 * admits only the manifest's PVs (within limits) in write runs, recording each with its true
 * outcome. One process serves all runs of an executor.
 */
export class CaGate {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;
  private exited: Error | undefined;

  private constructor(
    private readonly child: ChildProcess,
    private readonly logger: Logger,
    private readonly relayFolder: RelayFolder,
  ) {}

  /**
   * Starts the gate and waits until it answers.
   * @throws PyfleetError `BACKEND_MISCONFIGURED` without upstreams; `BACKEND_UNAVAILABLE` when it does not start.
   */
  static async start(options: CaGateOptions): Promise<CaGate> {
    if (options.upstreams.length === 0) {
      throw new PyfleetError("BACKEND_MISCONFIGURED", "the CA gate needs at least one upstream CA server (set EPICS_CA_ADDR_LIST for the executor)");
    }
    const relayFolder = new RelayFolder();
    const { python, script, relays } = await gateFiles(options.python, options.runAs, relayFolder);
    const command = relayedCommand(python, [script, ...options.upstreams.flatMap((u) => ["--upstream", u])], relays, options.runAs);
    const child = spawn(command.file, command.args, {
      stdio: ["pipe", "pipe", "pipe"],
      env: { PATH: "/usr/bin:/bin", PYTHONDONTWRITEBYTECODE: "1" },
      cwd: "/",
      ...(command.ids ?? {}),
    });
    const logger = options.logger ?? silentLogger();
    // A gate that died (killed with the fleet's process group at shutdown) fails the write of
    // the next request with EPIPE: its exit rejects what is pending; unhandled, it would crash
    // the executor process.
    child.stdin?.on("error", (err) => logger.warn({ err }, "CA gate input closed"));
    const gate = new CaGate(child, logger, relayFolder);
    const ready = new Promise<void>((resolve, reject) => {
      const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
      let first = true;
      lines.on("line", (line) => {
        if (first) {
          first = false;
          resolve();
          return;
        }
        gate.onLine(line);
      });
      child.once("error", reject);
      child.once("exit", (code, signal) => {
        gate.exited = new PyfleetError("BACKEND_UNAVAILABLE", `the CA gate exited (${signal ?? `code ${code}`}): ${stderr.trim().slice(-400)}`);
        reject(gate.exited);
        for (const p of gate.pending.values()) p.reject(gate.exited);
        gate.pending.clear();
      });
    });
    let stderr = "";
    child.stderr?.on("data", (b: Buffer) => {
      stderr = (stderr + b.toString("utf8")).slice(-4000);
      logger.warn({ gate: b.toString("utf8").trim() }, "CA gate");
    });
    await ready.catch(async (err: unknown) => {
      await relayFolder.remove();
      throw err instanceof PyfleetError ? err : new PyfleetError("BACKEND_UNAVAILABLE", `cannot start the CA gate: ${String(err)}`);
    });
    return gate;
  }

  /** Serves CA inside the network namespace of `pid` (the sandboxed command) for one run. */
  async attach(pid: number, mode: ExecutionMode, manifest: GateManifest = {}): Promise<GateSession> {
    const reply = await this.call({ op: "attach", pid, mode, manifest });
    return { id: String(reply.session) };
  }

  /** Ends the run's attachment and returns every write the gate saw. */
  async detach(session: GateSession): Promise<GateRecord> {
    const reply = await this.call({ op: "detach", session: session.id });
    return GateRecordSchema.parse({ writes: reply.writes, refused: reply.refused });
  }

  /** Sets the manifest a write session admits from now on (a long-lived sandbox: one per run). */
  async setPolicy(session: GateSession, manifest: GateManifest): Promise<void> {
    await this.call({ op: "policy", session: session.id, manifest });
  }

  /** Every write the session saw since the last take (or attach); the session stays attached. */
  async take(session: GateSession): Promise<GateRecord> {
    const reply = await this.call({ op: "take", session: session.id });
    return GateRecordSchema.parse({ writes: reply.writes, refused: reply.refused });
  }

  /** Stops the gate and removes its relay folder. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const gone = new Promise<void>((r) => this.child.once("exit", () => r()));
      this.child.kill("SIGTERM");
      await gone;
    }
    await this.relayFolder.remove();
  }

  private call(req: Record<string, unknown>): Promise<Record<string, unknown>> {
    if (this.exited) return Promise.reject(this.exited);
    if (this.closed) return Promise.reject(new PyfleetError("BACKEND_UNAVAILABLE", "the CA gate is closed"));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, {
        resolve: (v) => (v.ok ? resolve(v) : reject(new PyfleetError("BACKEND_UNAVAILABLE", `CA gate: ${String(v.error)}`))),
        reject,
      });
      this.child.stdin?.write(`${JSON.stringify({ id, ...req })}\n`);
    });
  }

  private onLine(line: string): void {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(line) as Record<string, unknown>;
    } catch {
      this.logger.warn({ line }, "CA gate wrote a line that is not JSON");
      return;
    }
    const p = this.pending.get(Number(msg.id));
    if (!p) return;
    this.pending.delete(Number(msg.id));
    p.resolve(msg);
  }
}

/**
 * The interpreter and gate script to start as `runAs`: when that uid cannot reach the venv or the
 * gate's folder (a checkout under /root), they are relayed like a sandbox's binds and started
 * from there (a venv's interpreter finds its packages from the path it was started by).
 */
async function gateFiles(python: string, runAs: { uid: number; gid: number } | undefined, folder: RelayFolder) {
  const venv = dirname(dirname(python));
  const isVenv = (await stat(join(venv, "pyvenv.cfg")).catch(() => null))?.isFile() ?? false;
  const { binds, relays } = await relayUnreachable([...(isVenv ? [{ src: venv }] : []), { src: dirname(CA_GATE_PATH) }], runAs, folder);
  const at = (i: number) => binds[i]?.src ?? "";
  return {
    python: isVenv ? join(at(0), "bin", basename(python)) : python,
    script: join(at(binds.length - 1), basename(CA_GATE_PATH)),
    relays,
  };
}

/** `host[:port]` entries of an EPICS_CA_ADDR_LIST, with the default port filled in. */
export function upstreamsFromEnv(env: NodeJS.ProcessEnv): string[] {
  const port = env.EPICS_CA_SERVER_PORT ?? "5064";
  return (env.EPICS_CA_ADDR_LIST ?? "")
    .split(/\s+/)
    .filter(Boolean)
    .map((a) => (a.includes(":") ? a : `${a}:${port}`));
}
