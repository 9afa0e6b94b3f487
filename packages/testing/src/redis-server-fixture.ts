import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { freePort } from "./jupyter-fixture.js";

export interface RedisServerOptions {
  /** Append-only file with `appendfsync always` (default true): a SIGKILL loses no acknowledged write. */
  aof?: boolean;
  /** Contents of an ACL file (`user <name> on >pass ~keys &channels +cmds`) the server loads. */
  acl?: string;
  /** `maxmemory-policy` (default `noeviction`, what the fleet needs). */
  maxmemoryPolicy?: string;
}

/**
 * A private `redis-server` on a free loopback port with its own data folder, for tests that stop,
 * kill or restart Redis (never the shared one on 6379). The port stays the same across restarts.
 */
export class RedisServerFixture {
  private child: ChildProcess | null = null;
  private closed = false;

  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly args: string[],
  ) {}

  /** `redis://127.0.0.1:<port>` (add credentials yourself when the server has ACL users). */
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Pid of the running server, or `null` while it is down. */
  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  /**
   * Starts a server and waits until it answers PING.
   * @throws Error when `redis-server` is missing or does not answer within 10 s.
   */
  static async start(opts: RedisServerOptions = {}): Promise<RedisServerFixture> {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), "pyfleet-redis-"));
    const args = ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--maxmemory-policy", opts.maxmemoryPolicy ?? "noeviction"];
    if (opts.aof ?? true) args.push("--appendonly", "yes", "--appendfsync", "always");
    else args.push("--appendonly", "no");
    if (opts.acl !== undefined) {
      writeFileSync(join(dir, "users.acl"), opts.acl);
      args.push("--aclfile", join(dir, "users.acl"));
    }
    const fx = new RedisServerFixture(port, dir, args);
    await fx.up();
    return fx;
  }

  /** Starts the server again (after {@link kill}) on the same port and folder (the AOF is replayed). */
  async up(): Promise<void> {
    if (this.child) return;
    const child = spawn("redis-server", this.args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout?.on("data", (d: Buffer) => {
      out = (out + d.toString()).slice(-4000);
    });
    child.stderr?.on("data", (d: Buffer) => {
      out = (out + d.toString()).slice(-4000);
    });
    this.child = child;
    child.once("exit", () => {
      if (this.child === child) this.child = null;
    });
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (await this.answers()) return;
      if (!this.child || Date.now() > deadline) {
        child.kill("SIGKILL");
        throw new Error(`redis-server on port ${this.port} did not answer:\n${out}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Kills the server (SIGKILL by default: no shutdown save, like a crash) and waits for it to exit. */
  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill(signal);
    await exited;
  }

  /** A client connection (the default user unless `url` carries credentials). */
  connect(url = this.url): Redis {
    return new Redis(url, { maxRetriesPerRequest: null, lazyConnect: false });
  }

  /** Stops the server and removes its folder. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async answers(): Promise<boolean> {
    const r = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false, enableReadyCheck: false });
    // An ACL server refuses the default user (ioredis reports it as an error event): it answers all the same.
    let refused = false;
    r.on("error", (err: Error) => {
      refused ||= /NOAUTH|NOPERM|WRONGPASS/.test(err.message);
    });
    try {
      await r.connect();
      await r.ping();
      return true;
    } catch {
      return refused;
    } finally {
      r.disconnect();
    }
  }
}
