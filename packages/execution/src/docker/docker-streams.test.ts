import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { DockerStreamDemuxer, ReportSplitter } from "./demux.js";
import { buildTar } from "./tar.js";

function frame(stream: number, text: string): Buffer {
  const payload = Buffer.from(text, "utf8");
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(payload.length, 4);
  return Buffer.concat([h, payload]);
}

describe("DockerStreamDemuxer", () => {
  it("splits stdout and stderr frames even when frames span and share chunks", () => {
    const out: string[] = [];
    const err: string[] = [];
    const d = new DockerStreamDemuxer(
      (b) => out.push(b.toString()),
      (b) => err.push(b.toString()),
    );
    const all = Buffer.concat([frame(1, "héllo "), frame(2, "oops"), frame(1, "world"), frame(0, "stdin")]);
    for (let i = 0; i < all.length; i += 3) d.push(all.subarray(i, i + 3));
    expect(out.join("")).toBe("héllo world");
    expect(err.join("")).toBe("oops");
    expect(d.pendingBytes).toBe(0);
  });

  it("keeps an incomplete frame pending", () => {
    const d = new DockerStreamDemuxer(
      () => undefined,
      () => undefined,
    );
    d.push(frame(1, "abcdef").subarray(0, 10));
    expect(d.pendingBytes).toBe(10);
  });
});

describe("ReportSplitter", () => {
  const marker = Buffer.from("\u0000MARK-123\u0000");

  it("returns user bytes before the marker and the report after it, across chunk boundaries", () => {
    const user: Buffer[] = [];
    const s = new ReportSplitter(marker, (b) => user.push(Buffer.from(b)), 1000);
    const all = Buffer.concat([Buffer.from("out\u0000MA line\n"), marker, Buffer.from('{"a":1}')]);
    for (let i = 0; i < all.length; i += 4) s.push(all.subarray(i, i + 4));
    s.end();
    expect(Buffer.concat(user).toString()).toBe("out\u0000MA line\n");
    expect(s.report()).toBe('{"a":1}');
  });

  it("gives back held bytes when no marker comes and refuses oversized reports", () => {
    const user: Buffer[] = [];
    const s = new ReportSplitter(marker, (b) => user.push(Buffer.from(b)), 4);
    s.push(Buffer.from("abc\u0000MARK"));
    s.end();
    expect(Buffer.concat(user).toString()).toBe("abc\u0000MARK");
    expect(s.report()).toBeNull();
    const big = new ReportSplitter(marker, () => undefined, 4);
    big.push(Buffer.concat([marker, Buffer.from("12345")]));
    expect(big.report()).toBeNull();
    expect(big.reportTooLarge).toBe(true);
  });
});

describe("buildTar", () => {
  it("writes an archive GNU tar lists with modes, owners and sizes", () => {
    const tar = buildTar([
      { name: "a.py", content: "print('é')\n", mode: 0o444 },
      { name: "dir/b.json", content: new Uint8Array(600).fill(65), mode: 0o640, uid: 7, gid: 8 },
    ]);
    expect(tar.length % 512).toBe(0);
    const listing = execFileSync("tar", ["-tvf", "-", "--numeric-owner"], { input: tar }).toString();
    expect(listing).toMatch(/-r--r--r-- 0\/0\s+12 .* a\.py/);
    expect(listing).toMatch(/-rw-r----- 7\/8\s+600 .* dir\/b\.json/);
    const content = execFileSync("tar", ["-xOf", "-", "a.py"], { input: tar }).toString();
    expect(content).toBe("print('é')\n");
  });

  it("refuses names that could escape the target folder", () => {
    expect(() => buildTar([{ name: "../x", content: "" }])).toThrow(/unsafe/);
    expect(() => buildTar([{ name: "/etc/x", content: "" }])).toThrow(/unsafe/);
    expect(() => buildTar([{ name: "a//b", content: "" }])).toThrow(/unsafe/);
  });
});
