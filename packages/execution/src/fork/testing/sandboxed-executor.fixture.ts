/**
 * Test fixture (not a test): a sandboxed fork-server executor (work tmpfs mounted on the host)
 * that starts a run which prints a line and then sleeps. The test SIGKILLs this process, so it
 * never unmounts its work folder, and checks that the next executor's sweep removes it.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_EXECUTION_OPTIONS } from "../../options.js";
import { ForkServerExecutor } from "../fork-server-executor.js";

const { local, sandbox } = DEFAULT_EXECUTION_OPTIONS.execution;
const executor = new ForkServerExecutor({ mode: "read_only", local, forkServer: local.fork_server, sandbox, maxStdoutBytes: 4096 });
const workDir = await mkdtemp(join(tmpdir(), "pyfleet-fork-stale-"));
await executor.execute({
  runId: "stale-mount",
  attempt: 1,
  code: "import time\nprint('running', flush=True)\ntime.sleep(120)",
  mode: "read_only",
  context: null,
  workDir,
  timeoutMs: 120_000,
  dryRun: false,
  onOutput: (_stream, text) => process.stdout.write(text),
});
