import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { generateDecisionKeyPair, hashToken, loadConfig, PROJECT_ROOT, projectPython, startSimIoc, verifyKeysOf } from "@pyfleet/core";
import { type Command, UsageError } from "../command.js";
import { startDevApps } from "./dev-fleet.js";
import { hasCommand, jupyterInstalled, redisAnswers, type StartedService, startJupyter, startPrivateRedis, stopServices } from "./dev-services.js";
import { DEV_ROLE_VAR, stopLeftovers, stopRequested, superviseDev } from "./dev-supervisor.js";
import { caExports } from "./sim-ioc.js";

const command: Command = {
  name: ["dev"],
  summary: "Run the whole fleet on this machine: producer, workers for every stage (both execute modes), approver and console.",
  usage:
    "pyfleet dev [--config FILE] [--producer-port N] [--approver-port N] [--console-port N] [--prefix P] [--kernels auto|jupyter|local] [--artifacts DIR]",
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: {
        config: { type: "string" },
        "producer-port": { type: "string" },
        "approver-port": { type: "string" },
        "console-port": { type: "string" },
        prefix: { type: "string" },
        kernels: { type: "string", default: "auto" },
        artifacts: { type: "string" },
      },
    });
    const kernels = values.kernels as string;
    if (!["auto", "jupyter", "local"].includes(kernels)) throw new UsageError("--kernels must be auto, jupyter or local");
    // The process the user starts only supervises: the fleet runs in a child it can clean up after.
    if (io.env[DEV_ROLE_VAR] !== "fleet") return superviseDev(args, io);
    const stop = stopRequested();
    const env: Record<string, string | undefined> = { ...io.env };
    const config = structuredClone(loadConfig({ ...(values.config ? { file: values.config } : {}), env, cwd: io.cwd }));
    if (values.prefix) config.redis.prefix = values.prefix;
    if (values.artifacts) config.artifacts.root = values.artifacts;
    // given to the apps as --port (0, any free port, is a flag value, not a config value)
    const ports = {
      producer: values["producer-port"] ? port(values["producer-port"], "--producer-port") : config.producer.port,
      approver: values["approver-port"] ? port(values["approver-port"], "--approver-port") : config.approver_http.port,
      console: values["console-port"] ? port(values["console-port"], "--console-port") : 8082,
    };
    const started: StartedService[] = [];
    const stopAll = async () => {
      // the worker drains in-flight runs first; nothing else should take long
      const late = await stopServices(started.reverse(), config.queues.drain_seconds * 1000 + 10_000);
      for (const s of late) io.err(`dev: ${s.url || "the worker"} did not stop in time; what it started is killed now`);
      const left = await stopLeftovers();
      if (left.length > 0) io.err(`dev: stopped ${left.length} process(es) still running after the orderly stop: ${left.join(", ")}`);
    };
    try {
      if (!(await redisAnswers(config.redis.url))) {
        if (!hasCommand("redis-server")) throw new Error(`no Redis answers at ${config.redis.url} and redis-server is not installed (run bash scripts/bootstrap.sh)`);
        const redis = await startPrivateRedis();
        started.push(redis);
        io.out(`dev: no Redis at ${config.redis.url}; started a private redis-server at ${redis.url} (memory only, stopped on exit)`);
        config.redis.url = redis.url;
      }
      if (env.EPICS_CA_ADDR_LIST) {
        io.out(`dev: EPICS_CA_ADDR_LIST=${env.EPICS_CA_ADDR_LIST} is set: runs use that control system (no simulated IOC started)`);
      } else {
        const ioc = await startSimIoc({ onStderr: (line) => io.err(`sim: ${line}`) });
        started.push({ url: `ca://127.0.0.1:${ioc.port}`, stop: () => ioc.stop() });
        Object.assign(env, ioc.env);
        io.out(`dev: simulated storage ring (sim/storage-ring.yml, ${ioc.pvCount} PVs) on 127.0.0.1:${ioc.port}; every backend gets ${caExports(ioc.env).map((l) => l.replace("export ", "")).join(" ")}`);
      }
      if (kernels !== "local" && jupyterInstalled(env)) {
        const jup = await startJupyter(PROJECT_ROOT, env);
        started.push(jup);
        config.execution.execution_method = "container";
        config.execution.container.jupyter_host = "127.0.0.1";
        config.execution.container.jupyter_port = jup.port;
        env[config.execution.container.jupyter_token_env] = jup.token;
        io.out(`dev: kernels from a Jupyter server started at ${jup.url} (python3-epics-readonly / python3-epics-write, on ${projectPython(env)})`);
      } else {
        if (kernels === "jupyter") throw new Error("--kernels jupyter: Jupyter is not installed (run bash scripts/bootstrap.sh)");
        config.execution.execution_method = "local";
        io.out(`dev: ${kernels === "local" ? "--kernels local" : "Jupyter is not installed"}: code runs on the local backend (${config.execution.local.python_env_path})`);
      }
      const signingVar = config.approver.signing_keys_env;
      const verifyVar = config.approver.verify_keys_env;
      if (!env[signingVar]) {
        const pair = generateDecisionKeyPair(config.approver.signing_key_id);
        env[signingVar] = pair.signing;
        env[verifyVar] = pair.verify;
        io.out(`dev: ${signingVar} not set; using a throw-away Ed25519 key pair for this session`);
      } else if (!env[verifyVar]) {
        // One process is approver and executor here; it checks decisions with the public halves.
        env[verifyVar] = verifyKeysOf(env[signingVar] as string, signingVar);
      }
      const devToken = env.PYFLEET_DEV_TOKEN ?? randomBytes(16).toString("hex");
      env.PYFLEET_DEV_TOKEN = devToken;
      // A dev fleet on this machine: the producer takes runs without a token (it warns once), the
      // approver answers on loopback to an identity `dev` (roles approver and admin).
      if (config.producer.tokens.length === 0) config.producer.allow_anonymous = true;
      config.approver_http.host = "127.0.0.1";
      config.approver.tokens = [...config.approver.tokens, { sha256: hashToken(devToken), identity: "dev", roles: ["approver", "admin"] }];
      // The apps read the session's config (ports, Redis, kernels as decided above) from one file.
      const dir = mkdtempSync(join(tmpdir(), "pyfleet-dev-"));
      started.push({ url: "", stop: async () => rmSync(dir, { recursive: true, force: true }) });
      const configFile = join(dir, "config.yml");
      writeFileSync(configFile, JSON.stringify({ framework: config }), { mode: 0o600 });
      const apps = await startDevApps({ config, configFile, env, ports, onLine: io.err, started });
      io.out(`dev: producer ${apps.producer}  (export PYFLEET_URL=${apps.producer})`);
      io.out(`dev: approver ${apps.approver}  (export PYFLEET_APPROVER_URL=${apps.approver} PYFLEET_TOKEN=${devToken}; identity dev, roles approver+admin)`);
      io.out(apps.console ? `dev: console ${apps.console}  (sign in with the dev token above)` : `dev: console not started: ${apps.consoleError}`);
      io.out(`dev: worker metrics ${apps.workerMetrics.join(" and ")}; Redis ${config.redis.url} prefix ${config.redis.prefix}; artifacts ${config.artifacts.root}`);
      io.out("dev: ready (Ctrl-C stops everything)");
      io.out(`dev: ${await stop}: stopping`);
      await stopAll();
      io.out("dev: stopped");
      return 0;
    } catch (err) {
      await stopAll();
      throw err;
    }
  },
};
export default command;

function port(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`${flag} must be a port number (0 = any free port)`);
  return n;
}
