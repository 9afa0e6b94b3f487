import { describe, expect, it } from "vitest";
import { chooseCheckpointer, moduleNames } from "./factory.js";

/** A `MODULE LIST` reply as Redis Stack 7.2 sends it (RESP2, through ioredis). */
const STACK_REPLY = [
  ["name", "search", "ver", 20809, "path", "/opt/redis-stack/lib/redisearch.so", "args", []],
  ["name", "ReJSON", "ver", 20607, "path", "/opt/redis-stack/lib/rejson.so", "args", []],
  ["name", "timeseries", "ver", 11011, "path", "/opt/redis-stack/lib/redistimeseries.so", "args", []],
];

describe("checkpointer choice from MODULE LIST", () => {
  it("reads module names from the reply and ignores what is not a module entry", () => {
    expect(moduleNames(STACK_REPLY)).toEqual(["search", "ReJSON", "timeseries"]);
    expect(moduleNames([])).toEqual([]);
    expect(moduleNames("ERR unknown command")).toEqual([]);
    expect(moduleNames([["ver", 1], "junk"])).toEqual([]);
  });

  it("auto picks the official saver when search and JSON are loaded (any case), the plain one otherwise", () => {
    expect(chooseCheckpointer("auto", moduleNames(STACK_REPLY))).toBe("redis-stack");
    expect(chooseCheckpointer("auto", ["SEARCH", "rejson"])).toBe("redis-stack");
    expect(chooseCheckpointer("auto", ["search"])).toBe("redis");
    expect(chooseCheckpointer("auto", [])).toBe("redis");
  });

  it("redis never asks; redis-stack needs both modules and names the missing one", () => {
    expect(chooseCheckpointer("redis", moduleNames(STACK_REPLY))).toBe("redis");
    expect(chooseCheckpointer("redis-stack", ["search", "ReJSON"])).toBe("redis-stack");
    expect(() => chooseCheckpointer("redis-stack", ["search"])).toThrow(/lacks the module RedisJSON \(ReJSON\); use checkpointer.type: redis/);
  });
});
