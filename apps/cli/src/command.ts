/** One `pyfleet` subcommand. `run` returns the process exit code (0 ok, 1 failure, 2 usage). */
export interface Command {
  /** Words that select it, e.g. `["config", "check"]`. */
  name: string[];
  summary: string;
  usage: string;
  run(args: string[], io: CommandIO): Promise<number>;
}

export interface CommandIO {
  out: (line: string) => void;
  err: (line: string) => void;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/** Thrown for bad command-line usage; the dispatcher prints it with the usage and exits 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}
