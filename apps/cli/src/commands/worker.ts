import { spawn } from "node:child_process";
import { constants } from "node:os";
import type { Command } from "../command.js";
import { appBin } from "./dev-apps.js";

const command: Command = {
  name: ["worker"],
  summary: "Run a stage worker (same as pyfleet-worker).",
  usage: "pyfleet worker --stage generate|analyze|execute|all [--mode read_only|write_access] [--concurrency N] [--config FILE] [--metrics-port N]",
  run(args, io) {
    // The worker app's own command, as a child (the CLI does not import apps). It gets a process
    // group of its own so a terminal's Ctrl-C reaches it once, forwarded from here: a second
    // signal still means "stop now" to it.
    const child = spawn(process.execPath, [appBin("pyfleet-worker"), ...args], { cwd: io.cwd, env: io.env, stdio: "inherit", detached: true });
    const forward = (sig: NodeJS.Signals) => child.kill(sig);
    process.on("SIGINT", forward);
    process.on("SIGTERM", forward);
    return new Promise((resolve) => {
      child.once("exit", (code, sig) => {
        process.off("SIGINT", forward);
        process.off("SIGTERM", forward);
        resolve(code ?? 128 + (sig ? constants.signals[sig] : 0));
      });
    });
  },
};
export default command;
