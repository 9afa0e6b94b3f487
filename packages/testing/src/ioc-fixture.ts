import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { type CaEnv, projectPython, SIM_DIR, type SimIoc, startSimIoc } from "@pyfleet/core";

const run = promisify(execFile);

/** One put that reached the IOC, as its put log records it. */
export interface PutRecord {
  seq: number;
  time: number;
  pv: string;
  value: unknown;
  /** false: refused (outside DRVL..DRVH, interlock disabled, not a finite number). */
  accepted: boolean;
  error: string | null;
  /** Accepted / refused puts of this PV so far, this one included. */
  count: number;
  refused: number;
}

export interface IocFixtureOptions {
  /** PV database; default `sim/storage-ring.yml`. */
  config?: string;
  /** Interpreter; default the project venv's. */
  python?: string;
}

/**
 * The simulated storage ring (sim/, a caproto IOC) on its own free CA port, for tests. Counts come
 * from the IOC's put log, written by the IOC process: code under test cannot change them.
 *
 * ```ts
 * const ioc = await IocFixture.start();
 * // run code with ioc.env (EPICS_CA_ADDR_LIST=127.0.0.1:<port>, EPICS_CA_AUTO_ADDR_LIST=NO, ...)
 * expect(await ioc.putCount("SR:MAG:QF1:CURRENT_SP")).toBe(1);
 * await ioc.close();
 * ```
 */
export class IocFixture {
  private closed = false;

  private constructor(
    private readonly ioc: SimIoc,
    private readonly dir: string,
    /** The JSON-lines put log the IOC appends to. */
    readonly putLogPath: string,
  ) {}

  /**
   * Starts an IOC on a free port (never one another pyfleet IOC holds) with a put log in a temp folder.
   * @throws PyfleetError BACKEND_UNAVAILABLE when it does not start (with its output and the fix).
   */
  static async start(options: IocFixtureOptions = {}): Promise<IocFixture> {
    const dir = await mkdtemp(join(tmpdir(), "pyfleet-ioc-"));
    const putLog = join(dir, "puts.jsonl");
    try {
      const ioc = await startSimIoc({ putLog, ...(options.config ? { config: options.config } : {}), ...(options.python ? { python: options.python } : {}) });
      return new IocFixture(ioc, dir, putLog);
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** The CA server port (UDP search and TCP). */
  get port(): number {
    return this.ioc.port;
  }

  /** The `EPICS_CA_*` settings a client needs to reach this IOC only. */
  get env(): CaEnv {
    return { ...this.ioc.env };
  }

  /** Every put that reached the IOC, in order. */
  async puts(): Promise<PutRecord[]> {
    const text = await readFile(this.putLogPath, "utf8").catch((err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT") return "";
      throw err;
    });
    return text
      .split("\n")
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as PutRecord);
  }

  /** Accepted puts to `pv` (the times the device was written). */
  async putCount(pv: string): Promise<number> {
    return (await this.puts()).filter((p) => p.pv === pv && p.accepted).length;
  }

  /** Puts to `pv` the IOC refused. */
  async refusedCount(pv: string): Promise<number> {
    return (await this.puts()).filter((p) => p.pv === pv && !p.accepted).length;
  }

  /** Accepted puts per PV (PVs never written are absent). */
  async putCounts(): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const p of await this.puts()) if (p.accepted) counts[p.pv] = (counts[p.pv] ?? 0) + 1;
    return counts;
  }

  /**
   * Reads PVs over Channel Access with pyepics from the venv (a client of its own).
   * @returns the value, or `null` when the PV did not answer within `timeoutS`.
   */
  async get(pv: string, timeoutS = 5): Promise<unknown> {
    const { stdout } = await run(projectPython(), ["-m", "pyfleet_sim", "get", pv, "--timeout", String(timeoutS)], {
      cwd: SIM_DIR,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", LANG: "C.UTF-8", PYTHONPATH: SIM_DIR, ...this.env },
      timeout: (timeoutS + 10) * 1000,
    }).catch((err: { stdout?: string; code?: number }) => {
      if (err.code === 1 && err.stdout) return { stdout: err.stdout };
      throw err;
    });
    return (JSON.parse(stdout) as Record<string, unknown>)[pv] ?? null;
  }

  /** Stops the IOC and removes its folder. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.ioc.stop();
    await rm(this.dir, { recursive: true, force: true });
  }
}
