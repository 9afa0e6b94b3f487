import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { type ExecuteInput, PyfleetError } from "@pyfleet/core";
import type Docker from "dockerode";
import { harnessSource, writesModuleSource } from "../harness.js";
import type { DockerOptions } from "../options.js";
import { buildTar } from "./tar.js";

/** Folder in the container holding the run's inputs (an anonymous volume, root-owned, read-only to the user). */
export const INPUT_DIR = "/pyfleet";
/** The user's working directory: a size-limited tmpfs. */
export const WORK_DIR = "/work";
const ENTRY = `${INPUT_DIR}/pyfleet_docker_entry.py`;
/** A tmpfs of its own for the report, so code that fills /tmp or /work cannot make it unwritable. */
const REPORT_DIR = "/pyfleet-out";
const REPORT_PATH = `${REPORT_DIR}/report.json`;

let entrySource: string | undefined;
function entryScript(): string {
  entrySource ??= readFileSync(new URL("./pyfleet_docker_entry.py", import.meta.url), "utf8");
  return entrySource;
}

/**
 * Settings of one sandbox container beyond `docker.*` of config. The tmpfs sizes are caps, not
 * reservations, but what the code writes there counts against `docker.memory_mb`.
 */
export interface SandboxLimits {
  /** Size of the tmpfs work dir in MiB. */
  workDirMb: number;
  /** Size of the tmpfs /tmp in MiB. */
  tmpMb: number;
  /** Most bytes of files left in the work dir that are copied back to the attempt folder. */
  copyOutBytes: number;
  /** Size of the tmpfs holding the harness report (results and base64 figures) in MiB. */
  reportMb: number;
}

/**
 * Checks `docker.user` is a numeric non-root `uid[:gid]` (numeric: the image needs no passwd
 * entry, and a name could map to root inside the image).
 * @throws PyfleetError BACKEND_MISCONFIGURED otherwise.
 */
export function checkSandboxUser(user: string): string {
  const m = /^(\d+)(?::(\d+))?$/.exec(user);
  if (!m || Number(m[1]) === 0 || m[2] === "0") {
    throw new PyfleetError("BACKEND_MISCONFIGURED", `docker.user must be a numeric non-root uid[:gid] (e.g. 65534:65534), not ${JSON.stringify(user)}`);
  }
  return user;
}

/** A random marker the entry script writes before the report on stdout. */
export function newReportMarker(): Buffer {
  return Buffer.from(`\u0000PYFLEET-REPORT-${randomBytes(12).toString("hex")}\u0000`, "utf8");
}

/** The tar of inputs put into {@link INPUT_DIR}: harness, entry script, code and context (read-only, root). */
export function inputArchive(input: Pick<ExecuteInput, "code" | "context">): Promise<Buffer> {
  const ro = { mode: 0o444, uid: 0, gid: 0 };
  const entries = [
    { name: "pyfleet_harness.py", content: harnessSource(), ...ro },
    { name: "pyfleet_writes.py", content: writesModuleSource(), ...ro },
    { name: "pyfleet_docker_entry.py", content: entryScript(), ...ro },
    // not `code.py`: that name would shadow the stdlib module `code` on sys.path
    { name: "user_code.py", content: input.code, ...ro },
  ];
  if (input.context) entries.push({ name: "context.json", content: JSON.stringify(input.context), ...ro });
  return buildTar(entries);
}

/**
 * The hardened `docker create` body for one run (ARCHITECTURE §4, issue 6 item 4). The entry runs
 * under `timeout -s KILL deadlineSeconds`: the executor stops the run itself at its timeout, but
 * when the executor dies, nothing would stop the container; this way no sandbox outlives its run.
 */
export function containerSpec(
  input: Pick<ExecuteInput, "runId" | "attempt" | "mode" | "dryRun" | "context">,
  docker: DockerOptions,
  limits: SandboxLimits,
  marker: Buffer,
  instanceId: string,
  deadlineSeconds: number,
): Docker.ContainerCreateOptions {
  const [uid, gid] = docker.user.split(":");
  const cmd = ["/usr/bin/timeout", "-s", "KILL", `${Math.max(1, Math.ceil(deadlineSeconds))}s`];
  cmd.push("/usr/bin/python3", ENTRY, marker.toString("hex"), String(limits.copyOutBytes), "--code", `${INPUT_DIR}/user_code.py`);
  if (input.context) cmd.push("--context", `${INPUT_DIR}/context.json`);
  cmd.push("--mode", input.mode, "--report", REPORT_PATH);
  if (input.dryRun) cmd.push("--dry-run");
  const memory = docker.memory_mb * 1024 * 1024;
  const tmpfsOwner = uid ? `,uid=${uid}${gid ? `,gid=${gid}` : ""}` : "";
  return {
    Image: docker.image,
    Cmd: cmd,
    User: docker.user,
    WorkingDir: WORK_DIR,
    // Only what Python needs; nothing of the worker's environment (API keys) reaches the sandbox.
    Env: ["HOME=/work", "MPLBACKEND=Agg", "MPLCONFIGDIR=/tmp/matplotlib", "LANG=C.UTF-8", "PYTHONDONTWRITEBYTECODE=1"],
    Labels: { "org.pyfleet.run_id": input.runId, "org.pyfleet.attempt": String(input.attempt), "org.pyfleet.executor": instanceId },
    AttachStdout: true,
    AttachStderr: true,
    NetworkDisabled: true,
    Volumes: { [INPUT_DIR]: {} },
    HostConfig: {
      NetworkMode: "none",
      ReadonlyRootfs: true,
      Tmpfs: {
        [WORK_DIR]: `rw,nosuid,nodev,size=${limits.workDirMb}m,mode=0700${tmpfsOwner}`,
        "/tmp": `rw,nosuid,nodev,size=${limits.tmpMb}m,mode=1777`,
        [REPORT_DIR]: `rw,nosuid,nodev,noexec,size=${limits.reportMb}m,mode=0700${tmpfsOwner}`,
      },
      Memory: memory,
      MemorySwap: memory,
      NanoCpus: Math.round(docker.cpus * 1e9),
      PidsLimit: docker.pids_limit,
      CapDrop: ["ALL"],
      SecurityOpt: ["no-new-privileges"],
      IpcMode: "private",
      // output is read from the attach stream; a json-file log would put a stdout flood on disk
      LogConfig: { Type: "none", Config: {} },
      Privileged: false,
    },
  };
}
