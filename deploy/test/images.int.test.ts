import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { ensureDockerSandbox, freePort, IocFixture, SANDBOX_SETUP_TIMEOUT_MS } from "@pyfleet/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The images this repository ships, built for real and checked from outside:
// - pyfleet-sandbox (scripts/build-sandbox-image.sh, the docker backend's image; the docker tests
//   build it anyway) and its registry variant docker/sandbox/Dockerfile (opt-in: a second
//   debootstrap and a PyPI download cost minutes on a fresh machine), both from the same recipe
//   docker/sandbox/install-python.sh: imports, non-root, no network at run time, same config;
// - pyfleet-jupyter (deploy/jupyter/Dockerfile on the sandbox image), run as compose runs it: a
//   kernel of each kernelspec executes 1+1 in its bubblewrap sandbox; the server refuses the other
//   kernelspecs, refuses to start where the sandbox cannot be made, and says so when an operator
//   opts out of the sandbox.

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const run = promisify(execFile);
const OPT_IN = process.env.PYFLEET_TEST_IMAGE_BUILDS === "1";
const SECCOMP = join(ROOT, "deploy/jupyter/seccomp-kernel-sandbox.json");
const SANDBOX = process.env.PYFLEET_SANDBOX_IMAGE ?? "pyfleet-sandbox:latest";
const JUPYTER = "pyfleet-jupyter:test";
const SPECS = ["python3-epics-readonly", "python3-epics-write"] as const;

if (!OPT_IN) {
  console.log(
    "deploy/test/images.int.test.ts: skipping the docker/sandbox/Dockerfile build (a debootstrap and ~90 wheels from PyPI, several minutes on a fresh machine); set PYFLEET_TEST_IMAGE_BUILDS=1 to run it",
  );
}

let dockerHost = "";
const env = () => ({ ...process.env, DOCKER_HOST: dockerHost, PYFLEET_SANDBOX_IMAGE: SANDBOX });

async function sh(cmd: string, args: string[], timeout = 120_000): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(cmd, args, { env: env(), timeout, maxBuffer: 32 * 1024 * 1024, cwd: ROOT });
    return { stdout, stderr, code: 0 };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; code?: number | string };
    return { stdout: e.stdout ?? "", stderr: e.stderr ?? String(err), code: typeof e.code === "number" ? e.code : -1 };
  }
}

async function timed<T>(label: string, work: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const out = await work();
  console.log(`${label}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return out;
}

/** What a sandbox run can do, as the docker backend runs it: no network, read-only, no capabilities. */
async function smoke(image: string): Promise<Record<string, unknown>> {
  const probe =
    "import json, os, socket, numpy, pandas, matplotlib, epics, caproto, ipykernel, jupyter_server\n" +
    "import matplotlib.pyplot as plt; plt.plot([1, 2]); plt.savefig('/tmp/f.png')\n" +
    "try:\n    socket.create_connection(('pypi.org', 443), 3); net = 'reached'\nexcept OSError as e:\n    net = type(e).__name__\n" +
    "print(json.dumps({'uid': os.getuid(), 'numpy': numpy.__version__, 'pandas': pandas.__version__, " +
    "'matplotlib': matplotlib.__version__, 'pyepics': epics.__version__, 'caproto': caproto.__version__, 'network': net, " +
    "'site': os.path.dirname(numpy.__file__)}))";
  const out = await sh("docker", [
    "run", "--rm", "--network", "none", "--read-only", "--tmpfs", "/tmp", "--tmpfs", "/work:uid=65534,gid=65534",
    "--cap-drop", "ALL", "--security-opt", "no-new-privileges:true", image, "/usr/bin/python3", "-c", probe,
  ]);
  expect(out.code, out.stderr).toBe(0);
  const debs = await sh("docker", ["run", "--rm", "--network", "none", image, "dpkg-query", "-W", "-f", ["$", "{Package}\\n"].join("")]);
  const pythonDebs = debs.stdout.split("\n").filter((p) => /python3/.test(p) && !/^(lib)?python3(\.11)?(-minimal|-stdlib|-venv|-distutils|-lib2to3|-pip-whl|-setuptools-whl)?$/.test(p));
  return { ...(JSON.parse(out.stdout.trim()) as Record<string, unknown>), debianPythonPackages: pythonDebs };
}

function expectSandboxImage(report: Record<string, unknown>): void {
  expect(report).toMatchObject({ uid: 65534, network: expect.not.stringMatching(/^reached$/), debianPythonPackages: [] });
  expect(report.site).toBe("/usr/local/lib/python3.11/dist-packages/numpy");
}

beforeAll(async () => {
  dockerHost = (await ensureDockerSandbox()).dockerHost;
}, SANDBOX_SETUP_TIMEOUT_MS);

describe("sandbox image (scripts/build-sandbox-image.sh)", () => {
  it("imports the locked packages as a non-root user with no network", async () => {
    const report = await smoke(SANDBOX);
    console.log(`${SANDBOX}: ${JSON.stringify(report)}`);
    expectSandboxImage(report);
  });
});

describe.skipIf(!OPT_IN)("sandbox image from docker/sandbox/Dockerfile (PYFLEET_TEST_IMAGE_BUILDS=1)", () => {
  it("builds from the lock with the shared recipe and equals the offline image", async () => {
    const built = await timed("docker/sandbox/Dockerfile build", () => sh("bash", ["deploy/build-images.sh", "sandbox-dockerfile"], 1_500_000));
    expect(built.code, built.stdout + built.stderr).toBe(0);
    const report = await smoke("pyfleet-sandbox:dockerfile");
    console.log(`pyfleet-sandbox:dockerfile: ${JSON.stringify(report)}`);
    expectSandboxImage(report);
    expect(report).toMatchObject({ numpy: (await smoke(SANDBOX)).numpy });
    const config = async (image: string) => {
      const out = await sh("docker", ["image", "inspect", "-f", "{{json .Config}}", image]);
      expect(out.code, out.stderr).toBe(0);
      const c = JSON.parse(out.stdout) as { User: string; WorkingDir: string; Cmd: string[]; Env: string[]; Labels: Record<string, string> };
      return { user: c.User, workdir: c.WorkingDir, cmd: c.Cmd, env: [...c.Env].sort(), sandbox: c.Labels["org.pyfleet.sandbox"] };
    };
    expect(await config("pyfleet-sandbox:dockerfile")).toEqual(await config(SANDBOX));
  }, 1_600_000);
});

describe("deploy Jupyter image (deploy/jupyter/Dockerfile)", () => {
  const containers: string[] = [];
  const token = randomBytes(16).toString("hex");
  let ioc: IocFixture | undefined;
  /** The simulated ring on host loopback, reached through each kernel's CA gate (containers share the host network). */
  const caEnv = () => Object.entries(ioc!.env).flatMap(([k, v]) => ["-e", `${k}=${v}`]);

  /** The compose service's settings (docker-compose.yml x-jupyter), on the host network at a free loopback port. */
  async function start(spec: string, extra: string[]): Promise<{ name: string; port: number }> {
    const port = await freePort();
    const name = `pyfleet-jupyter-test-${spec}-${port}`;
    containers.push(name);
    const out = await sh("docker", [
      "run", "-d", "--name", name, "--network", "host", "--read-only", "--tmpfs", "/tmp", "--tmpfs", "/work:uid=65534,gid=65534",
      "--cap-drop", "ALL", "--security-opt", "no-new-privileges:true", "--user", "65534:65534",
      "-e", `PYFLEET_KERNELSPEC=${spec}`, "-e", `JUPYTER_TOKEN=${token}`, "-e", "JUPYTER_IP=127.0.0.1", "-e", `JUPYTER_PORT=${port}`,
      ...extra, JUPYTER,
    ]);
    expect(out.code, out.stderr).toBe(0);
    return { name, port };
  }

  async function waitForServer(name: string, port: number): Promise<void> {
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      const ok = await fetch(`http://127.0.0.1:${port}/api`).then((r) => r.ok, () => false);
      if (ok) return;
      const state = await sh("docker", ["inspect", "-f", "{{.State.Running}}", name]);
      if (state.stdout.trim() === "false") break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const logs = await sh("docker", ["logs", name]);
    throw new Error(`${name} did not serve on ${port}:\n${logs.stdout}${logs.stderr}`);
  }

  beforeAll(async () => {
    const built = await timed("pyfleet-jupyter build (on the sandbox image)", () =>
      sh("bash", ["deploy/build-images.sh", "jupyter"], 900_000),
    );
    expect(built.code, built.stdout + built.stderr).toBe(0);
    const tagged = await sh("docker", ["tag", "pyfleet-jupyter:latest", JUPYTER]);
    expect(tagged.code, tagged.stderr).toBe(0);
    ioc = await IocFixture.start();
  }, 960_000);

  afterAll(async () => {
    if (containers.length) await sh("docker", ["rm", "-f", ...containers]);
    await ioc?.close();
  });

  for (const spec of SPECS) {
    it(`runs a ${spec} kernel sandboxed and executes 1+1 from outside; other kernelspecs are refused`, async () => {
      const { name, port } = await start(spec, ["--security-opt", `seccomp=${SECCOMP}`, "--security-opt", "systempaths=unconfined", ...caEnv()]);
      await waitForServer(name, port);
      const check = await sh(join(ROOT, ".venv/bin/python"), [join(ROOT, "deploy/test/kernel_check.py"), `http://127.0.0.1:${port}`, token, spec, "1+1"]);
      console.log(`${spec}: ${check.stdout.trim()}`);
      expect(check.code, check.stdout + check.stderr).toBe(0);
      const report = JSON.parse(check.stdout) as Record<string, unknown>;
      expect(report).toMatchObject({ result: "2", reply: "ok", kernelspecs: [spec] });
      for (const status of Object.values(report.refused as Record<string, number>)) expect(status).toBeGreaterThanOrEqual(400);
      // sandboxed: its own PID namespace (the Jupyter server's process is not there), its work tmpfs, uid 65534
      const inside = await sh(join(ROOT, ".venv/bin/python"), [
        join(ROOT, "deploy/test/kernel_check.py"), `http://127.0.0.1:${port}`, token, spec,
        "import os; procs = [open(f'/proc/{p}/cmdline').read() for p in os.listdir('/proc') if p.isdigit()]; " +
          "print(os.getuid(), os.getcwd(), any('jupyter_server' in c for c in procs))",
      ]);
      expect(inside.code, inside.stdout + inside.stderr).toBe(0);
      expect((JSON.parse(inside.stdout) as { stdout: string }).stdout.trim()).toBe("65534 /run/pyfleet/work False");
      // Channel Access through the launcher's gate: a live read; a read-only kernel's write is refused and never reaches the IOC
      const ca = await sh(join(ROOT, ".venv/bin/python"), [
        join(ROOT, "deploy/test/kernel_check.py"), `http://127.0.0.1:${port}`, token, spec,
        "import epics\ncurrent = epics.caget('SR:DCCT:CURRENT', timeout=10)\n" +
          (spec === "python3-epics-readonly"
            ? "try:\n    epics.caput('SR:MAG:QF1:CURRENT_SP', 12.5, wait=True, timeout=5); w = 'written'\nexcept Exception as e:\n    w = type(e).__name__\n"
            : "w = 'not tried'\n") +
          "print(isinstance(current, float), w)",
      ]);
      expect(ca.code, ca.stdout + ca.stderr).toBe(0);
      const caOut = (JSON.parse(ca.stdout) as { stdout: string }).stdout.trim();
      console.log(`${spec} Channel Access: ${caOut}; IOC put count SR:MAG:QF1:CURRENT_SP = ${await ioc!.putCount("SR:MAG:QF1:CURRENT_SP")}`);
      expect(caOut).toBe(spec === "python3-epics-readonly" ? "True PermissionError" : "True not tried");
      expect(await ioc!.putCount("SR:MAG:QF1:CURRENT_SP")).toBe(0);
      const logs = await sh("docker", ["logs", name]);
      expect(logs.stderr).toContain(`${spec} kernels run sandboxed`);
    }, 180_000);
  }

  it("refuses to start where bubblewrap cannot make the sandbox (Docker's default seccomp and /proc), naming the fix", async () => {
    const { name } = await start("python3-epics-readonly", []);
    const waited = await sh("docker", ["wait", name], 90_000);
    expect(waited.stdout.trim()).toBe("3");
    const logs = await sh("docker", ["logs", name]);
    expect(logs.stderr).toContain("cannot create one");
    expect(logs.stderr).toContain("PYFLEET_KERNEL_SANDBOX=off");
  }, 120_000);

  it("runs kernels unsandboxed only when the operator opts out, and says so", async () => {
    const { name, port } = await start("python3-epics-readonly", ["-e", "PYFLEET_KERNEL_SANDBOX=off"]);
    await waitForServer(name, port);
    const check = await sh(join(ROOT, ".venv/bin/python"), [join(ROOT, "deploy/test/kernel_check.py"), `http://127.0.0.1:${port}`, token, "python3-epics-readonly", "1+1"]);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    const logs = await sh("docker", ["logs", name]);
    expect(logs.stderr).toContain("kernels run UNSANDBOXED");
  }, 180_000);
});
