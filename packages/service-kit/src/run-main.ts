import { pathToFileURL } from "node:url";
import { type ParseArgsConfig, parseArgs } from "node:util";
import { createLogger, isPyfleetError, type Logger } from "@pyfleet/core";

/** Exit codes of every pyfleet service process. */
export const EXIT = {
  /** Stopped by SIGTERM/SIGINT after draining. */
  ok: 0,
  /** Could not start (Redis, a port, a missing secret), failed while serving, or a second signal cut the drain short. */
  failed: 1,
  /** Invoked wrong: unknown option, bad option value, or a config file that does not load. */
  usage: 2,
} as const;

/** Where a main writes: stdout lines, stderr lines, the environment. */
export interface MainIO {
  out(line: string): void;
  err(line: string): void;
  env: Record<string, string | undefined>;
}

export const processIO: MainIO = {
  out: (l) => process.stdout.write(`${l}\n`),
  err: (l) => process.stderr.write(`${l}\n`),
  env: process.env,
};

/** Bad usage: printed with the usage text, exit {@link EXIT.usage}. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** A started service as `runMain` drives it. */
export interface RunningService {
  /** Printed on stdout once started (e.g. "pyfleet-producer listening on http://…"). */
  readyLine: string;
  /** What the drain waits for, said when the first signal arrives (default "draining"). */
  drainNote?(): string;
  /** Said when a second signal cuts the drain short (what happens to the unfinished work). */
  forcedNote?: string;
  /** Stops taking work, finishes what is in flight, releases everything. */
  close(): Promise<void>;
}

export interface MainSpec<V, C> {
  /** Process name, the prefix of every line it prints ("pyfleet-worker"). */
  name: string;
  /** One-line usage, printed on bad usage and --help. */
  usage: string;
  /**
   * Parses the command line (`--help` is handled before); throw naming the option on a mistake
   * ({@link parseOptions} covers the usual case).
   */
  parse(argv: readonly string[]): V;
  /** Loads the config (a PyfleetError here is a config error: exit 2 with every field named). */
  config?(args: V, env: MainIO["env"]): C;
  /** Starts the service; a throw is a start-up failure (exit 1) and is printed with its reason. */
  start(ctx: { args: V; config: C; env: MainIO["env"]; io: MainIO; logger: Logger }): Promise<RunningService>;
}

/** `name: message` plus one indented line per field issue. */
function describe(name: string, err: unknown): string {
  if (!(err instanceof Error)) return `${name}: ${String(err)}`;
  const issues = isPyfleetError(err) ? (err.issues ?? []) : [];
  return `${name}: ${err.message}${issues.map((i) => `\n  ${i.path}: ${i.message}`).join("")}`;
}

function nextSignal(): { signal: Promise<NodeJS.Signals>; off(): void } {
  let off = () => {};
  const signal = new Promise<NodeJS.Signals>((resolve) => {
    const term = () => resolve("SIGTERM");
    const int = () => resolve("SIGINT");
    process.once("SIGTERM", term);
    process.once("SIGINT", int);
    off = () => {
      process.off("SIGTERM", term);
      process.off("SIGINT", int);
    };
  });
  return { signal, off };
}

/**
 * The one main of every pyfleet service: parses the arguments (exit 2 with the usage on a
 * mistake), loads the config (exit 2 naming each bad field), starts the service (exit 1 with the
 * reason if it cannot), serves until SIGTERM/SIGINT, then drains (exit 0). A second signal
 * during the drain stops at once (exit 1): an operator who asks twice wants the process gone.
 */
export async function runMain<V, C>(spec: MainSpec<V, C>, argv: readonly string[], io: MainIO = processIO): Promise<number> {
  let args: V;
  let config: C;
  if (argv.includes("--help")) {
    io.out(`Usage: ${spec.usage}`);
    return EXIT.ok;
  }
  try {
    args = spec.parse(argv);
  } catch (err) {
    io.err(`${spec.name}: ${(err as Error).message}\nUsage: ${spec.usage}`);
    return EXIT.usage;
  }
  try {
    config = spec.config ? spec.config(args, io.env) : (undefined as C);
  } catch (err) {
    if (!isPyfleetError(err)) throw err;
    io.err(describe(spec.name, err));
    return EXIT.usage;
  }
  const logger = createLogger({ service: spec.name.replace(/^pyfleet-/, ""), destination: process.stderr, ...(io.env.PYFLEET_LOG_LEVEL ? { level: io.env.PYFLEET_LOG_LEVEL } : {}) });
  // Signals before start-up finished still drain what started (close() after start resolves).
  const first = nextSignal();
  let service: RunningService;
  try {
    service = await spec.start({ args, config, env: io.env, io, logger });
  } catch (err) {
    first.off();
    io.err(describe(`${spec.name}: cannot start`, err));
    return EXIT.failed;
  }
  io.out(service.readyLine);
  const signal = await first.signal;
  const second = nextSignal();
  io.out(`${spec.name}: ${signal}: ${service.drainNote?.() ?? "draining"}, then exiting (send it again to stop at once)`);
  const again = await Promise.race([service.close().then(() => null), second.signal]);
  second.off();
  if (again) {
    io.err(`${spec.name}: second ${again}: stopping without waiting${service.forcedNote ? `; ${service.forcedNote}` : " for the drain"}`);
    return EXIT.failed;
  }
  io.out(`${spec.name} stopped`);
  return EXIT.ok;
}

/**
 * `node:util` parseArgs over `options` (no positionals), plus a check of `--port`-like options:
 * every name in `ports` must be an integer 0-65535 when given.
 * @throws UsageError naming the option.
 */
export function parseOptions(argv: readonly string[], options: NonNullable<ParseArgsConfig["options"]>, ports: readonly string[] = []): Record<string, string | boolean | undefined> {
  const { values } = parseArgs({ args: [...argv], options, allowPositionals: false });
  for (const name of ports) {
    const v = values[name];
    if (v === undefined) continue;
    const n = Number(v);
    if (typeof v !== "string" || !Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`--${name} must be an integer 0-65535 (0 = any free port)`);
  }
  return values as Record<string, string | boolean | undefined>;
}

/**
 * Runs `main` when `moduleUrl` is the script node was started with, then exits with its code
 * (an unexpected throw prints the stack and exits 1).
 */
export function runIfMain(moduleUrl: string, name: string, main: () => Promise<number>): void {
  if (!process.argv[1] || moduleUrl !== pathToFileURL(process.argv[1]).href) return;
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`${name}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(EXIT.failed);
    },
  );
}
