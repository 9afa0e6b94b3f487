import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AnalysisResultSchema } from "@pyfleet/core";
import { afterAll, describe, expect, it } from "vitest";
import type { CommandIO } from "../command.js";
import { main } from "../main.js";

const dir = mkdtempSync(join(tmpdir(), "pyfleet-analyze-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function cli(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CommandIO = { out: (l) => out.push(l), err: (l) => err.push(l), env: {}, cwd: dir };
  const code = await main(args, io);
  return { code, out, err };
}

const READ_ONLY = file("read.py", 'from epics import caget\nresults = {"i": caget("SR:DCCT")}\n');
const WRITES = file("write.py", 'from epics import caput as c\nc("SR:Q1", 1)\nresults = {}\n');
const NO_WRITES_CONFIG = file("no-writes.yml", "framework:\n  control_system:\n    writes_enabled: false\n");

describe("pyfleet analyze", () => {
  it("exits 0 on passing code and prints file:line:col findings and a verdict", async () => {
    const r = await cli(["analyze", "read.py"]);
    expect(r.code).toBe(0);
    expect(r.out[0]).toBe("read.py:2:17 control-read reads SR:DCCT via epics.caget [info]");
    expect(r.out.at(-1)).toMatch(/^PASS read.py: mode read_only, 0 writes, 1 read, no approval\./);
  });

  it("prints a whole-file finding (no results dict) as file: without a line", async () => {
    const r = await cli(["analyze", file("noresults.py", "x = 1\n")]);
    expect(r.code).toBe(0);
    expect(r.out[0]).toBe("noresults.py: results-missing no module-level `results` dict is assigned; the run will return no structured results [warn]");
  });

  it("reports writes, mode and approval with the default policy", async () => {
    const r = await cli(["analyze", WRITES]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("write.py:2:1 control-write writes SR:Q1 via epics.caput [info]");
    expect(r.out.at(-1)).toMatch(/mode write_access, 1 write, 0 reads, approval required/);
  });

  it("exits 1 when --config disables writes and the code writes", async () => {
    const r = await cli(["analyze", WRITES, "--config", NO_WRITES_CONFIG]);
    expect(r.code).toBe(1);
    expect(r.out.some((l) => l.startsWith("write.py:2:1 writes-disabled ") && l.includes("read-only code"))).toBe(true);
    expect(r.out.at(-1)).toMatch(/^FAIL write.py/);
  });

  it("exits 1 on a syntax error", async () => {
    const r = await cli(["analyze", file("bad.py", "def f(:\n  pass\n")]);
    expect(r.code).toBe(1);
    expect(r.out.find((l) => l.includes(" syntax "))).toMatch(/^bad.py:1:7 syntax Syntax error at line 1, column 7: missing/);
  });

  it("--json prints the AnalysisResult", async () => {
    const r = await cli(["analyze", "--json", WRITES]);
    expect(r.code).toBe(0);
    const result = AnalysisResultSchema.parse(JSON.parse(r.out.join("\n")));
    expect(result.pv_writes).toEqual([{ pv: "SR:Q1", line: 2, column: 1, api: "epics.caput", dynamic: false }]);
    expect(result.execution_mode).toBe("write_access");
  });

  it.each([
    [["analyze"], /missing FILE/],
    [["analyze", "a.py", "b.py"], /exactly one FILE/],
    [["analyze", READ_ONLY, "--verbose"], /unknown option --verbose/],
    [["analyze", READ_ONLY, "--config"], /--config needs a file/],
    [["analyze", "does-not-exist.py"], /cannot read does-not-exist.py: ENOENT/],
  ])("exits 2 on usage error %j", async (args, message) => {
    const r = await cli(args);
    expect(r.code).toBe(2);
    expect(r.err.join("\n")).toMatch(message);
  });

  it("exits 2 on an invalid or missing config", async () => {
    const bad = file("bad.yml", "framework:\n  approval:\n    global_mode: sometimes\n");
    const invalid = await cli(["analyze", READ_ONLY, "--config", bad]);
    expect(invalid.code).toBe(2);
    expect(invalid.err.join("\n")).toMatch(/global_mode/);
    const missing = await cli(["analyze", READ_ONLY, "--config", "nope.yml"]);
    expect(missing.code).toBe(2);
    expect(missing.err.join("\n")).toMatch(/not found/);
  });

  it("applies analysis.rules from the config file", async () => {
    const cfg = file("rules.yml", "framework:\n  analysis:\n    rules:\n      network: block\n");
    const net = file("net.py", "import requests\nresults = {}\n");
    expect((await cli(["analyze", net])).code).toBe(0);
    expect((await cli(["analyze", net, "--config", cfg])).code).toBe(1);
  });
});
