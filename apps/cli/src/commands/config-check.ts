import { relative } from "node:path";
import { resolveSettings } from "@pyfleet/analysis";
import {
  type ConfigIssue,
  isPyfleetError,
  loadConfig,
  maskUrl,
  type PyfleetConfig,
  resolveConfigPath,
} from "@pyfleet/core";
import { type Command, UsageError } from "../command.js";

/** `file:line:col ` when the issue has a line, else `file: `. */
function where(file: string, issue: ConfigIssue): string {
  return issue.line ? `${file}:${issue.line}:${issue.column ?? 1} ` : `${file}: `;
}

/** The one-line summary of a valid config: backend, Redis (password masked), approval policy. */
export function summary(config: PyfleetConfig): string {
  const py = config.approval.capabilities.python_execution;
  const approval = `${config.approval.global_mode} (python_execution ${py.enabled ? py.mode : "disabled"})`;
  return `execution ${config.execution.execution_method}, redis ${maskUrl(config.redis.url)} (prefix ${config.redis.prefix}), approval ${approval}`;
}

const command: Command = {
  name: ["config", "check"],
  summary: "Load and validate a config file; print every problem and warning (exit 1 on any problem).",
  usage: "pyfleet config check [FILE]   (default: $PYFLEET_CONFIG, then ./config.yml)",
  async run(args, io) {
    if (args.length > 1 || args.some((a) => a.startsWith("-"))) throw new UsageError("expects at most one FILE");
    const path = resolveConfigPath({ env: io.env, cwd: io.cwd, ...(args[0] ? { file: args[0] } : {}) });
    const shown = relative(io.cwd, path).startsWith("..") ? path : relative(io.cwd, path);
    const warnings: ConfigIssue[] = [];
    try {
      const config = loadConfig({ file: path, env: io.env, onWarning: (w) => warnings.push(w) });
      for (const w of warnings) io.err(`warning: ${where(shown, w)}${w.path}: ${w.message}`);
      // Settings only the analyzer knows (its rule ids): every analyze worker would refuse them at start-up.
      try {
        resolveSettings(config);
      } catch (err) {
        if (!isPyfleetError(err) || err.code !== "CONFIG_INVALID") throw err;
        io.err(`${shown}: 1 problem`);
        io.err(`  ${shown}: framework.${err.message}`);
        return 1;
      }
      io.out(`OK ${shown}: ${summary(config)}`);
      return 0;
    } catch (err) {
      for (const w of warnings) io.err(`warning: ${where(shown, w)}${w.path}: ${w.message}`);
      if (!isPyfleetError(err) || (err.code !== "CONFIG_INVALID" && err.code !== "CONFIG_NOT_FOUND")) throw err;
      if (err.code === "CONFIG_NOT_FOUND") {
        io.err(err.message);
        return 1;
      }
      const issues = (err.issues ?? []) as ConfigIssue[];
      io.err(`${shown}: ${issues.length} problem${issues.length === 1 ? "" : "s"}`);
      for (const i of issues) io.err(`  ${where(shown, i)}${i.path}: ${i.message}`);
      return 1;
    }
  },
};

export default command;
