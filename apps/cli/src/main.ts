import { readFileSync } from "node:fs";
import { type CommandIO, UsageError } from "./command.js";
import { COMMANDS } from "./commands/index.js";

const VERSION = (
  JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }
).version;

function help(io: CommandIO): void {
  io.out("pyfleet: generate, analyse, approve and run Python safely, as a fleet.\n");
  io.out("Usage: pyfleet <command> [options]\n\nCommands:");
  const width = Math.max(...COMMANDS.map((c) => c.name.join(" ").length)) + 2;
  for (const c of COMMANDS) io.out(`  ${c.name.join(" ").padEnd(width)}${c.summary}`);
  io.out("\nOptions:\n  --help      show help (also after a command)\n  --version   print the version");
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(argv: string[], io: CommandIO = defaultIO()): Promise<number> {
  if (argv[0] === "--version" || argv[0] === "-v") {
    io.out(VERSION);
    return 0;
  }
  if (argv.length === 0 || argv[0] === "--help" || argv[0] === "-h" || argv[0] === "help") {
    help(io);
    return argv.length === 0 ? 2 : 0;
  }
  const entry = [...COMMANDS]
    .sort((a, b) => b.name.length - a.name.length)
    .find((c) => c.name.every((w, i) => argv[i] === w));
  if (!entry) {
    io.err(`pyfleet: unknown command "${argv.join(" ")}". Run pyfleet --help for the list.`);
    return 2;
  }
  const cmd = (await entry.load()).default;
  const rest = argv.slice(entry.name.length);
  if (rest.includes("--help") || rest.includes("-h")) {
    io.out(`${cmd.summary}\n\nUsage: ${cmd.usage}`);
    return 0;
  }
  try {
    return await cmd.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`pyfleet ${cmd.name.join(" ")}: ${err.message}\nUsage: ${cmd.usage}`);
      return 2;
    }
    io.err(`pyfleet ${cmd.name.join(" ")}: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

function defaultIO(): CommandIO {
  return {
    out: (l) => process.stdout.write(`${l}\n`),
    err: (l) => process.stderr.write(`${l}\n`),
    env: process.env,
    cwd: process.cwd(),
  };
}
