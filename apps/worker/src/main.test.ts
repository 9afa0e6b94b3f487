import { describe, expect, it } from "vitest";
import { main } from "./main.js";

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l), env: {} } };
}

describe("pyfleet-worker main", () => {
  it("refuses to start an execute worker without a mode: exit 2 with the fix in the message", async () => {
    const t = io();
    expect(await main(["--stage", "execute"], t.io)).toBe(2);
    expect(t.err.join("\n")).toMatch(/serves exactly one mode: add --mode read_only or --mode write_access/);
    expect(t.err.join("\n")).toMatch(/Usage: pyfleet-worker --stage/);
  });

  it("exits 2 on a missing config file, naming it", async () => {
    const t = io();
    expect(await main(["--stage", "analyze", "--config", "/nonexistent/pyfleet.yml"], t.io)).toBe(2);
    expect(t.err.join("\n")).toMatch(/\/nonexistent\/pyfleet\.yml/);
  });
});
