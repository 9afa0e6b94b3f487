/**
 * A Docker engine of the fault suite's own (scripts/dockerd.sh with its own socket, data root and
 * pidfile), so stopping it never touches the engine other tests on the machine use. Its data root
 * persists: the sandbox image is imported once (from the rootfs tarball scripts/build-sandbox-image.sh
 * caches), later runs find it.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const SCRIPTS = fileURLToPath(new URL("../../scripts/", import.meta.url));
const SOCKET = "/run/pyfleet-docker-chaos.sock";

/** Where the suite's engine keeps its state (dockerd.sh reads these). */
const ENGINE_ENV = {
  PYFLEET_DOCKER_DATA_ROOT: "/var/lib/pyfleet-docker-chaos",
  PYFLEET_DOCKER_EXEC_ROOT: "/run/pyfleet-docker-chaos",
  PYFLEET_DOCKER_SOCKET: SOCKET,
  PYFLEET_DOCKER_PIDFILE: "/run/pyfleet-docker-chaos.pid",
  PYFLEET_DOCKER_LOG: "/tmp/pyfleet-dockerd-chaos.log",
  DOCKER_HOST: `unix://${SOCKET}`,
};

export const CHAOS_DOCKER_HOST = ENGINE_ENV.DOCKER_HOST;

async function script(name: string, args: string[], timeoutMs: number): Promise<string> {
  try {
    const { stdout } = await run("bash", [`${SCRIPTS}${name}`, ...args], { env: { ...process.env, ...ENGINE_ENV }, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`scripts/${name} ${args.join(" ")} failed: ${e.message}\n${e.stdout ?? ""}${e.stderr ?? ""}`);
  }
}

/** Starts the suite's engine (or finds it running) and makes sure it has the sandbox image. */
export async function startChaosEngine(): Promise<void> {
  const out = await script("dockerd.sh", ["start"], 90_000);
  const host = /^DOCKER_HOST=(.+)$/m.exec(out)?.[1]?.trim();
  // dockerd.sh reuses any engine that answers; a shared one must never be the one this suite stops
  if (host !== CHAOS_DOCKER_HOST) throw new Error(`scripts/dockerd.sh answered with ${host}, not the suite's own engine ${CHAOS_DOCKER_HOST}:\n${out}`);
  await script("build-sandbox-image.sh", [], 900_000);
}

/** Stops the suite's engine (SIGTERM, then SIGKILL after 20 s); its containers stop with it. */
export async function stopChaosEngine(): Promise<void> {
  await script("dockerd.sh", ["stop"], 60_000);
}

/** Containers running on the suite's engine (0 when it does not answer). */
export async function runningContainers(): Promise<number> {
  try {
    const { stdout } = await run("docker", ["ps", "-q"], { env: { ...process.env, DOCKER_HOST: CHAOS_DOCKER_HOST }, timeout: 10_000 });
    return stdout.split("\n").filter(Boolean).length;
  } catch {
    return 0;
  }
}
