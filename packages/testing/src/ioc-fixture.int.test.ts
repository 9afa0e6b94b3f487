import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { projectPython, SIM_DEFAULT_CONFIG } from "@pyfleet/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IocFixture } from "./ioc-fixture.js";

const run = promisify(execFile);
const SP = "SR:MAG:QF1:CURRENT_SP";
const RB = "SR:MAG:QF1:CURRENT_RB";

/** Runs Python with pyepics from the venv against one IOC (its env only) and returns the JSON it prints. */
async function client(ioc: IocFixture, code: string): Promise<Record<string, unknown>> {
  const { stdout, stderr } = await run(projectPython(), ["-c", `import json, time, epics\nout = {}\n${code}\nprint(json.dumps(out))`], {
    env: { PATH: "/usr/bin:/bin", LANG: "C.UTF-8", ...ioc.env },
    timeout: 30_000,
  });
  // libca found the IOC's repeater: it did not try to start a caRepeater binary (and say so)
  expect(stderr).not.toContain("caRepeater");
  return JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as Record<string, unknown>;
}

let ioc: IocFixture;
beforeAll(async () => {
  ioc = await IocFixture.start();
}, 60_000);
afterAll(async () => {
  await ioc?.close();
});

describe("IocFixture: the simulated storage ring over real Channel Access", () => {
  it("serves on a loopback port of its own and says how to reach it", () => {
    expect(ioc.port).toBeGreaterThan(1024);
    expect(ioc.env).toEqual({
      EPICS_CA_ADDR_LIST: `127.0.0.1:${ioc.port}`,
      EPICS_CA_AUTO_ADDR_LIST: "NO",
      EPICS_CA_SERVER_PORT: String(ioc.port),
      EPICS_CA_REPEATER_PORT: expect.stringMatching(/^\d+$/),
    });
  });

  it("pyepics reads a live beam current that drifts with noise, and the PVs' units and limits", async () => {
    const out = await client(
      ioc,
      "out['current'] = []\nfor _ in range(6):\n    out['current'].append(epics.caget('SR:DCCT:CURRENT', timeout=5))\n    time.sleep(0.25)\n" +
        "pv = epics.PV('SR:MAG:QF1:CURRENT_SP')\nc = pv.get_ctrlvars(timeout=5)\nout['units'] = c['units']; out['lo'] = c['lower_ctrl_limit']; out['hi'] = c['upper_ctrl_limit']\n" +
        "out['drvh'] = epics.caget('SR:MAG:QF1:CURRENT_SP.DRVH'); out['sp'] = pv.get(); out['lifetime'] = epics.caget('SR:DCCT:LIFETIME')",
    );
    const current = out.current as number[];
    expect(current.every((v) => typeof v === "number" && v > 390 && v < 410)).toBe(true);
    expect(new Set(current).size).toBeGreaterThan(3);
    expect(out).toMatchObject({ units: "A", lo: 0, hi: 150, drvh: 150, sp: 101 });
    expect(out.lifetime as number).toBeGreaterThan(5);
  });

  it("a caput changes the setpoint once, the readback follows with lag, and the count goes 0 -> 1", async () => {
    expect(await ioc.putCount(SP)).toBe(0);
    const out = await client(
      ioc,
      `out['rb0'] = epics.caget('${RB}')\nout['put'] = epics.caput('${SP}', 102.5, wait=True, timeout=5)\nout['rb_soon'] = epics.caget('${RB}')\ntime.sleep(2.5)\nout['sp'] = epics.caget('${SP}')\nout['rb'] = epics.caget('${RB}')`,
    );
    expect(out.put).toBe(1);
    expect(out.sp).toBe(102.5);
    expect(Math.abs((out.rb0 as number) - 101)).toBeLessThan(0.05);
    // lag: right after the put the readback has not arrived yet; 2.5 s (5 time constants) later it has
    expect(Math.abs((out.rb_soon as number) - 102.5)).toBeGreaterThan(0.2);
    expect(Math.abs((out.rb as number) - 102.5)).toBeLessThan(0.05);
    expect(await ioc.putCount(SP)).toBe(1);
    expect(await ioc.putCounts()).toEqual({ [SP]: 1 });
    expect(await ioc.get(`SIM:PUTS:${SP}`)).toBe(1);
    expect(await ioc.get(SP)).toBe(102.5);
  }, 30_000);

  it("refuses a put outside DRVL..DRVH at the IOC and counts it as refused, not as a write", async () => {
    const before = await ioc.putCount(SP);
    const out = await client(ioc, `out['put'] = epics.caput('${SP}', 151.0, wait=True, timeout=5)\ntime.sleep(0.3)\nout['sp'] = epics.caget('${SP}')`);
    // pyepics reports 1 even for a put the server refused: only the IOC knows the truth
    expect(out.put).toBe(1);
    expect(out.sp).not.toBe(151);
    expect(await ioc.putCount(SP)).toBe(before);
    expect(await ioc.refusedCount(SP)).toBe(1);
    const last = (await ioc.puts()).at(-1);
    expect(last).toMatchObject({ pv: SP, value: 151, accepted: false });
    expect(last?.error).toContain("Limits are set to 0.0 and 150.0");
    expect(await ioc.get(`SIM:PUTS_REFUSED:${SP}`)).toBe(1);
  }, 30_000);

  it("read-only PVs deny writes (the put never reaches the device), and a disabled interlock refuses magnet puts", async () => {
    const total = (await ioc.puts()).length;
    const out = await client(
      ioc,
      "try:\n    out['ro'] = epics.caput('SR:DCCT:CURRENT', 1.0, wait=True, timeout=5)\nexcept Exception as e:\n    out['ro'] = type(e).__name__ + ': ' + str(e)\n" +
        "out['off'] = epics.caput('SR:INTLK:ENABLE', 'DISABLED', wait=True, timeout=5)\nepics.caput('SR:MAG:QD1:CURRENT_SP', 99.0, wait=True, timeout=5)\n" +
        "out['qd1'] = epics.caget('SR:MAG:QD1:CURRENT_SP')\nepics.caput('SR:INTLK:ENABLE', 'ENABLED', wait=True, timeout=5)",
    );
    expect(String(out.ro)).toContain("Write access denied");
    expect(out.qd1).toBe(98.5);
    const puts = (await ioc.puts()).slice(total);
    expect(puts.map((p) => [p.pv, p.accepted])).toEqual([
      ["SR:INTLK:ENABLE", true],
      ["SR:MAG:QD1:CURRENT_SP", false],
      ["SR:INTLK:ENABLE", true],
    ]);
    expect(puts[1]?.error).toContain("interlock SR:INTLK:ENABLE is DISABLED");
    expect(await ioc.putCount("SR:DCCT:CURRENT")).toBe(0);
  }, 30_000);

  it("a PV database with a wrong field does not start, and the error names the field and the file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "pyfleet-ioc-bad-"));
    try {
      const text = (await readFile(SIM_DEFAULT_CONFIG, "utf8")).replace("drvh: 150.0", "drvh: -5.0");
      await writeFile(join(dir, "ring.yml"), text);
      await expect(IocFixture.start({ config: join(dir, "ring.yml") })).rejects.toThrow(/ring\.yml: magnets\[0\]\.drvh: must be greater than drvl \(0\.0\)/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("two fixtures run side by side on different ports without seeing each other's puts", async () => {
    const [a, b] = await Promise.all([IocFixture.start(), IocFixture.start()]);
    try {
      expect(new Set([a.port, b.port, ioc.port]).size).toBe(3);
      await client(a, `epics.caput('${SP}', 120.0, wait=True, timeout=5)`);
      expect(await a.putCount(SP)).toBe(1);
      expect(await b.putCount(SP)).toBe(0);
      expect(await a.get(SP)).toBe(120);
      expect(await b.get(SP)).toBe(101);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
    await a.close(); // idempotent
  }, 60_000);
});
