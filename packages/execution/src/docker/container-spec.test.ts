import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { DEFAULT_EXECUTION_OPTIONS } from "../options.js";
import { checkSandboxUser, containerSpec, inputArchive, newReportMarker } from "./container-spec.js";

const docker = { ...DEFAULT_EXECUTION_OPTIONS.docker, memory_mb: 300, cpus: 1.5, pids_limit: 42, user: "1234:5678" };
const run = { runId: "r-1", attempt: 2, mode: "read_only" as const, dryRun: true, context: { a: 1 } };

describe("containerSpec", () => {
  it("hardens the container: no network, read-only root, limits, no capabilities, non-root, no log on disk", () => {
    const marker = newReportMarker();
    const spec = containerSpec(run, docker, { workDirMb: 100, tmpMb: 10, copyOutBytes: 1000, reportMb: 20 }, marker, "inst", 630.2);
    const hc = spec.HostConfig!;
    expect(hc.NetworkMode).toBe("none");
    expect(spec.NetworkDisabled).toBe(true);
    expect(hc.ReadonlyRootfs).toBe(true);
    expect(hc.Memory).toBe(300 * 1024 * 1024);
    expect(hc.MemorySwap).toBe(hc.Memory);
    expect(hc.NanoCpus).toBe(1_500_000_000);
    expect(hc.PidsLimit).toBe(42);
    expect(hc.CapDrop).toEqual(["ALL"]);
    expect(hc.SecurityOpt).toEqual(["no-new-privileges"]);
    expect(hc.Privileged).toBe(false);
    expect(hc.LogConfig?.Type).toBe("none");
    expect(hc.Tmpfs?.["/work"]).toBe("rw,nosuid,nodev,size=100m,mode=0700,uid=1234,gid=5678");
    expect(hc.Tmpfs?.["/pyfleet-out"]).toBe("rw,nosuid,nodev,noexec,size=20m,mode=0700,uid=1234,gid=5678");
    expect(spec.User).toBe("1234:5678");
    expect(spec.Env?.some((e) => /KEY|TOKEN|SECRET/i.test(e))).toBe(false);
    expect(spec.Labels).toMatchObject({ "org.pyfleet.run_id": "r-1", "org.pyfleet.attempt": "2" });
    expect(spec.Cmd).toEqual([
      "/usr/bin/timeout",
      "-s",
      "KILL",
      "631s",
      "/usr/bin/python3",
      "/pyfleet/pyfleet_docker_entry.py",
      marker.toString("hex"),
      "1000",
      "--code",
      "/pyfleet/user_code.py",
      "--context",
      "/pyfleet/context.json",
      "--mode",
      "read_only",
      "--report",
      "/pyfleet-out/report.json",
      "--dry-run",
    ]);
  });

  it("accepts only a numeric non-root user", () => {
    expect(checkSandboxUser("65534:65534")).toBe("65534:65534");
    expect(checkSandboxUser("1000")).toBe("1000");
    for (const bad of ["0", "0:0", "root", "1000:0", "nobody", "", "65534:"]) expect(() => checkSandboxUser(bad), bad).toThrow(/non-root/);
  });

  it("uses a fresh marker per run", () => {
    expect(newReportMarker().equals(newReportMarker())).toBe(false);
  });
});

describe("inputArchive", () => {
  it("holds harness (and its write module), entry script, code and context, read-only and owned by root", async () => {
    const list = (tar: Buffer) => execFileSync("tar", ["-tvf", "-", "--numeric-owner"], { input: tar }).toString().trim().split("\n");
    const listing = list(await inputArchive({ code: "print(1)", context: { a: 1 } }));
    expect(listing.map((l) => l.split(/\s+/).pop())).toEqual(["pyfleet_harness.py", "pyfleet_writes.py", "pyfleet_docker_entry.py", "user_code.py", "context.json"]);
    for (const line of listing) expect(line).toMatch(/^-r--r--r-- 0\/0 /);
    expect(list(await inputArchive({ code: "x", context: null }))).toHaveLength(4);
  });
});
