/**
 * Redis Cluster check of the plain saver: starts a throw-away 3-master cluster from the local
 * `redis-server` binary (temp dir, free ports, no persistence), runs a step-mode LangGraph run
 * and every saver operation through an ioredis `Cluster`, then stops the nodes.
 *
 *   npx tsx bench/checkpointer/cluster-check.ts
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Annotation, END, START, StateGraph } from "@langchain/langgraph";
import { PlainRedisSaver, threadKeyList } from "@pyfleet/checkpointer";
import { Cluster, Redis } from "ioredis";

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

async function waitForPing(port: number): Promise<void> {
  for (let i = 0; i < 50; i += 1) {
    const probe = new Redis(port, "127.0.0.1", { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on("error", () => {});
    try {
      await probe.connect();
      await probe.ping();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      probe.disconnect();
    }
  }
  throw new Error(`redis-server on port ${port} did not answer`);
}

async function startCluster(dir: string): Promise<{ ports: number[]; nodes: ChildProcess[] }> {
  const ports = [await freePort(), await freePort(), await freePort()];
  const nodes = ports.map((port) =>
    spawn(
      "redis-server",
      [
        "--port", String(port), "--bind", "127.0.0.1", "--cluster-enabled", "yes",
        "--cluster-config-file", join(dir, `nodes-${port}.conf`), "--dir", dir,
        "--save", "", "--appendonly", "no",
      ],
      { stdio: "ignore" },
    ),
  );
  try {
    for (const port of ports) await waitForPing(port);
    execFileSync("redis-cli", ["--cluster", "create", ...ports.map((p) => `127.0.0.1:${p}`), "--cluster-yes"], {
      stdio: "ignore",
    });
  } catch (err) {
    for (const node of nodes) node.kill("SIGTERM");
    throw err;
  }
  return { ports, nodes };
}

const State = Annotation.Root({
  log: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
});

async function main() {
  const dir = mkdtempSync(join(tmpdir(), "pyfleet-cluster-"));
  const { ports, nodes } = await startCluster(dir);
  const cluster = new Cluster(ports.map((port) => ({ host: "127.0.0.1", port })));
  try {
    for (let i = 0; i < 50; i += 1) {
      const info = await cluster.cluster("INFO");
      if (String(info).includes("cluster_state:ok")) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const saver = new PlainRedisSaver(cluster, { prefix: "pyfleet:cp" });
    const graph = new StateGraph(State)
      .addNode("a", () => ({ log: ["a"] }))
      .addNode("b", () => ({ log: ["b"] }))
      .addEdge(START, "a")
      .addEdge("a", "b")
      .addEdge("b", END)
      .compile({ checkpointer: saver, interruptBefore: ["a", "b"] });
    const threads = Array.from({ length: 20 }, (_, i) => `run-${i}`);
    for (const thread_id of threads) {
      const config = { configurable: { thread_id } };
      await graph.invoke({ log: ["start"] }, config);
      await graph.invoke(null, config);
      await graph.invoke(null, config);
      const state = await graph.getState(config);
      if (state.next.length !== 0 || state.values.log.join(",") !== "start,a,b") {
        throw new Error(`thread ${thread_id} ended in ${JSON.stringify(state.values)}`);
      }
    }
    const slots = new Set<number>();
    for (const thread of threads) {
      const keySlots = await Promise.all(threadKeyList("pyfleet:cp", thread).map((k) => cluster.cluster("KEYSLOT", k)));
      if (new Set(keySlots).size !== 1) throw new Error(`keys of ${thread} span slots ${keySlots.join(",")}`);
      slots.add(Number(keySlots[0]));
    }
    let listed = 0;
    for await (const _ of saver.list({ configurable: {} })) listed += 1;
    await saver.expireThread("run-0", 60);
    const ttl = await cluster.ttl(threadKeyList("pyfleet:cp", "run-0")[1]!);
    await saver.deleteThread("run-1");
    const gone = (await saver.getTuple({ configurable: { thread_id: "run-1" } })) === undefined;
    console.log(
      `cluster check OK: ${threads.length} step-mode runs on 3 masters, ${slots.size} distinct slots, ` +
        `list() across threads = ${listed} checkpoints, expireThread TTL = ${ttl}s, deleteThread removed: ${gone}`,
    );
  } finally {
    cluster.disconnect();
    for (const node of nodes) node.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
