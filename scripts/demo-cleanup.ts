// Removes every Redis key of a demo prefix (the demo runs on the shared Redis with its own prefix).
import { deleteByPrefix } from "@pyfleet/testing";
import { Redis } from "ioredis";

const prefix = process.argv[2];
if (!prefix?.startsWith("pyfleet-demo-")) throw new Error("demo-cleanup: expects a pyfleet-demo-* prefix");
const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379", { maxRetriesPerRequest: 1 });
await deleteByPrefix(redis, `${prefix}:`);
await redis.quit();
