import { execFile } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

/** Generous: a first build on a fresh machine debootstraps a rootfs (~2 min). */
export const SANDBOX_SETUP_TIMEOUT_MS = 900_000;

/**
 * Starts a Docker engine (reusing one that answers) with scripts/dockerd.sh and builds the
 * sandbox image with scripts/build-sandbox-image.sh (a no-op when it exists). Throws, with the
 * scripts' output, when either fails: docker tests must fail loudly, never skip.
 */
export async function ensureDockerSandbox(): Promise<{ dockerHost: string; buildLog: string }> {
  const started = await run("bash", [join(repoRoot, "scripts", "dockerd.sh"), "start"], { timeout: 60_000 }).catch((err: unknown) => {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`scripts/dockerd.sh start failed: ${e.message}\n${e.stdout ?? ""}${e.stderr ?? ""}`);
  });
  const dockerHost = /^DOCKER_HOST=(.+)$/m.exec(started.stdout)?.[1]?.trim();
  if (!dockerHost) throw new Error(`scripts/dockerd.sh start printed no DOCKER_HOST:\n${started.stdout}`);
  const built = await run("bash", [join(repoRoot, "scripts", "build-sandbox-image.sh")], {
    env: { ...process.env, DOCKER_HOST: dockerHost },
    timeout: SANDBOX_SETUP_TIMEOUT_MS - 60_000,
    maxBuffer: 16 * 1024 * 1024,
  }).catch((err: unknown) => {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`scripts/build-sandbox-image.sh failed: ${e.message}\n${e.stdout ?? ""}${e.stderr ?? ""}`);
  });
  return { dockerHost, buildLog: built.stdout };
}
