import { randomBytes } from "node:crypto";
import { createRedisFixture, type RedisFixture } from "@pyfleet/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LuaScript } from "./scripts.js";

describe("LuaScript", () => {
  let fx: RedisFixture;
  beforeEach(async () => {
    fx = await createRedisFixture("cplua");
  });
  afterEach(async () => {
    await fx.cleanup();
  });

  it("loads itself with EVAL on NOSCRIPT, then runs by SHA, returning Buffers", async () => {
    // A source no server has seen yet, so the first EVALSHA must fail with NOSCRIPT.
    const script = new LuaScript(`-- ${randomBytes(8).toString("hex")}\nreturn redis.call('INCR', KEYS[1])`);
    const key = `${fx.prefix}:counter`;
    expect(await fx.redis.script("EXISTS", script.sha)).toEqual([0]);
    expect(await script.run(fx.redis, [key], [])).toBe(1);
    expect(await fx.redis.script("EXISTS", script.sha)).toEqual([1]);
    expect(await script.run(fx.redis, [key], [])).toBe(2);

    const echo = new LuaScript("return {ARGV[1], {ARGV[2]}}");
    const reply = (await echo.run(fx.redis, [], ["a", Buffer.from([0, 255])])) as [Buffer, [Buffer]];
    expect(reply[0]).toEqual(Buffer.from("a"));
    expect(Uint8Array.from(reply[1][0])).toEqual(Uint8Array.from([0, 255]));
  });

  it("passes script errors through instead of retrying them", async () => {
    const failing = new LuaScript(`-- ${randomBytes(8).toString("hex")}\nreturn redis.error_reply('BOOM broken')`);
    await expect(failing.run(fx.redis, [], [])).rejects.toThrow(/BOOM broken/);
  });
});
