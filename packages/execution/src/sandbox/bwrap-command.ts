/**
 * The one place that turns "run this argv contained" into a bubblewrap command line. Used by the
 * local backend and the fork server's parent; the Jupyter kernelspec launcher (Python) runs its
 * twin `harness/pyfleet_bwrap.py`, which the tests hold to identical output. Every backend that
 * runs user code on this host gets the same boundary (docs/security.md, ARCHITECTURE §9).
 *
 * What the command gives the process (bubblewrap 0.8, Debian `bubblewrap`):
 * - a user namespace with a fixed unprivileged uid/gid inside, started from an unprivileged host
 *   uid when the executor is root (so host rlimits such as RLIMIT_NPROC apply), all capabilities
 *   dropped, a new session (no TIOCSTI into the executor's terminal);
 * - private PID, IPC, UTS, cgroup and network namespaces: no process outside is visible or
 *   signalable, and the only network interface is an unconfigured loopback (the CA gate puts its
 *   sockets there from outside);
 * - an empty root: `/usr` (and the merged-usr symlinks) read-only, a size-capped `/tmp`, a fresh
 *   `/proc` and minimal `/dev`, the binds the caller names, and nothing else: no repository, no
 *   home, no `/etc/shadow`, no artifacts of other runs;
 * - rlimits applied by `prlimit` before the interpreter starts (processes, address space, CPU
 *   time, file size, open files); hard limits, so the code cannot raise them again;
 * - `--die-with-parent` and `--as-pid-1`: the process dies with the executor, and when it exits
 *   the kernel kills everything left in its PID namespace.
 */

/** Limits applied inside the sandbox (hard = soft). */
export interface SandboxLimits {
  /** RLIMIT_NPROC: processes/threads of the sandbox uid, counted per sandbox. */
  maxProcesses: number;
  /** RLIMIT_AS in MiB. */
  memoryMb: number;
  /** RLIMIT_CPU in seconds (soft; the hard limit is 5 s more). */
  cpuSeconds: number;
  /** RLIMIT_FSIZE in MiB: the largest file the code may write. */
  maxFileMb: number;
  /** RLIMIT_NOFILE. */
  maxOpenFiles: number;
  /** Size of the private `/tmp` tmpfs in MiB. */
  tmpMb: number;
}

/** A host path made visible inside the sandbox (same path inside unless `dest` is given). */
export interface SandboxBind {
  src: string;
  dest?: string;
  /** Default false: read-only. */
  writable?: boolean;
}

export interface SandboxSpec {
  /** The command to run inside (absolute paths as seen inside). */
  argv: readonly string[];
  /** Working folder inside (must be one of the binds or `/tmp`). */
  cwd: string;
  binds: readonly SandboxBind[];
  /**
   * Private size-capped tmpfs folders (mounted after the binds): what the code writes there
   * counts against `sizeMb` in all, however many files it makes (the total disk cap).
   */
  tmpfs?: readonly { dest: string; sizeMb: number }[];
  limits: SandboxLimits;
  /** Uid/gid the code sees inside; default 65534 (nobody). */
  innerUid?: number;
  /**
   * Keep the host network namespace. Only for tests of this builder and for backends whose
   * network is already isolated elsewhere; user code never gets it.
   */
  shareNetwork?: boolean;
  /** fd (in the bwrap process) where bwrap writes `{"child-pid": N}` once the sandbox exists. */
  infoFd?: number;
  /** fd bwrap waits on (one byte) before it starts the command: time to attach the CA gate. */
  blockFd?: number;
}

/** Read-only system folders every sandbox gets (Debian merged-usr). */
export const SYSTEM_BINDS: readonly SandboxBind[] = [
  { src: "/usr" },
  { src: "/etc/ld.so.cache" },
  { src: "/etc/localtime" },
  { src: "/etc/alternatives" },
  // Debian's matplotlib reads its defaults from here; fontconfig its font list
  { src: "/etc/matplotlibrc" },
  { src: "/etc/fonts" },
];

/** The `prlimit` options for the limits (hard = soft). */
export function prlimitArgs(limits: SandboxLimits): string[] {
  const mib = 1024 * 1024;
  return [
    `--nproc=${limits.maxProcesses}`,
    `--as=${limits.memoryMb * mib}`,
    // SIGXCPU at the soft limit (the harness reports it), SIGKILL 5 s later; the same pair the harness sets
    `--cpu=${limits.cpuSeconds}:${limits.cpuSeconds + 5}`,
    `--fsize=${limits.maxFileMb * mib}`,
    `--nofile=${limits.maxOpenFiles}`,
    `--core=0`,
  ];
}

/**
 * The bwrap arguments (without the `bwrap` file itself) that run `spec.argv` contained.
 * The environment is not part of the command: spawn bwrap with the allow-listed environment
 * only (bwrap passes it through unchanged; nothing else is inherited).
 */
export function buildBwrapArgs(spec: SandboxSpec): string[] {
  const uid = String(spec.innerUid ?? 65534);
  const args = [
    "--unshare-user",
    "--unshare-pid",
    "--unshare-ipc",
    "--unshare-uts",
    "--unshare-cgroup-try",
    ...(spec.shareNetwork ? [] : ["--unshare-net"]),
    "--uid",
    uid,
    "--gid",
    uid,
    "--hostname",
    "pyfleet-sandbox",
    "--die-with-parent",
    "--new-session",
    "--as-pid-1",
    "--cap-drop",
    "ALL",
    "--symlink",
    "usr/bin",
    "/bin",
    "--symlink",
    "usr/sbin",
    "/sbin",
    "--symlink",
    "usr/lib",
    "/lib",
    "--symlink",
    "usr/lib64",
    "/lib64",
    "--proc",
    "/proc",
    "--dev",
    "/dev",
    "--size",
    String(spec.limits.tmpMb * 1024 * 1024),
    "--tmpfs",
    "/tmp",
  ];
  for (const b of SYSTEM_BINDS) args.push("--ro-bind-try", b.src, b.dest ?? b.src);
  // later binds win; the caller's writable folders come last so a read-only parent cannot hide them
  const ordered = [...spec.binds.filter((b) => !b.writable), ...spec.binds.filter((b) => b.writable)];
  for (const b of ordered) args.push(b.writable ? "--bind" : "--ro-bind", b.src, b.dest ?? b.src);
  for (const t of spec.tmpfs ?? []) args.push("--size", String(t.sizeMb * 1024 * 1024), "--tmpfs", t.dest);
  // everything but /tmp and the writable binds is read-only, the empty root included
  args.push("--remount-ro", "/");
  if (spec.infoFd !== undefined) args.push("--info-fd", String(spec.infoFd));
  if (spec.blockFd !== undefined) args.push("--block-fd", String(spec.blockFd));
  args.push("--chdir", spec.cwd, "--", "/usr/bin/prlimit", ...prlimitArgs(spec.limits), "--", ...spec.argv);
  return args;
}
