import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { buildBwrapArgs, prlimitArgs, type SandboxLimits, type SandboxSpec } from "./bwrap-command.js";

const PY_BUILDER = fileURLToPath(new URL("../../harness/pyfleet_bwrap.py", import.meta.url));

const limits: SandboxLimits = { maxProcesses: 32, memoryMb: 512, cpuSeconds: 60, maxFileMb: 8, maxOpenFiles: 128, tmpMb: 16 };

describe("buildBwrapArgs", () => {
  const args = buildBwrapArgs({
    argv: ["/usr/bin/python3", "-c", "pass"],
    cwd: "/w",
    binds: [
      { src: "/host/w", dest: "/w", writable: true },
      { src: "/venv" },
    ],
    limits,
    infoFd: 3,
    blockFd: 4,
  });
  const pairs = (flag: string) => args.flatMap((a, i) => (a === flag ? [`${args[i + 1]} ${args[i + 2]}`] : []));

  it("unshares every namespace, the network included, as nobody without capabilities", () => {
    for (const f of ["--unshare-user", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--die-with-parent", "--new-session", "--as-pid-1"]) {
      expect(args).toContain(f);
    }
    expect(args.slice(args.indexOf("--uid"), args.indexOf("--uid") + 4)).toEqual(["--uid", "65534", "--gid", "65534"]);
    expect(args.slice(args.indexOf("--cap-drop"), args.indexOf("--cap-drop") + 2)).toEqual(["--cap-drop", "ALL"]);
  });

  it("binds read-only before writable, then remounts the root read-only", () => {
    expect(pairs("--ro-bind")).toEqual(["/venv /venv"]);
    expect(pairs("--bind")).toEqual(["/host/w /w"]);
    expect(args.indexOf("--ro-bind")).toBeLessThan(args.indexOf("--bind"));
    expect(args.indexOf("--remount-ro")).toBeGreaterThan(args.indexOf("--bind"));
    expect(args).not.toContain("/home");
  });

  it("starts the command under prlimit with hard limits, after the fds and the working folder", () => {
    const sep = args.indexOf("--");
    expect(args.slice(sep - 6, sep)).toEqual(["--info-fd", "3", "--block-fd", "4", "--chdir", "/w"]);
    expect(args.slice(sep + 1)).toEqual(["/usr/bin/prlimit", ...prlimitArgs(limits), "--", "/usr/bin/python3", "-c", "pass"]);
    expect(prlimitArgs(limits)).toContain(`--as=${512 * 2 ** 20}`);
    expect(prlimitArgs(limits)).toContain("--cpu=60:65");
  });

  it("keeps the host network only when asked", () => {
    expect(buildBwrapArgs({ argv: ["x"], cwd: "/", binds: [], limits, shareNetwork: true })).not.toContain("--unshare-net");
  });
});

describe("the Python twin (harness/pyfleet_bwrap.py, used by the Jupyter kernel launcher)", () => {
  const specs: SandboxSpec[] = [
    { argv: ["/usr/bin/python3", "-c", "pass"], cwd: "/w", binds: [{ src: "/host/w", dest: "/w", writable: true }, { src: "/venv" }], limits, infoFd: 3, blockFd: 4 },
    { argv: ["x"], cwd: "/k", binds: [{ src: "/a", dest: "/b" }], tmpfs: [{ dest: "/k", sizeMb: 64 }], limits, innerUid: 1000, shareNetwork: true },
  ];
  for (const [i, spec] of specs.entries()) {
    it(`builds the same command line (spec ${i + 1})`, () => {
      const out = execFileSync("/usr/bin/python3", [PY_BUILDER], { input: JSON.stringify(spec), encoding: "utf8" });
      expect(JSON.parse(out)).toEqual(buildBwrapArgs(spec));
    });
  }

  it("caps a tmpfs folder's total size", () => {
    const args = buildBwrapArgs(specs[1] as SandboxSpec);
    const at = args.indexOf("/k", args.indexOf("--tmpfs", args.indexOf("/tmp") + 1));
    expect(args.slice(at - 3, at + 1)).toEqual(["--size", String(64 * 2 ** 20), "--tmpfs", "/k"]);
  });
});
