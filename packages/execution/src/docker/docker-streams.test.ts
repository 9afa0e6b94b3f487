import { execFileSync } from "node:child_process";
import { PassThrough } from "node:stream";
import { silentLogger } from "@pyfleet/core";
import Docker from "dockerode";
import { describe, expect, it } from "vitest";
import { ReportSplitter } from "./report-splitter.js";
import { SandboxOutput } from "./sandbox-output.js";
import { buildTar } from "./tar.js";

function frame(stream: number, text: string): Buffer {
  const payload = Buffer.from(text, "utf8");
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(payload.length, 4);
  return Buffer.concat([h, payload]);
}

/** Feeds `all` through a SandboxOutput (dockerode's demuxer) in `step`-byte chunks. */
async function demux(all: Buffer, step: number, marker = Buffer.from("\u0000MARK-0\u0000")): Promise<SandboxOutput> {
  const stream = new PassThrough();
  const docker = new Docker({ socketPath: "/nonexistent/docker.sock" });
  const out = new SandboxOutput(docker, stream, { marker, maxOut: 1 << 20, maxReportBytes: 1 << 20, onOutput: undefined, log: silentLogger() });
  for (let i = 0; i < all.length; i += step) stream.write(all.subarray(i, i + step));
  stream.end();
  await out.finish(1000);
  return out;
}

describe("SandboxOutput (dockerode demuxStream)", () => {
  it("splits stdout and stderr frames even when frames span and share chunks", async () => {
    // No stdin frames: the executor attaches stdout and stderr only.
    const all = Buffer.concat([frame(1, "héllo "), frame(2, "oops"), frame(1, "world")]);
    const out = await demux(all, 3);
    expect(out.stdout.text()).toBe("héllo world");
    expect(out.stderr.text()).toBe("oops");
    const whole = await demux(all, all.length);
    expect(whole.stdout.text()).toBe("héllo world");
  });

  it("keeps an incomplete frame out of the output", async () => {
    const out = await demux(Buffer.concat([frame(1, "ok"), frame(1, "abcdef").subarray(0, 10)]), 4);
    expect(out.stdout.text()).toBe("ok");
  });

  it("takes the report after the marker from stdout", async () => {
    const marker = Buffer.from("\u0000MARK-9\u0000");
    const out = await demux(Buffer.concat([frame(1, "user\n"), frame(1, `${marker.toString()}{"a":1}`), frame(2, "warn")]), 5, marker);
    expect(out.stdout.text()).toBe("user\n");
    expect(out.report.report()).toBe('{"a":1}');
    expect(out.stderr.text()).toBe("warn");
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
  it("writes an archive GNU tar lists with modes, owners and sizes", async () => {
    const tar = await buildTar([
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

  it("refuses names that could escape the target folder", async () => {
    await expect(buildTar([{ name: "../x", content: "" }])).rejects.toThrow(/unsafe/);
    await expect(buildTar([{ name: "/etc/x", content: "" }])).rejects.toThrow(/unsafe/);
    await expect(buildTar([{ name: "a//b", content: "" }])).rejects.toThrow(/unsafe/);
  });
});
