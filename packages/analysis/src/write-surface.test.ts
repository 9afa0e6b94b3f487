import { describe, expect, it } from "vitest";
import { createAnalyzer } from "./analyzer.js";

const analyzer = createAnalyzer({}, {});
const analyze = (code: string) => analyzer.analyze({ code, expectedResults: {} });
const pvs = (xs: Array<{ pv: string | null }>) => [...new Set(xs.map((x) => x.pv ?? "?"))].sort();

/** One case per API of the EPICS Python write surface (issue: analysis of the whole write surface). */
const CASES: Array<{ api: string; code: string; writes: string[]; reads: string[]; rules?: string[] }> = [
  {
    api: "epics.autosave.restore_pvs writes every saved PV",
    code: "from epics.autosave import restore_pvs\nrestore_pvs('machine.sav')\n",
    writes: ["?"],
    reads: [],
  },
  { api: "epics.autosave.save_pvs reads", code: "import epics.autosave\nepics.autosave.save_pvs('machine.req', 'machine.sav')\n", writes: [], reads: ["?"] },
  {
    api: "ca.sg_put writes the channel made by create_channel",
    code: "from epics import ca\ngid = ca.sg_create()\nchid = ca.create_channel('SR:MAG:QF1:CURRENT_SP')\nca.sg_put(gid, chid, 101.0)\nca.sg_block(gid)\n",
    writes: ["SR:MAG:QF1:CURRENT_SP"],
    reads: [],
  },
  {
    api: "ca.sg_get reads",
    code: "import epics.ca as ca\ngid = ca.sg_create()\nch = ca.create_channel('SR:DCCT:CURRENT')\nv = ca.sg_get(gid, ch)\nca.sg_block(gid)\n",
    writes: [],
    reads: ["SR:DCCT:CURRENT"],
  },
  {
    api: "caproto pyepics_compat imported as epics: caput writes, caget reads",
    code: "import caproto.threading.pyepics_compat as epics\nepics.caput('SR:MAG:QD1:CURRENT_SP', 80.0)\nx = epics.caget('SR:DCCT:CURRENT')\n",
    writes: ["SR:MAG:QD1:CURRENT_SP"],
    reads: ["SR:DCCT:CURRENT"],
  },
  {
    api: "bluesky scan moves the motor (setpoint) and reads detectors and the motor",
    code: "from bluesky import RunEngine\nfrom bluesky.plans import scan\nfrom ophyd import EpicsMotor, EpicsSignalRO\nm = EpicsMotor('BL:M1', name='m')\ndet = EpicsSignalRO('BL:DET', name='det')\nRE = RunEngine()\nRE(scan([det], m, -1, 1, 11))\n",
    writes: ["BL:M1.VAL"],
    reads: ["BL:DET", "BL:M1.RBV"],
  },
  {
    api: "bluesky count only reads",
    code: "import bluesky.plans as bp\nfrom bluesky import RunEngine\nfrom ophyd import EpicsSignalRO\nd = EpicsSignalRO('BL:I0', name='i0')\nRunEngine()(bp.count([d], num=5))\n",
    writes: [],
    reads: ["BL:I0"],
  },
  {
    api: "bluesky mv inside a plan writes the signal's write PV",
    code: "import bluesky.plan_stubs as bps\nfrom ophyd import EpicsSignal\ns = EpicsSignal('BL:GAP:RBV', write_pv='BL:GAP:SP', name='gap')\ndef plan():\n    yield from bps.mv(s, 5.0)\n",
    writes: ["BL:GAP:SP"],
    reads: [],
  },
  {
    api: "p4p Server with SharedPV.post serves PVs (a write with a control-serve finding)",
    code: "from p4p.nt import NTScalar\nfrom p4p.server import Server\nfrom p4p.server.thread import SharedPV\npv = SharedPV(nt=NTScalar('d'), initial=0.0)\nwith Server(providers=[{'DEMO:SHADOW': pv}]):\n    pv.post(1.0)\n",
    writes: ["?", "DEMO:SHADOW"],
    reads: [],
    rules: ["control-serve"],
  },
  {
    api: "a caproto IOC started from user code serves PVs",
    code: "from caproto.server import PVGroup, pvproperty, ioc_arg_parser, run\nclass Shadow(PVGroup):\n    current = pvproperty(value=0.0)\nioc_options, run_options = ioc_arg_parser(default_prefix='SR:DCCT:', desc='shadow')\nioc = Shadow(**ioc_options)\nrun(ioc.pvdb, **run_options)\n",
    writes: ["?"],
    reads: [],
    rules: ["control-serve"],
  },
  {
    api: "pyepics Motor attribute reads are field reads",
    code: "from epics import Motor\nm = Motor('XXX:m1')\nprint(m.RBV, m.VAL, m.readback)\n",
    writes: [],
    reads: ["XXX:m1.RBV", "XXX:m1.VAL"],
  },
  {
    api: "Device.PV(...).get() reads the prefixed field",
    code: "import epics\ndev = epics.Device('XXX:m1', delim='.')\nv = dev.PV('DESC').get()\n",
    writes: [],
    reads: ["XXX:m1.DESC"],
  },
  {
    api: "a PV monitor callback is a read",
    code: "from epics import PV\ndef on_change(pvname=None, value=None, **kw):\n    print(pvname, value)\np = PV('SR:DCCT:CURRENT', callback=on_change)\nq = PV('SR:DCCT:LIFETIME')\nq.add_callback(on_change)\n",
    writes: [],
    reads: ["SR:DCCT:CURRENT", "SR:DCCT:LIFETIME"],
  },
  {
    api: "epics.Alarm watches (reads) a PV",
    code: "import epics\ndef notify(pvname=None, value=None, **kw):\n    print('alarm', pvname, value)\nepics.Alarm(pvname='SR:VAC:GAUGE1:PRESSURE', comparison='>', trip_point=1e-8, callback=notify)\n",
    writes: [],
    reads: ["SR:VAC:GAUGE1:PRESSURE"],
  },
  {
    api: "caproto asyncio subscribe reads",
    code: "import asyncio\nfrom caproto.asyncio.client import Context\nasync def main():\n    ctx = Context()\n    pv, = await ctx.get_pvs('SR:DCCT:CURRENT')\n    sub = pv.subscribe()\n    sub.add_callback(print)\nasyncio.run(main())\n",
    writes: [],
    reads: ["SR:DCCT:CURRENT"],
  },
  {
    api: "caproto asyncio Context.monitor reads",
    code: "import asyncio\nfrom caproto.asyncio.client import Context\nasync def main():\n    ctx = Context()\n    async for event, context, data in ctx.monitor('SR:DCCT:LIFETIME'):\n        print(event, data)\nasyncio.run(main())\n",
    writes: [],
    reads: ["SR:DCCT:LIFETIME"],
  },
];

describe("the EPICS Python write surface: detected, right PV names, right mode", () => {
  it.each(CASES)("$api", async ({ code, writes, reads, rules }) => {
    const r = await analyze(code);
    expect(r.findings.filter((f) => f.rule === "undefined-name")).toEqual([]);
    expect({ writes: pvs(r.pv_writes), reads: pvs(r.pv_reads) }).toEqual({ writes: [...writes].sort(), reads: [...reads].sort() });
    expect(r.execution_mode).toBe(writes.length > 0 ? "write_access" : "read_only");
    expect(r.needs_approval).toBe(writes.length > 0);
    for (const rule of rules ?? []) expect(r.findings.map((f) => f.rule)).toContain(rule);
  });

  it("names pyepics Motor fields from the library's alias map, as the approver sees them", async () => {
    const r = await analyze("from epics import Motor\nm = Motor('XXX:m1.VAL')\nm.tweak_val = 0.05\nm.tweak(direction='reverse')\nm.move(1.5, dial=True)\nm.stop()\nm.disabled = 1\n");
    expect(r.pv_writes.map((w) => [w.line, w.pv])).toEqual([
      [3, "XXX:m1.TWV"],
      [4, "XXX:m1.TWR"],
      [5, "XXX:m1.DVAL"],
      [6, "XXX:m1.STOP"],
      [7, "XXX:m1_able.VAL"],
    ]);
    expect(r.findings.find((f) => f.line === 3)?.message).toBe("writes XXX:m1.TWV via epics.Motor.tweak_val =");
  });

  it("names ophyd EpicsMotor components and the properties that read them", async () => {
    const r = await analyze("from ophyd import EpicsMotor\nm = EpicsMotor('BL:M2', name='m2')\nm.velocity.put(2.0)\nm.set(3.0)\nx = m.position\ny = m.user_readback.get()\nm.home('reverse')\n");
    expect(r.pv_writes.map((w) => w.pv)).toEqual(["BL:M2.VELO", "BL:M2.VAL", "BL:M2.HOMR"]);
    expect(pvs(r.pv_reads)).toEqual(["BL:M2.RBV"]);
  });

  it("a served PV is refused like a write when writes are disabled", async () => {
    const strict = createAnalyzer({ control_system: { writes_enabled: false } });
    const r = await strict.analyze({ code: CASES.find((c) => c.api.startsWith("a caproto IOC"))!.code, expectedResults: {} });
    expect(r.passed).toBe(false);
    expect(r.findings.map((f) => f.rule)).toEqual(expect.arrayContaining(["control-serve", "writes-disabled"]));
  });
});
