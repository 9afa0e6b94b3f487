import { readdirSync, readFileSync } from "node:fs";

/** One process, identified by pid and start time (a pid alone may be reused after it exits). */
export interface ProcessEntry {
  pid: number;
  ppid: number;
  /** Start time in clock ticks since boot (field 22 of /proc/PID/stat). */
  start: number;
  command: string;
}

/** Parses /proc/PID/stat; null when the process is gone or is a zombie (nothing left to stop). */
function readStat(pid: number): ProcessEntry | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // the command is in parentheses and may itself contain spaces and parentheses
  const close = stat.lastIndexOf(")");
  const fields = stat.slice(close + 2).split(" ");
  if (fields[0] === "Z" || fields[0] === "X") return null;
  return { pid, ppid: Number(fields[1]), start: Number(fields[19]), command: stat.slice(stat.indexOf("(") + 1, close) };
}

function allProcesses(): ProcessEntry[] {
  const out: ProcessEntry[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const e = readStat(Number(name));
    if (e) out.push(e);
  }
  return out;
}

/**
 * Every live descendant of `root` (children, their children, …), read from /proc. Processes
 * that started a session of their own (Jupyter kernels do) are still found: the walk follows
 * parent pids, not process groups.
 */
export function descendantsOf(root: number): ProcessEntry[] {
  const byParent = new Map<number, ProcessEntry[]>();
  for (const e of allProcesses()) byParent.set(e.ppid, [...(byParent.get(e.ppid) ?? []), e]);
  const out: ProcessEntry[] = [];
  const todo = [root];
  while (todo.length > 0) {
    for (const child of byParent.get(todo.pop() as number) ?? []) {
      out.push(child);
      todo.push(child.pid);
    }
  }
  return out;
}

/** Whether this very process (same pid and start time) still runs. */
export function isAlive(e: ProcessEntry): boolean {
  return readStat(e.pid)?.start === e.start;
}

/**
 * Remembers every process ever seen below a root, so that processes orphaned by a crash (their
 * parent gone, re-parented to init) can still be found and stopped.
 */
export class ProcessTracker {
  private readonly known = new Map<string, ProcessEntry>();

  /** @param ignore processes never tracked (e.g. a helper that ends with its parent anyway) */
  constructor(
    private readonly root: number,
    private readonly ignore: (e: ProcessEntry) => boolean = () => false,
  ) {}

  /** Adds the root's current descendants to what is known. */
  scan(): void {
    for (const e of descendantsOf(this.root)) if (!this.ignore(e)) this.known.set(`${e.pid}:${e.start}`, e);
  }

  /** Known processes still alive (no new scan: the root may be gone and its pid reused). */
  alive(): ProcessEntry[] {
    return [...this.known.values()].filter(isAlive);
  }

  /**
   * Sends SIGTERM to every known live process, waits up to `graceMs` for them to exit, then
   * SIGKILLs the rest. Returns the processes that needed SIGKILL.
   */
  async stopAll(graceMs: number): Promise<ProcessEntry[]> {
    const live = this.alive();
    for (const e of live) signal(e, "SIGTERM");
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline && live.some(isAlive)) await new Promise((r) => setTimeout(r, 100));
    const stubborn = live.filter(isAlive);
    for (const e of stubborn) signal(e, "SIGKILL");
    return stubborn;
  }
}

function signal(e: ProcessEntry, sig: NodeJS.Signals): void {
  if (!isAlive(e)) return;
  try {
    process.kill(e.pid, sig);
  } catch {
    // exited between the check and the signal
  }
}
