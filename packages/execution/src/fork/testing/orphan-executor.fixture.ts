/**
 * Test fixture (not a test): an executor process that starts a fork-server run which prints the
 * child's and the parent's pid and then sleeps. The test SIGKILLs this process and checks that
 * neither the parent nor the child outlives it.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_EXECUTION_OPTIONS } from "../../options.js";
import { ForkServerExecutor } from "../fork-server-executor.js";

const local = DEFAULT_EXECUTION_OPTIONS.execution.local;
const executor = new ForkServerExecutor({ mode: "write_access", local, forkServer: local.fork_server, maxStdoutBytes: 4096 });
const workDir = await mkdtemp(join(tmpdir(), "pyfleet-fork-orphan-"));
await executor.execute({
  runId: "orphan",
  attempt: 1,
  code: "import os, time\nprint(os.getpid(), os.getppid(), flush=True)\ntime.sleep(120)",
  mode: "write_access",
  context: null,
  workDir,
  timeoutMs: 120_000,
  dryRun: false,
  onOutput: (_stream, text) => process.stdout.write(text),
});
