import { readFileSync } from "node:fs";
import { relative, resolve } from "node:path";
import { type AnalyzerOptions, createAnalyzer } from "@pyfleet/analysis";
import { type AnalysisResult, isPyfleetError, loadConfig } from "@pyfleet/core";
import { type Command, type CommandIO, UsageError } from "../command.js";

interface AnalyzeArgs {
  file: string;
  config: string | null;
  json: boolean;
}

function parseArgs(args: string[]): AnalyzeArgs {
  let file: string | null = null;
  let config: string | null = null;
  let json = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--json") json = true;
    else if (a === "--config") {
      const next = args[++i];
      if (!next || next.startsWith("-")) throw new UsageError("--config needs a file");
      config = next;
    } else if (a.startsWith("--config=")) config = a.slice("--config=".length);
    else if (a.startsWith("-")) throw new UsageError(`unknown option ${a}`);
    else if (file === null) file = a;
    else throw new UsageError("expects exactly one FILE");
  }
  if (file === null) throw new UsageError("missing FILE");
  return { file, config, json };
}

/** The analyzer options from `--config` (the whole `framework:` section), or the defaults. */
function options(path: string | null, io: CommandIO): AnalyzerOptions {
  if (path === null) return {};
  return loadConfig({ file: path, env: io.env, cwd: io.cwd, onWarning: (w) => io.err(`warning: ${path}: ${w.path}: ${w.message}`) });
}

/** Human form: one `file:line:col rule message` line per finding (`file:` for whole-file ones, line 0), then the verdict. */
function printHuman(shown: string, r: AnalysisResult, io: CommandIO): void {
  for (const f of r.findings) io.out(`${shown}:${f.line > 0 ? `${f.line}:${f.column}` : ""} ${f.rule} ${f.message} [${f.level}]`);
  const writes = r.pv_writes.length;
  const approval = r.needs_approval ? "approval required" : "no approval";
  io.out(
    `${r.passed ? "PASS" : "FAIL"} ${shown}: mode ${r.execution_mode}, ${writes} write${writes === 1 ? "" : "s"}, ${r.pv_reads.length} read${r.pv_reads.length === 1 ? "" : "s"}, ${approval}. ${r.reasoning}`,
  );
}

const command: Command = {
  name: ["analyze"],
  summary: "Statically analyse a Python file: syntax, security rules, control-system reads/writes, approval policy.",
  usage: "pyfleet analyze FILE [--config config.yml] [--json]   (exit 0 pass, 1 fail, 2 usage)",
  async run(args, io) {
    const parsed = parseArgs(args);
    const path = resolve(io.cwd, parsed.file);
    let code: string;
    try {
      code = readFileSync(path, "utf8");
    } catch (err) {
      throw new UsageError(`cannot read ${parsed.file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    let analyzer: ReturnType<typeof createAnalyzer>;
    try {
      analyzer = createAnalyzer(options(parsed.config, io));
    } catch (err) {
      if (!isPyfleetError(err) || (err.code !== "CONFIG_INVALID" && err.code !== "CONFIG_NOT_FOUND")) throw err;
      io.err(`config: ${err.message}`);
      for (const i of err.issues ?? []) io.err(`  ${i.path}: ${i.message}`);
      return 2;
    }
    const result = await analyzer.analyze({ code, expectedResults: {} });
    if (parsed.json) io.out(JSON.stringify(result, null, 2));
    else printHuman(relative(io.cwd, path).startsWith("..") ? path : relative(io.cwd, path), result, io);
    return result.passed ? 0 : 1;
  },
};

export default command;
