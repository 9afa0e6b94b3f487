import { describe, expect, it } from "vitest";
import { checkpointMember, parseCheckpointMember, threadKeyList, threadKeys, threadKeysPattern } from "./keys.js";

describe("checkpoint key layout", () => {
  it("tags every key of a thread with the encoded thread id", () => {
    const keys = threadKeys("pyfleet:cp", "run-1");
    expect(keys.order).toBe("pyfleet:cp:{run-1}:order");
    expect(threadKeyList("pyfleet:cp", "run-1")).toEqual([
      "pyfleet:cp:{run-1}:checkpoints",
      "pyfleet:cp:{run-1}:order",
      "pyfleet:cp:{run-1}:blobs",
      "pyfleet:cp:{run-1}:writes",
      "pyfleet:cp:{run-1}:windex",
    ]);
  });

  it("escapes braces and colons so a thread id cannot break the hash tag or the layout", () => {
    expect(threadKeys("p", "a}b:{c").order).toBe("p:{a%7Db%3A%7Bc}:order");
  });

  it("escapes glob characters in the thread pattern", () => {
    expect(threadKeysPattern("p", "x*y")).toBe("p:{x\\*y}:*");
    expect(threadKeysPattern("p[1]", "t?")).toBe("p\\[1\\]:{t%3F}:*");
  });

  it("round-trips namespace and id through a member, keeping '|' unambiguous", () => {
    const member = checkpointMember("parent:task|1", "1ef-abc");
    expect(member).toBe("parent%3Atask%7C1|1ef-abc");
    expect(parseCheckpointMember(member)).toEqual({ checkpointNs: "parent:task|1", checkpointId: "1ef-abc" });
    expect(parseCheckpointMember(checkpointMember("", "id"))).toEqual({ checkpointNs: "", checkpointId: "id" });
  });
});
