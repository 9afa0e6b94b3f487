import { createHash } from "node:crypto";
import { RedisServerFixture } from "@pyfleet/testing";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { threadKeyList } from "./keys.js";
import { CHECKPOINT_LUA, checkpointScripts } from "./scripts.js";

const sha1 = (source: string) => createHash("sha1").update(source).digest("hex");

describe("checkpointScripts (ioredis defineCommand)", () => {
  // A private server: no other test has loaded the scripts there, so the first EVALSHA must fail with NOSCRIPT.
  let server: RedisServerFixture;
  let redis: Redis;
  beforeAll(async () => {
    server = await RedisServerFixture.start({ aof: false });
    redis = new Redis(server.url);
  });
  afterAll(async () => {
    redis?.disconnect();
    await server?.close();
  });

  it("loads itself with EVAL on NOSCRIPT, then runs by SHA, returning Buffers", async () => {
    const scripts = checkpointScripts(redis);
    const keys = threadKeyList("cplua", "t1");
    const loadSha = sha1(CHECKPOINT_LUA.load);
    expect(await redis.script("EXISTS", loadSha, sha1(CHECKPOINT_LUA.put))).toEqual([0, 0]);
    expect(await scripts.load(keys, ["members", "|c1"])).toEqual([]);
    expect(await redis.script("EXISTS", loadSha)).toEqual([1]);

    const blob = Buffer.from([0, 255, 10, 0]);
    await scripts.put(keys, ["0", "", "|c1", "", Buffer.from([1, 2]), "0", "ch|1|c1", blob]);
    expect(await redis.script("EXISTS", sha1(CHECKPOINT_LUA.put))).toEqual([1]);
    const reply = (await scripts.load(keys, ["members", "|c1"])) as [[Buffer, Buffer, Buffer[], Buffer[]]];
    expect(reply[0][0]).toEqual(Buffer.from("|c1"));
    expect(Uint8Array.from(reply[0][1])).toEqual(Uint8Array.from([1, 2]));
    expect(Uint8Array.from(reply[0][2][0] as Buffer)).toEqual(Uint8Array.from(blob));
    // a second client defines the same commands and runs them by SHA
    const other = redis.duplicate();
    try {
      expect(((await checkpointScripts(other).load(keys, ["members", "|c1"])) as unknown[]).length).toBe(1);
    } finally {
      other.disconnect();
    }
  });

  it("passes script errors through instead of retrying them", async () => {
    const scripts = checkpointScripts(redis);
    // a TTL that is not a number fails inside the script (comparing nil with a number)
    await expect(scripts.putWrites(threadKeyList("cplua", "t2"), ["not-a-number"])).rejects.toThrow(/user_script|attempt to compare/);
    await expect(scripts.load(["only-one-key"], [])).rejects.toMatchObject({ code: "INTERNAL" });
  });
});
