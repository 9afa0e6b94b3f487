import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** Absolute path of the fork server (`packages/execution/harness/pyfleet_forkserver.py`). */
export const FORKSERVER_PATH: string = fileURLToPath(new URL("../../harness/pyfleet_forkserver.py", import.meta.url));

/**
 * Everything needed to start one fork-server parent. A sandbox (bubblewrap) wraps exactly this:
 * the interpreter and arguments to run, the environment (already reduced to the allow-list),
 * the folder to start in and the socket the children connect to. Children `chdir` into each
 * run's `workDir` (an attempt folder under `artifacts.root`), so a sandbox must show those too.
 */
export interface ForkParentSpec {
  /** The interpreter (`execution.local.python_env_path` resolved). */
  python: string;
  /** Arguments after the interpreter, starting with {@link FORKSERVER_PATH}. */
  args: string[];
  /** The complete environment of the parent (allow-listed; children inherit it). */
  env: Record<string, string>;
  /** Private folder of this parent: its cwd, holding the Unix socket the children connect to. */
  cwd: string;
  /** The Unix socket (inside `cwd`) the children connect to. */
  socketPath: string;
}

/** Starts a fork-server parent; replace it to run the parent inside a sandbox. */
export type ForkParentLauncher = (spec: ForkParentSpec) => ChildProcess;

/**
 * The default launcher: the parent runs as a plain child of this process, in its own process
 * group, with stdin/stdout as its protocol channel and stderr for its diagnostics. It arms
 * PR_SET_PDEATHSIG itself (`--parent-pid`), so it dies with this process.
 */
export const spawnForkParent: ForkParentLauncher = (spec) =>
  spawn(spec.python, spec.args, { cwd: spec.cwd, env: spec.env, detached: true, stdio: ["pipe", "pipe", "pipe"] });
