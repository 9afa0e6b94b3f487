import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { EXECUTION_METHODS, type ExecutionMethod, type ExecutionOutcome, loadConfig, PROJECT_ROOT } from "@pyfleet/core";
import { createExecutorRegistry, type ExecutionOptions } from "@pyfleet/execution";
import { type Command, type CommandIO, UsageError } from "../command.js";
import { type StartedService, startJupyter } from "./dev-services.js";

/** The repository (its scripts/jupyter.sh serves the project's kernelspecs). */

interface ExecArgs {
  file: string;
  method: ExecutionMethod;
  context: string | null;
  config: string | null;
  json: boolean;
  dryRun: boolean;
  timeoutSeconds: number | null;
  figures: string | null;
}

function parseArgs(args: string[]): ExecArgs {
  const out: Partial<ExecArgs> & { json: boolean; dryRun: boolean } = { json: false, dryRun: false };
  const value = (i: number, flag: string): string => {
    const v = args[i];
    if (v === undefined || v.startsWith("--")) throw new UsageError(`${flag} needs a value`);
    return v;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--json") out.json = true;
    else if (a === "--dry-run") out.dryRun = true;
    else if (a === "--method") {
      const m = value(++i, a);
      if (!(EXECUTION_METHODS as readonly string[]).includes(m)) throw new UsageError(`--method must be one of ${EXECUTION_METHODS.join(", ")}`);
      out.method = m as ExecutionMethod;
    } else if (a === "--context") out.context = value(++i, a);
    else if (a === "--config") out.config = value(++i, a);
    else if (a === "--figures") out.figures = value(++i, a);
    else if (a === "--timeout") {
      const t = Number(value(++i, a));
      if (!Number.isFinite(t) || t <= 0) throw new UsageError("--timeout must be a positive number of seconds");
      out.timeoutSeconds = t;
    } else if (a.startsWith("-")) throw new UsageError(`unknown option ${a}`);
    else if (out.file === undefined) out.file = a;
    else throw new UsageError("expects exactly one FILE");
  }
  if (out.file === undefined) throw new UsageError("missing FILE");
  return {
    file: out.file,
    method: out.method ?? "local",
    context: out.context ?? null,
    config: out.config ?? null,
    json: out.json,
    dryRun: out.dryRun,
    timeoutSeconds: out.timeoutSeconds ?? null,
    figures: out.figures ?? null,
  };
}

async function readContext(path: string | null, io: CommandIO): Promise<Record<string, unknown> | null> {
  if (path === null) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(resolve(io.cwd, path), "utf8"));
  } catch (err) {
    throw new UsageError(`cannot read --context ${path}: ${(err as Error).message}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new UsageError("--context must hold a JSON object");
  return parsed as Record<string, unknown>;
}

/**
 * Options for a one-shot run: the config file if given, else the defaults with the Jupyter
 * endpoint from JUPYTER_HOST / JUPYTER_PORT. Kernels are reset in place (no replacement kernel
 * is started for a run that never comes).
 */
function execOptions(args: ExecArgs, io: CommandIO): ExecutionOptions {
  const base: ExecutionOptions = args.config
    ? (loadConfig({ file: args.config, env: io.env, cwd: io.cwd, onWarning: (w) => io.err(`warning: ${args.config}: ${w.path}: ${w.message}`) }) as ExecutionOptions)
    : { execution: { container: { jupyter_host: io.env.JUPYTER_HOST ?? "127.0.0.1", jupyter_port: Number(io.env.JUPYTER_PORT ?? 8888) } } };
  return { ...base, execution: { ...base.execution, container: { ...base.execution?.container, pool_min_idle: 0, reset: "reset" } } };
}

function printHuman(outcome: ExecutionOutcome, figurePaths: string[], io: CommandIO): void {
  if (outcome.stdout) io.out(outcome.stdout.replace(/\n$/, ""));
  if (outcome.stderr) io.err(outcome.stderr.replace(/\n$/, ""));
  if (outcome.results !== null) io.out(`results: ${JSON.stringify(outcome.results, null, 2)}`);
  outcome.figures.forEach((f, i) => {
    io.out(`figure: ${figurePaths[i] ?? `${f.name} (${Math.round(((f.data?.length ?? 0) * 3) / 4 / 1024)} KiB; --figures DIR saves it)`}`);
  });
  for (const w of outcome.recordedWrites) io.out(`dry-run write #${w.order}: ${w.pv} = ${JSON.stringify(w.value)} (${w.api})`);
  for (const w of outcome.warnings) io.err(`warning: ${w}`);
  if (outcome.error) io.err(`${outcome.error.traceback || `${outcome.error.ename}: ${outcome.error.evalue}`}`.replace(/\n$/, "") + ` [${outcome.error.category}]`);
  io.out(`${outcome.error ? "FAILED" : "OK"} on ${outcome.backend} in ${Math.round(outcome.durationMs)} ms`);
}

const command: Command = {
  name: ["exec"],
  summary: "Run a Python file read-only on one backend (no fleet) and print its results, output and figures.",
  usage:
    "pyfleet exec FILE [--method local|container|docker] [--context ctx.json] [--config config.yml] [--dry-run] [--timeout S] [--figures DIR] [--json]\n" +
    "  container: uses JUPYTER_HOST/JUPYTER_PORT/JUPYTER_TOKEN, or starts a private Jupyter server when no token is set.\n" +
    "  exit 0 ok, 1 the code failed (or the backend did), 2 usage",
  async run(rawArgs, io) {
    const args = parseArgs(rawArgs);
    let code: string;
    try {
      code = await readFile(resolve(io.cwd, args.file), "utf8");
    } catch (err) {
      throw new UsageError(`cannot read ${args.file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    const context = await readContext(args.context, io);
    const options = execOptions(args, io);
    const env = { ...io.env };
    const tokenEnv = options.execution?.container?.jupyter_token_env ?? "JUPYTER_TOKEN";
    let jupyter: StartedService | null = null;
    if (args.method === "container" && !env[tokenEnv]) {
      // a private server with the repo's kernelspecs on a free port, gone when the run is
      const started = await startJupyter(PROJECT_ROOT);
      jupyter = started;
      env[tokenEnv] = started.token;
      options.execution = { ...options.execution, container: { ...options.execution?.container, jupyter_host: "127.0.0.1", jupyter_port: started.port } };
    }
    const registry = createExecutorRegistry(options, { env });
    const workDir = await mkdtemp(join(tmpdir(), "pyfleet-exec-"));
    try {
      const outcome = await registry.get(args.method, "read_only").execute({
        runId: "cli-exec",
        attempt: 1,
        code,
        mode: "read_only",
        context,
        workDir,
        timeoutMs: args.timeoutSeconds !== null ? args.timeoutSeconds * 1000 : registry.timeoutMs,
        dryRun: args.dryRun,
      });
      const figurePaths: string[] = [];
      if (args.figures !== null) {
        const dir = resolve(io.cwd, args.figures);
        await mkdir(dir, { recursive: true });
        for (const f of outcome.figures) {
          const path = join(dir, f.name);
          await writeFile(path, Buffer.from(f.data ?? "", "base64"));
          figurePaths.push(path);
        }
      }
      if (args.json) io.out(JSON.stringify(outcome));
      else printHuman(outcome, figurePaths, io);
      return outcome.error ? 1 : 0;
    } finally {
      await registry.close();
      await jupyter?.stop();
      await rm(workDir, { recursive: true, force: true });
    }
  },
};

export default command;
