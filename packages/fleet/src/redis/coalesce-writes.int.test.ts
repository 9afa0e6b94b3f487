import type { Socket } from "node:net";
import { createRedisFixture, type RedisFixture } from "@pyfleet/testing";
import { Redis } from "ioredis";
import { afterEach, expect, it } from "vitest";
import { coalesceWrites } from "./coalesce-writes.js";

let fx: RedisFixture | undefined;
let redis: Redis | undefined;
afterEach(async () => {
  redis?.disconnect();
  redis = undefined;
  await fx?.cleanup();
  fx = undefined;
});

/** Counts the writes the socket hands to the kernel (each is one `write`/`writev` syscall). */
function countWrites(socket: Socket): () => number {
  const handle = (socket as unknown as { _handle: Record<string, (...a: unknown[]) => unknown> })._handle;
  let n = 0;
  for (const name of ["writev", "writeUtf8String", "writeBuffer", "writeLatin1String", "writeAsciiString"]) {
    const f = handle[name]!;
    handle[name] = function (this: unknown, ...a: unknown[]) {
      n++;
      return f.apply(this, a);
    };
  }
  return () => n;
}

async function connected(): Promise<Redis> {
  fx = await createRedisFixture("coalesce");
  redis = new Redis(fx.url, { lazyConnect: true, maxRetriesPerRequest: null });
  coalesceWrites(redis);
  await redis.connect();
  return redis;
}

it("commands issued in one turn leave in one socket write, in order, each with its own reply", async () => {
  const r = await connected();
  const key = `${fx!.prefix}:k`;
  const writes = countWrites(r.stream as Socket);
  const replies = await Promise.all([r.set(key, "1"), r.incr(key), r.incrby(key, 5), r.get(key), r.del(key)]);
  expect(replies).toEqual(["OK", 2, 7, "7", 1]);
  expect(writes()).toBe(1);
  // commands issued after the replies (a later turn) go out in a write of their own
  await r.set(key, "x");
  expect(await r.get(key)).toBe("x");
  expect(writes()).toBe(3);
});

it("a reconnected client coalesces on its new socket too", async () => {
  const r = await connected();
  const first = r.stream;
  await r.call("CLIENT", "KILL", "SKIPME", "no", "ID", String(await r.client("ID")));
  await expect.poll(() => r.status === "ready" && r.stream !== first, { timeout: 10_000 }).toBe(true);
  const writes = countWrites(r.stream as Socket);
  expect(await Promise.all([r.ping(), r.ping("a"), r.ping("b")])).toEqual(["PONG", "a", "b"]);
  expect(writes()).toBe(1);
});
