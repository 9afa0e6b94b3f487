import { type PyNode, field, namedChildren, text, walk } from "./py-node.js";
import type { Resolver } from "./resolver.js";
import type { SecurityRuleId } from "./rules.js";
import type { Scope } from "./scopes.js";

/** Receives one security finding. */
export type Emit = (rule: SecurityRuleId, node: PyNode, message: string) => void;

/**
 * `multiprocessing` (and a process pool) counts too: a child started with the `spawn` or
 * `forkserver` method is a fresh interpreter without the harness's read-only guard.
 */
const SPAWN_MODULES = ["subprocess", "pty", "commands", "multiprocessing", "concurrent.futures.ProcessPoolExecutor"];
const NATIVE_MODULES = ["ctypes", "cffi"];
const NETWORK_MODULES = ["socket", "urllib", "urllib2", "urllib3", "http.client", "requests", "httpx", "aiohttp", "ftplib", "smtplib", "telnetlib", "paramiko", "websocket", "websockets"];
const OS_SPAWN = /^os\.(system|popen\d?|exec[lv]p?e?|spawn[lv]p?e?|posix_spawnp?|fork|forkpty|startfile)$/;
const DYNAMIC_CODE = new Set(["builtins.eval", "builtins.exec", "builtins.compile", "builtins.__import__", "runpy.run_path", "runpy.run_module"]);
const DELETES = new Set(["shutil.rmtree", "os.remove", "os.unlink", "os.rmdir", "os.removedirs", "shutil.move", "os.rename", "os.replace"]);
const OPENERS = new Set(["builtins.open", "io.open", "codecs.open", "os.open"]);
const PATH_WRITES = new Set(["write_text", "write_bytes", "unlink", "rmdir", "touch", "mkdir", "rename", "replace", "open"]);
const SECRET_NAME = /KEY|TOKEN|SECRET|PASS(WORD|WD)?|CREDENTIAL|AUTH|PRIVATE|SESSION|COOKIE/i;

function inModule(q: string, modules: string[]): string | undefined {
  return modules.find((m) => q === m || q.startsWith(`${m}.`));
}

/** Literal path that leaves the working folder: absolute, home-relative or through `..`. */
function outsidePath(path: string): boolean {
  return path.startsWith("/") || path.startsWith("~") || /^[A-Za-z]:[\\/]/.test(path) || path.split(/[\\/]/).includes("..");
}

/** The checks {@link SecurityChecks.onCall} makes, as bits of what a callee name calls for. */
const CALLEE = { dynamicCode: 1, spawn: 2, deletes: 4, opens: 8, getenv: 16, wholeEnviron: 32 } as const;

function calleeRules(q: string): number {
  let rules = 0;
  if (DYNAMIC_CODE.has(q)) rules |= CALLEE.dynamicCode;
  // The os.* patterns are tried only on names they can match.
  const os = q.startsWith("os.");
  if (os && OS_SPAWN.test(q)) rules |= CALLEE.spawn;
  if (DELETES.has(q)) rules |= CALLEE.deletes;
  if (OPENERS.has(q)) rules |= CALLEE.opens;
  if (q === "os.getenv" || q === "os.environ.get" || q === "os.getenvb") rules |= CALLEE.getenv;
  if (os && /^os\.environ\.(items|values|copy|keys)$/.test(q)) rules |= CALLEE.wholeEnviron;
  return rules;
}

/** Security checks, fed by the detection walk with resolved qualified names. */
export class SecurityChecks {
  /** False when the source has no `shell` anywhere, so no call can pass `shell=True` (checked once instead of per call). */
  private readonly mayUseShell: boolean;
  private readonly calleeRules = new Map<string, number>();

  constructor(
    private readonly r: Resolver,
    private readonly emit: Emit,
  ) {
    this.mayUseShell = r.src.includes("shell");
  }

  /** An import binding `q` (e.g. `subprocess`, `http.client`, `ctypes.CDLL`). */
  onImport(q: string, node: PyNode): void {
    const spawn = inModule(q, SPAWN_MODULES);
    if (spawn) this.emit("process-spawn", node, `imports ${spawn}, which starts processes outside the sandbox's control`);
    const native = inModule(q, NATIVE_MODULES);
    if (native) this.emit("native-code", node, `imports ${native}, which loads native code that bypasses Python-level guards`);
    const net = inModule(q, NETWORK_MODULES);
    if (net) this.emit("network", node, `imports ${net}, a network client`);
  }

  /** A call whose callee resolved to the qualified name `q`. */
  onCall(q: string, call: PyNode, scope: Scope): void {
    const rules = this.rulesOf(q);
    if (rules === 0) return;
    const args = this.r.args(call);
    if (rules & CALLEE.dynamicCode) this.emit("dynamic-code", call, `${q.replace(/^builtins\./, "")}() runs code built at run time, which static analysis cannot check`);
    if (rules & CALLEE.spawn) this.emit("process-spawn", call, `${q}() starts a process`);
    if (rules & CALLEE.deletes) this.checkDelete(q, args.positional[0], call, scope);
    if (rules & CALLEE.opens) this.checkOpen(q, args.positional[0], args.positional[1] ?? args.keywords.get("mode"), call, scope);
    if (rules & CALLEE.getenv) this.checkSecretKey(args.positional[0], call, scope);
    if (rules & CALLEE.wholeEnviron) this.emit("env-secrets", call, `${q}() reads the whole environment, secrets included`);
  }

  /** True when {@link onCall} may report something for the callee `q` (detection passes over the other calls). */
  mayReport(q: string): boolean {
    return this.rulesOf(q) !== 0;
  }

  /** The {@link CALLEE} checks that apply to a callee name (once per name: every resolved call asks). */
  private rulesOf(q: string): number {
    let rules = this.calleeRules.get(q);
    if (rules === undefined) {
      rules = calleeRules(q);
      this.calleeRules.set(q, rules);
    }
    return rules;
  }

  /** Any call, resolved or not: `shell=True` runs a shell whatever the callee is. */
  onAnyCall(call: PyNode): void {
    if (!this.mayUseShell) return;
    const shell = this.r.args(call).keywords.get("shell");
    if (shell && text(this.r.src, shell) === "True") this.emit("process-spawn", call, "shell=True runs a shell command");
  }

  /** `Path('/abs').write_text(...)` and friends. */
  onPathMethod(method: string, pathArg: PyNode | undefined, call: PyNode, scope: Scope): void {
    if (!PATH_WRITES.has(method)) return;
    for (const p of this.r.strings(pathArg, scope))
      if (outsidePath(p)) this.emit("file-write-outside", call, `Path(${JSON.stringify(p)}).${method}() changes a file outside the working folder`);
  }

  /** A bare reference to `os.environ` (not a `.get`/subscript with a harmless literal key). */
  onEnviron(ref: PyNode, scope: Scope): void {
    const parent = ref.parent;
    if (!parent) return;
    if (parent.type === "subscript" && ref.field === "value") {
      const key = field(parent, "subscript");
      if (parent.field === "left" && parent.parent?.type === "assignment") return;
      this.checkSecretKey(key, parent, scope);
      return;
    }
    if (parent.type === "attribute" && ref.field === "object") return;
    if (parent.type === "comparison_operator") return;
    this.emit("env-secrets", ref, "uses os.environ as a whole, which exposes every secret in the environment");
  }

  /** `while True` / `while 1` whose body has no break or return for this loop. */
  onWhile(loop: PyNode): void {
    const cond = field(loop, "condition");
    if (!cond) return;
    const c = text(this.r.src, cond).trim();
    if (c !== "True" && !/^[1-9]\d*$/.test(c)) return;
    const body = field(loop, "body");
    if (body && !exits(body)) this.emit("unbounded-loop", loop, `while ${c} has no break or return, so it only stops on the timeout`);
  }

  private checkSecretKey(key: PyNode | undefined, node: PyNode, scope: Scope): void {
    const names = this.r.strings(key, scope);
    if (names.length === 0) {
      this.emit("env-secrets", node, "reads an environment variable whose name is computed (could be a secret)");
      return;
    }
    for (const n of names)
      if (SECRET_NAME.test(n)) this.emit("env-secrets", node, `reads the secret environment variable ${n}`);
  }

  private checkDelete(q: string, pathArg: PyNode | undefined, call: PyNode, scope: Scope): void {
    const paths = this.r.strings(pathArg, scope);
    if (paths.length === 0) {
      this.emit("file-write-outside", call, `${q}() on a computed path may delete or move files outside the working folder`);
      return;
    }
    for (const p of paths)
      if (outsidePath(p)) this.emit("file-write-outside", call, `${q}(${JSON.stringify(p)}) changes files outside the working folder`);
  }

  private checkOpen(q: string, pathArg: PyNode | undefined, modeArg: PyNode | undefined, call: PyNode, scope: Scope): void {
    const modes = this.r.strings(modeArg, scope);
    const writing = q === "os.open" ? modeArg !== undefined && /O_WRONLY|O_RDWR|O_CREAT/.test(text(this.r.src, modeArg)) : modes.some((m) => /[wax+]/.test(m));
    if (!writing) return;
    for (const p of this.r.strings(pathArg, scope))
      if (outsidePath(p)) this.emit("file-write-outside", call, `opens ${JSON.stringify(p)} for writing, outside the working folder`);
  }
}

/** True when a loop body contains a break or return that leaves this loop. */
function exits(body: PyNode): boolean {
  let found = false;
  const visit = (n: PyNode): void => {
    if (found) return;
    if (n.type === "break_statement" || n.type === "return_statement") {
      found = true;
      return;
    }
    if (n.type === "function_definition" || n.type === "class_definition" || n.type === "lambda") return;
    for (const c of n.children) {
      if ((n.type === "for_statement" || n.type === "while_statement") && c.field === "body") visitNoBreak(c);
      else visit(c);
    }
  };
  const visitNoBreak = (n: PyNode): void => {
    walk(n, (m) => {
      if (m.type === "return_statement") found = true;
    });
  };
  for (const c of namedChildren(body)) visit(c);
  return found;
}
