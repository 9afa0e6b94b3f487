import { describe, expect, it } from "vitest";
import { pack, unpack, unpackExactly } from "./codec.js";

describe("pack / unpack", () => {
  it("round-trips strings and arbitrary bytes, including empty parts", () => {
    const bytes = Uint8Array.from([0, 255, 10, 124, 0]);
    const parts = unpack(pack(["id-1", "", bytes, "ü|\n"]));
    expect(parts.map((p) => p.toString("utf8"))).toEqual(["id-1", "", Buffer.from(bytes).toString("utf8"), "ü|\n"]);
    expect(Uint8Array.from(parts[2]!)).toEqual(bytes);
  });

  it("rejects truncated framing and a wrong number of parts", () => {
    const buf = pack(["abc", "def"]);
    expect(() => unpack(buf.subarray(0, buf.length - 1))).toThrow(/truncated part/);
    expect(() => unpack(buf.subarray(0, 2))).toThrow(/truncated length/);
    expect(() => unpackExactly(buf, 3, "blob")).toThrow(/corrupt blob record: expected 3 parts, found 2/);
  });
});
