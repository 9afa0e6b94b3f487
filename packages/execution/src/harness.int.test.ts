import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
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
async function run(code: string, args: string[] = [], onSpawn?: (pid: number) => void, env?: NodeJS.ProcessEnv) {
  const work = join(dir, String(seq++));
  await import("node:fs/promises").then((fs) => fs.mkdir(work, { recursive: true }));
  await writeFile(join(work, "code.py"), code);
  const child = spawn(DEFAULT_PYTHON, [HARNESS_PATH, "--code", "code.py", ...args], { cwd: work, env: env ?? process.env });
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
      "import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.figure()\nplt.bar([1], [2])\nimport matplotlib\nresults = {'backend': matplotlib.get_backend().lower()}",
    );
    // matplotlib 3.11 reports "Agg" (the name MPLBACKEND gave), older ones "agg"
    expect(report.results).toEqual({ backend: "agg" });
    expect(report.figures.map((f) => f.name)).toEqual(["figure_01.png", "figure_02.png"]);
    const png = Buffer.from(report.figures[0]?.data ?? "", "base64");
    expect(png.subarray(1, 4).toString("latin1")).toBe("PNG");
  });

  it("reports an interrupted run (SIGINT) with the place it stopped", async () => {
    const code = "import pathlib, time\nresults = {'before': 1}\npathlib.Path('started').touch()\ntime.sleep(30)";
    const { report } = await run(code, [], (pid) => {
      // SIGINT once the code runs: a fixed 700 ms lost the race to the interpreter's start under load
      const since = Date.now();
      const poll = setInterval(() => {
        const started = existsSync(`/proc/${pid}/cwd/started`);
        if (started) process.kill(pid, "SIGINT");
        if (started || Date.now() - since > 20_000) clearInterval(poll);
      }, 20);
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

/**
 * Stand-ins for caproto and Tango (not packaged in Debian) with the real modules' layout and
 * signatures; every write lands in `stub_log.WRITTEN`, so a test sees whether a write went through.
 */
const STUBS: Record<string, string> = {
  "stub_log.py": "WRITTEN = []\n\ndef log(api, target, value):\n    WRITTEN.append([api, target, value])\n    return 'written'\n",
  "caproto/__init__.py": "",
  "caproto/sync/__init__.py": "",
  "caproto/sync/client.py":
    "import stub_log\n\ndef write(pv_name, data, notify=False, data_type=None, metadata=None, timeout=1):\n    return stub_log.log('sync.write', pv_name, data)\n",
  "caproto/threading/__init__.py": "",
  "caproto/threading/client.py":
    "import stub_log\n\nclass PV:\n    def __init__(self, name):\n        self.name = name\n\n    def write(self, data, *, wait=True, timeout=2):\n        return stub_log.log('threading.PV.write', self.name, data)\n",
  "caproto/threading/pyepics_compat.py":
    "import stub_log\n\nclass PV:\n    def __init__(self, pvname):\n        self.pvname = pvname\n\n    def put(self, value, wait=False, timeout=30.0):\n        return stub_log.log('compat.PV.put', self.pvname, value)\n\ndef caput(pvname, value, wait=False, timeout=60):\n    return stub_log.log('compat.caput', pvname, value)\n",
  "caproto/asyncio/__init__.py": "",
  "caproto/asyncio/client.py":
    "import stub_log\n\nclass PV:\n    def __init__(self, name):\n        self.name = name\n\n    async def write(self, data, *, wait=True):\n        return stub_log.log('asyncio.PV.write', self.name, data)\n",
};
const TANGO_STUB = [
  "import stub_log",
  "",
  "class DeviceProxy:",
  "    def __init__(self, dev_name):",
  "        self._dev = dev_name",
  "    def dev_name(self):",
  "        return self._dev",
  "    def write_attribute(self, attr_name, value, wait=None):",
  "        return stub_log.log('write_attribute', attr_name, value)",
  "    def write_attributes(self, name_val, wait=None):",
  "        return stub_log.log('write_attributes', None, name_val)",
  "    def write_attribute_asynch(self, attr_name, value, cb=None):",
  "        return stub_log.log('write_attribute_asynch', attr_name, value)",
  "    def write_read_attribute(self, attr_name, value):",
  "        return stub_log.log('write_read_attribute', attr_name, value)",
  "    def command_inout(self, cmd_name, cmd_param=None):",
  "        return stub_log.log('command_inout', cmd_name, cmd_param)",
  "",
  "class AttributeProxy:",
  "    def __init__(self, full_name):",
  "        self._dev, _, self._name = full_name.rpartition('/')",
  "    def name(self):",
  "        return self._name",
  "    def get_device_proxy(self):",
  "        return DeviceProxy(self._dev)",
  "    def write(self, value):",
  "        return stub_log.log('AttributeProxy.write', self._name, value)",
  "    def write_read(self, value):",
  "        return stub_log.log('AttributeProxy.write_read', self._name, value)",
  "",
].join("\n");

/** Calls each write, records the PermissionErrors it raises and what reached the stubs. */
const TRY_EACH = [
  "import asyncio, stub_log",
  "refused = []",
  "def attempt(label, call):",
  "    try:",
  "        out = call()",
  "        if asyncio.iscoroutine(out):",
  "            asyncio.run(out)",
  "    except PermissionError as err:",
  "        refused.append([label, str(err)])",
].join("\n");

const CAPROTO_CALLS = [
  "from caproto.sync.client import write",
  "from caproto.threading.client import PV as ThreadPV",
  "from caproto.asyncio.client import PV as AsyncPV",
  "from caproto.threading import pyepics_compat as compat",
];
const TANGO_CALLS = (mod: string) => [`import ${mod} as tg`, "dev = tg.DeviceProxy('sys/tg_test/1')", "attr = tg.AttributeProxy('sys/tg_test/1/ampli')"];

describe("pyfleet_harness.py guard for caproto and Tango (stub modules on PYTHONPATH)", () => {
  let stubDir: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    stubDir = join(dir, "stubs");
    const fs = await import("node:fs/promises");
    const files = { ...STUBS, "tango/__init__.py": TANGO_STUB, "PyTango/__init__.py": TANGO_STUB };
    for (const [rel, text] of Object.entries(files)) {
      await fs.mkdir(join(stubDir, rel, ".."), { recursive: true });
      await writeFile(join(stubDir, rel), text);
    }
    env = { ...process.env, PYTHONPATH: stubDir };
  });

  it("refuses every caproto write entry point in read-only mode, and none reaches the library", async () => {
    const code = [
      TRY_EACH,
      ...CAPROTO_CALLS,
      "attempt('sync.write', lambda: write('CA:1', 1))",
      "attempt('threading.PV.write', lambda: ThreadPV('CA:2').write(2))",
      "attempt('asyncio.PV.write', lambda: AsyncPV('CA:3').write(3))",
      "attempt('compat.PV.put', lambda: compat.PV('CA:4').put(4))",
      "attempt('compat.caput', lambda: compat.caput('CA:5', 5))",
      "results = {'refused': refused, 'written': stub_log.WRITTEN}",
    ].join("\n");
    const { report } = await run(code, [], undefined, env);
    expect(report.results).toEqual({
      refused: [
        ["sync.write", "caproto.sync.client.write(CA:1) refused: control-system writes are not allowed in read_only mode"],
        ["threading.PV.write", "caproto.threading.PV.write(CA:2) refused: control-system writes are not allowed in read_only mode"],
        ["asyncio.PV.write", "caproto.asyncio.PV.write(CA:3) refused: control-system writes are not allowed in read_only mode"],
        ["compat.PV.put", "caproto.pyepics_compat.PV.put(CA:4) refused: control-system writes are not allowed in read_only mode"],
        ["compat.caput", "caproto.pyepics_compat.caput(CA:5) refused: control-system writes are not allowed in read_only mode"],
      ],
      written: [],
    });
    expect(report.error).toMatchObject({ ename: "PermissionError", category: "policy", code: "WRITE_IN_READ_ONLY" });
    // uncaught, the refusal itself is the reported error
    const uncaught = await run("from caproto.threading.client import PV\nPV('CA:9').write(9)", [], undefined, env);
    expect(uncaught.report.error).toMatchObject({ ename: "PermissionError", category: "policy", code: "WRITE_IN_READ_ONLY" });
    expect(uncaught.report.error?.evalue).toContain("caproto.threading.PV.write(CA:9)");
  });

  it("records caproto writes in order in a dry run and performs none", async () => {
    const code = [
      "import asyncio, stub_log",
      ...CAPROTO_CALLS,
      "write('CA:1', 1)",
      "ThreadPV('CA:2').write([2, 3])",
      "asyncio.run(AsyncPV('CA:3').write('three'))",
      "compat.PV('CA:4').put(4.5)",
      "r = compat.caput('CA:5', 5)",
      "results = {'caput': r, 'written': stub_log.WRITTEN}",
    ].join("\n");
    const { report } = await run(code, ["--dry-run"], undefined, env);
    expect(report.error).toBeNull();
    expect(report.results).toEqual({ caput: 1, written: [] });
    expect(report.recorded_writes).toEqual([
      { pv: "CA:1", value: 1, api: "caproto.sync.client.write", order: 1 },
      { pv: "CA:2", value: [2, 3], api: "caproto.threading.PV.write", order: 2 },
      { pv: "CA:3", value: "three", api: "caproto.asyncio.PV.write", order: 3 },
      { pv: "CA:4", value: 4.5, api: "caproto.pyepics_compat.PV.put", order: 4 },
      { pv: "CA:5", value: 5, api: "caproto.pyepics_compat.caput", order: 5 },
    ]);
  });

  for (const mod of ["tango", "PyTango"]) {
    it(`refuses every ${mod} write entry point in read-only mode, and none reaches the library`, async () => {
      const code = [
        TRY_EACH,
        ...TANGO_CALLS(mod),
        "attempt('write_attribute', lambda: dev.write_attribute('ampli', 1.5))",
        "attempt('write_attributes', lambda: dev.write_attributes([('ampli', 2.0)]))",
        "attempt('write_attribute_asynch', lambda: dev.write_attribute_asynch('ampli', 3))",
        "attempt('write_read_attribute', lambda: dev.write_read_attribute('ampli', 4))",
        "attempt('command_inout', lambda: dev.command_inout('SwitchStates', 1))",
        "attempt('AttributeProxy.write', lambda: attr.write(5))",
        "attempt('AttributeProxy.write_read', lambda: attr.write_read(6))",
        "results = {'refused': [label for label, _ in refused], 'apis': [m.split('(')[0] for _, m in refused], 'written': stub_log.WRITTEN}",
      ].join("\n");
      const { report } = await run(code, [], undefined, env);
      expect(report.results).toEqual({
        refused: ["write_attribute", "write_attributes", "write_attribute_asynch", "write_read_attribute", "command_inout", "AttributeProxy.write", "AttributeProxy.write_read"],
        apis: [
          `${mod}.DeviceProxy.write_attribute`,
          `${mod}.DeviceProxy.write_attributes`,
          `${mod}.DeviceProxy.write_attribute_asynch`,
          `${mod}.DeviceProxy.write_read_attribute`,
          `${mod}.DeviceProxy.command_inout`,
          `${mod}.AttributeProxy.write`,
          `${mod}.AttributeProxy.write_read`,
        ],
        written: [],
      });
      expect(report.error).toMatchObject({ ename: "PermissionError", category: "policy", code: "WRITE_IN_READ_ONLY" });
    });

    it(`records ${mod} writes in order in a dry run and performs none`, async () => {
      const code = [
        "import stub_log",
        ...TANGO_CALLS(mod),
        "dev.write_attribute('ampli', 1.5)",
        "dev.write_attributes([('ampli', 2.0), ('freq', 3)])",
        "dev.write_attribute_asynch('ampli', 3)",
        "dev.write_read_attribute('ampli', 4)",
        "dev.command_inout('SwitchStates', 1)",
        "attr.write(5)",
        "attr.write_read(6)",
        "results = {'written': stub_log.WRITTEN}",
      ].join("\n");
      const { report } = await run(code, ["--dry-run"], undefined, env);
      expect(report.error).toBeNull();
      expect(report.results).toEqual({ written: [] });
      expect(report.recorded_writes).toEqual([
        { pv: "sys/tg_test/1/ampli", value: 1.5, api: `${mod}.DeviceProxy.write_attribute`, order: 1 },
        { pv: "sys/tg_test/1/ampli", value: 2.0, api: `${mod}.DeviceProxy.write_attributes`, order: 2 },
        { pv: "sys/tg_test/1/freq", value: 3, api: `${mod}.DeviceProxy.write_attributes`, order: 3 },
        { pv: "sys/tg_test/1/ampli", value: 3, api: `${mod}.DeviceProxy.write_attribute_asynch`, order: 4 },
        { pv: "sys/tg_test/1/ampli", value: 4, api: `${mod}.DeviceProxy.write_read_attribute`, order: 5 },
        { pv: "sys/tg_test/1/SwitchStates", value: 1, api: `${mod}.DeviceProxy.command_inout`, order: 6 },
        { pv: "sys/tg_test/1/ampli", value: 5, api: `${mod}.AttributeProxy.write`, order: 7 },
        { pv: "sys/tg_test/1/ampli", value: 6, api: `${mod}.AttributeProxy.write_read`, order: 8 },
      ]);
    });
  }
});
