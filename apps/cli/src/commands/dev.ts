import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { startDevApprover } from "@pyfleet/approver";
import { startConsole } from "@pyfleet/console";
import { createLogger, generateDecisionKeyPair, loadConfig, PROJECT_ROOT, projectPython, startSimIoc, verifyKeysOf } from "@pyfleet/core";
import { startProducer } from "@pyfleet/producer";
import { startWorker } from "@pyfleet/worker";
import { type Command, UsageError } from "../command.js";
import { caExports } from "./sim-ioc.js";
import { hasCommand, jupyterInstalled, redisAnswers, type StartedService, startJupyter, startPrivateRedis, stopServices } from "./dev-services.js";
import { DEV_ROLE_VAR, stopLeftovers, stopRequested, superviseDev } from "./dev-supervisor.js";



const command: Command = {
  name: ["dev"],
  summary: "Run the whole fleet in one process: producer, every stage (both execute modes) and the approver.",
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
    if (values["producer-port"]) config.producer.port = port(values["producer-port"], "--producer-port");
    if (values["approver-port"]) config.approver_http.port = port(values["approver-port"], "--approver-port");
    const consolePort = values["console-port"] ? port(values["console-port"], "--console-port") : 8082;
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
      const logger = createLogger({ service: "dev", destination: process.stderr, level: env.PYFLEET_LOG_LEVEL ?? "warn" });
      const worker = await startWorker({ stages: ["generate", "analyze", "execute"], modes: ["read_only", "write_access"], metricsPort: 0 }, { config, logger, env, metricsHost: "127.0.0.1", decides: true });
      started.push({ url: "", stop: () => worker.close() });
      // A dev fleet on this machine: the producer takes runs without a token (it warns once).
      if (config.producer.tokens.length === 0) config.producer.allow_anonymous = true;
      const producer = await startProducer({ config, logger, env, fleet: worker.fleet });
      started.push({ url: producer.url, stop: () => producer.close() });
      io.out(`dev: producer ${producer.url}  (export PYFLEET_URL=${producer.url})`);
      const approver = await startDevApprover({ config, runtime: worker, logger, env, port: config.approver_http.port, devToken });
      started.push({ url: approver.url, stop: () => approver.close() });
      io.out(`dev: approver ${approver.url}  (export PYFLEET_APPROVER_URL=${approver.url} PYFLEET_TOKEN=${devToken}; identity dev, roles approver+admin)`);
      try {
        const web = await startConsole({ producerUrl: producer.url, approverUrl: approver.url, port: consolePort, logger });
        started.push({ url: web.url, stop: () => web.close() });
        io.out(`dev: console ${web.url}  (sign in with the dev token above)`);
      } catch (err) {
        // The fleet works without its web page (an unbuilt checkout): say how to get it.
        io.out(`dev: console not started: ${(err as Error).message}`);
      }
      io.out(`dev: worker metrics http://127.0.0.1:${worker.metricsPort}/metrics; Redis ${config.redis.url} prefix ${config.redis.prefix}; artifacts ${config.artifacts.root}`);
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
