import { parseArgs } from "node:util";
import { loadConfig, RedisKeys } from "@pyfleet/core";
import { AuditLog } from "@pyfleet/fleet";
import { Redis } from "ioredis";
import { type Command, type CommandIO, UsageError } from "../command.js";

async function withAudit<T>(configFile: string | undefined, io: CommandIO, fn: (log: AuditLog) => Promise<T>): Promise<T> {
  const config = loadConfig({ ...(configFile ? { file: configFile } : {}), env: io.env, cwd: io.cwd });
  const redis = new Redis(config.redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    return await fn(new AuditLog(redis, new RedisKeys(config.redis.prefix)));
  } finally {
    redis.disconnect();
  }
}

const command: Command = {
  name: ["audit"],
  summary: "Check or show the hash-chained audit trail of approvals and write executions.",
  usage: "pyfleet audit verify|tail [-n COUNT] [--json] [--config FILE]",
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { config: { type: "string" }, n: { type: "string", short: "n", default: "20" }, json: { type: "boolean" } },
    });
    const sub = positionals[0];
    if (sub === "verify") {
      const v = await withAudit(values.config, io, (log) => log.verify());
      if (values.json) io.out(JSON.stringify(v));
      else if (v.ok) io.out(`audit chain intact: ${v.entries} entries`);
      else io.err(`audit chain BROKEN at entry ${v.brokenAt} (entry #${v.entries}): ${v.reason}`);
      return v.ok ? 0 : 1;
    }
    if (sub === "tail") {
      const n = Number(values.n);
      if (!Number.isInteger(n) || n < 1) throw new UsageError("-n must be a positive integer");
      const entries = await withAudit(values.config, io, (log) => log.tail(n));
      for (const e of entries) io.out(values.json ? JSON.stringify(e) : `${e.at}  ${e.type.padEnd(24)} ${JSON.stringify(e.data)}`);
      return 0;
    }
    throw new UsageError(sub ? `unknown audit subcommand "${sub}"` : "missing subcommand: verify or tail");
  },
};
export default command;
