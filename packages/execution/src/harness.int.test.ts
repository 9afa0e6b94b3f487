import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_PYTHON, HARNESS_PATH, parseHarnessReport, reportToOutcome } from "./harness.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pyfleet-harness-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let seq = 0;
async function run(code: string, args: string[] = [], onSpawn?: (pid: number) => void) {
  const work = join(dir, String(seq++));
  await import("node:fs/promises").then((fs) => fs.mkdir(work, { recursive: true }));
  await writeFile(join(work, "code.py"), code);
  const child = spawn(DEFAULT_PYTHON, [HARNESS_PATH, "--code", "code.py", ...args], { cwd: work });
  let stdout = "";
  child.stdout.on("data", (b: Buffer) => {
    stdout += b.toString("utf8");
  });
  if (child.pid) onSpawn?.(child.pid);
  const code_ = await new Promise<number | null>((resolve) => child.on("close", resolve));
  const report = parseHarnessReport(JSON.parse(await readFile(join(work, "pyfleet_report.json"), "utf8")));
  return { exit: code_, report, stdout, work };
}

describe("pyfleet_harness.py (script mode, Debian python)", () => {
  it("runs code, exposes context, streams stdout and reports results", async () => {
    const work = join(dir, "ctx");
    await import("node:fs/promises").then((fs) => fs.mkdir(work));
    await writeFile(join(work, "ctx.json"), JSON.stringify({ beam: { current: 4.5, tags: [{ n: "a" }] } }));
    const { exit, report, stdout } = await run(
      "print('grüß ✓')\nresults = {'i': context.beam.current, 'tag': context.beam.tags[0].n, 'keys': list(context),\n  'items': [(k, v.current) for k, v in context.items()], 'values': len(context.values())}",
      ["--context", join(work, "ctx.json")],
    );
    expect(exit).toBe(0);
    expect(stdout).toBe("grüß ✓\n");
    expect(report.status).toBe("ok");
    expect(report.results).toEqual({ i: 4.5, tag: "a", keys: ["beam"], items: [["beam", 4.5]], values: 1 });
  });

  it("reports a traceback without harness frames", async () => {
    const { report } = await run("def f():\n    return 1 / 0\nx = f()\n");
    const outcome = reportToOutcome(report, { backend: "test", stdout: "", stderr: "" });
    expect(outcome.error?.ename).toBe("ZeroDivisionError");
    expect(outcome.error?.category).toBe("code");
    expect(outcome.error?.traceback).toContain('File "code.py", line 2, in f');
    expect(outcome.error?.traceback).toContain("return 1 / 0");
    expect(outcome.error?.traceback).not.toContain("pyfleet_harness");
  });

  it("reports a syntax error as a code error", async () => {
    const { report } = await run("def (:\n");
    expect(report.error?.ename).toBe("SyntaxError");
    expect(report.error?.code).toBe("SYNTAX_ERROR");
  });

  it("refuses pyepics writes in read-only mode, also aliased, from-imported and via PV.value", async () => {
    for (const code of [
      "import epics\nepics.caput('X:Y', 1)",
      "import epics\nepics.PV('X:Y').put(1)",
      "import epics as e\ne.caput('X:Y', 1)",
      "from epics import caput as cp\ncp('X:Y', 1)",
      "from epics import ca\nca.put(None, 1)",
      "import epics\npv = epics.PV('X:Y')\npv.value = 3",
      "write_channel('X:Y', 1)",
    ]) {
      const started = Date.now();
      const { report } = await run(code);
      expect(report.error, code).toMatchObject({ ename: "PermissionError", category: "policy", code: "WRITE_IN_READ_ONLY" });
      expect(Date.now() - started).toBeLessThan(5000);
    }
  });

  it("reports a policy error even when the code swallows the PermissionError", async () => {
    const { report } = await run("import epics\ntry:\n    epics.caput('X:Y', 1)\nexcept PermissionError:\n    pass\nresults = {'ok': 1}");
    expect(report.error?.category).toBe("policy");
    expect(report.results).toEqual({ ok: 1 });
  });

  it("guards a control-system module imported later from the cwd (import hook)", async () => {
    const { report, work } = await run("pass");
    await import("node:fs/promises").then((fs) => fs.mkdir(join(work, "p4p", "client"), { recursive: true }));
    await writeFile(join(work, "p4p", "__init__.py"), "");
    await writeFile(join(work, "p4p", "client", "__init__.py"), "");
    await writeFile(join(work, "p4p", "client", "thread.py"), "class Context:\n    def put(self, name, values):\n        return 'written'\n");
    expect(report.status).toBe("ok");
    const code = "import importlib\nm = importlib.import_module('p4p.client.thread')\nm.Context().put('X:Y', 2)";
    await writeFile(join(work, "code.py"), code);
    const child = spawn(DEFAULT_PYTHON, [HARNESS_PATH, "--code", "code.py"], { cwd: work });
    await new Promise((resolve) => child.on("close", resolve));
    const again = parseHarnessReport(JSON.parse(await readFile(join(work, "pyfleet_report.json"), "utf8")));
    expect(again.error).toMatchObject({ ename: "PermissionError", category: "policy" });
    expect(again.error?.evalue).toContain("p4p.Context.put");
  });

  it("records writes in order in a dry run and performs none", async () => {
    const { report } = await run(
      "import epics as e\nimport numpy as np\ne.caput('A:1', 1.5)\ne.PV('B:2').put(np.int64(7))\npv = e.PV('C:3')\npv.value = 'on'\nwrite_channel('D:4', [1, 2])\nresults = {'r': e.caput('E:5', 0)}",
      ["--dry-run"],
    );
    expect(report.status).toBe("ok");
    expect(report.results).toEqual({ r: 1 });
    expect(report.recorded_writes).toEqual([
      { pv: "A:1", value: 1.5, api: "epics.caput", order: 1 },
      { pv: "B:2", value: 7, api: "epics.PV.put", order: 2 },
      { pv: "C:3", value: "on", api: "epics.PV.value", order: 3 },
      { pv: "D:4", value: [1, 2], api: "write_channel", order: 4 },
      { pv: "E:5", value: 0, api: "epics.caput", order: 5 },
    ]);
  });

  it("serialises numpy, pandas, datetime, Path, set, complex, NaN and unknown objects", async () => {
    const { report } = await run(
      [
        "import numpy as np, pandas as pd, datetime as dt, pathlib, decimal",
        "class Odd:",
        "    def __str__(self): return 'odd!'",
        "results = {",
        "  'arr': np.array([[1, 2], [3, 4]]), 'f32': np.float32(0.5), 'b': np.bool_(True), 'nan': float('nan'),",
        "  'inf': float('-inf'), 'arrnan': np.array([1.0, np.nan]),",
        "  'df': pd.DataFrame({'x': [1, 2], 't': pd.to_datetime(['2024-01-01', '2024-01-02'])}),",
        "  'series': pd.Series([1.5, None], index=['a', 'b']), 'ts': pd.Timestamp('2024-05-06T07:08:09'), 'nat': pd.NaT,",
        "  'dt': dt.datetime(2024, 1, 2, 3, 4, 5), 'date': dt.date(2024, 1, 2), 'td': dt.timedelta(minutes=1),",
        "  'path': pathlib.Path('/tmp/x'), 'set': {3, 1, 2}, 'c': 1 + 2j, 'dec': decimal.Decimal('1.25'),",
        "  'odd': Odd(), 'bytes': b'ab', 'tuple': (1, 'a'), 'nested': {1: [None, True]}, 'uni': 'µA ✓',",
        "}",
      ].join("\n"),
    );
    expect(report.status).toBe("ok");
    expect(report.results).toEqual({
      arr: [
        [1, 2],
        [3, 4],
      ],
      f32: 0.5,
      b: true,
      nan: null,
      inf: "-Infinity",
      arrnan: [1, null],
      df: { columns: ["x", "t"], index: [0, 1], data: [[1, "2024-01-01T00:00:00"], [2, "2024-01-02T00:00:00"]] },
      series: { a: 1.5, b: null },
      ts: "2024-05-06T07:08:09",
      nat: null,
      dt: "2024-01-02T03:04:05",
      date: "2024-01-02",
      td: 60,
      path: "/tmp/x",
      set: [1, 2, 3],
      c: { real: 1, imag: 2 },
      dec: 1.25,
      odd: "odd!",
      bytes: "ab",
      tuple: [1, "a"],
      nested: { "1": [null, true] },
      uni: "µA ✓",
    });
    expect(report.warnings.some((w) => w.includes("Odd is not JSON-serialisable"))).toBe(true);
  });

  it("saves every open matplotlib figure as PNG and closes them", async () => {
    const { report } = await run(
      "import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.figure()\nplt.bar([1], [2])\nimport matplotlib\nresults = {'backend': matplotlib.get_backend()}",
    );
    expect(report.results).toEqual({ backend: "agg" });
    expect(report.figures.map((f) => f.name)).toEqual(["figure_01.png", "figure_02.png"]);
    const png = Buffer.from(report.figures[0]?.data ?? "", "base64");
    expect(png.subarray(1, 4).toString("latin1")).toBe("PNG");
  });

  it("reports an interrupted run (SIGINT) with the place it stopped", async () => {
    const { report } = await run("import time\nresults = {'before': 1}\ntime.sleep(30)", [], (pid) => {
      setTimeout(() => process.kill(pid, "SIGINT"), 700);
    });
    expect(report.interrupted).toBe(true);
    expect(() => reportToOutcome(report, { backend: "t", stdout: "", stderr: "" })).toThrow(expect.objectContaining({ code: "KERNEL_DIED" }));
    const timedOut = reportToOutcome(report, { backend: "t", stdout: "", stderr: "", timedOutAfterMs: 700 });
    expect(timedOut.error).toMatchObject({ ename: "ExecutionTimeout", category: "code" });
    expect(report.error?.code).toBe("EXECUTION_TIMEOUT");
    expect(report.error?.traceback).toContain("time.sleep(30)");
    expect(report.results).toEqual({ before: 1 });
  });
});
