import { KIND } from "./node-kinds.js";
import { type PyNode, text, walk } from "./py-node.js";
import type { Resolver } from "./resolver.js";
import type { Scope } from "./scopes.js";

/** Python 3.11-3.13 builtins (`dir(builtins)`), so a name nobody defines but Python provides is never reported. */
const BUILTINS = new Set(
  `ArithmeticError AssertionError AttributeError BaseException BaseExceptionGroup BlockingIOError BrokenPipeError BufferError
BytesWarning ChildProcessError ConnectionAbortedError ConnectionError ConnectionRefusedError ConnectionResetError
DeprecationWarning EOFError Ellipsis EncodingWarning EnvironmentError Exception ExceptionGroup False FileExistsError
FileNotFoundError FloatingPointError FutureWarning GeneratorExit IOError ImportError ImportWarning IndentationError IndexError
InterruptedError IsADirectoryError KeyError KeyboardInterrupt LookupError MemoryError ModuleNotFoundError NameError None
NotADirectoryError NotImplemented NotImplementedError OSError OverflowError PendingDeprecationWarning PermissionError
ProcessLookupError PythonFinalizationError RecursionError ReferenceError ResourceWarning RuntimeError RuntimeWarning
StopAsyncIteration StopIteration SyntaxError SyntaxWarning SystemError SystemExit TabError TimeoutError True TypeError
UnboundLocalError UnicodeDecodeError UnicodeEncodeError UnicodeError UnicodeTranslateError UnicodeWarning UserWarning
ValueError Warning ZeroDivisionError __build_class__ __debug__ __doc__ __import__ __loader__ __name__ __package__ __spec__
__builtins__ __file__ __annotations__ __class__ abs aiter all anext any ascii bin bool breakpoint bytearray bytes callable
chr classmethod compile complex copyright credits delattr dict dir divmod enumerate eval exec exit filter float format
frozenset getattr globals hasattr hash help hex id input int isinstance issubclass iter len license list locals map max
memoryview min next object oct open ord pow print property quit range repr reversed round set setattr slice sorted
staticmethod str sum super tuple type vars zip`.split(/\s+/),
);

/**
 * Names the harness binds before user code runs (pyfleet_harness.py `run_code`), and the ones a
 * Jupyter kernel adds to builtins (the container backend runs code in IPython).
 */
export const HARNESS_NAMES: ReadonlySet<string> = new Set(["context", "read_channel", "write_channel", "write_channels", "display", "get_ipython"]);

/** Names whose use means other names may be created at run time (then nothing is reported). */
const NAMESPACE_CHANGERS = new Set(["exec", "globals", "vars", "locals", "__builtins__", "builtins", "__dict__"]);
/** Any of {@link NAMESPACE_CHANGERS} anywhere in a source (one regex pass: ~6x cheaper than one `includes` per name). */
const MAY_CHANGE_NAMESPACE = new RegExp([...NAMESPACE_CHANGERS].join("|"));

/** Node types an identifier sits under when it is a binding target rather than a use. */
const TARGET_WRAPPERS = new Set(["pattern_list", "tuple_pattern", "list_pattern", "tuple", "list", "parenthesized_expression", "list_splat_pattern", "as_pattern_target"]);

/** Statements whose `left` field binds names (augmented assignment reads them too). */
const BINDS_LEFT = new Set(["assignment", "for_statement", "for_in_clause", "augmented_assignment"]);

/** One name used but never defined. */
export interface UndefinedName {
  name: string;
  node: PyNode;
}

/**
 * Names read somewhere that no scope defines, no import binds, Python does not provide and the
 * harness does not pre-bind: running the code would raise `NameError` (like pyflakes' F821).
 * Python's rules: a name bound anywhere in a scope is local there; functions see enclosing
 * functions and the module, never class bodies; `global` / `nonlocal` as declared. A star import
 * or anything that can add names at run time (`exec`, `globals()`, ...) makes the answer unknown,
 * and then nothing is reported. Over-approximations only hide findings: names bound in a
 * comprehension count for the enclosing scope; names in `case` patterns and annotations are not checked.
 */
export function undefinedNames(r: Resolver): UndefinedName[] {
  const src = r.src;
  const module = r.scopes.get(r.root.id);
  if (!module) return [];
  const moduleGlobals = new Set<string>();
  let unknowable = false;
  const extra = new Map<Scope, Set<string>>();
  const bindExtra = (s: Scope, name: string) => {
    const set = extra.get(s) ?? new Set<string>();
    set.add(name);
    extra.set(s, set);
  };
  for (const s of r.scopes.values()) {
    if (s.stars.length > 0) unknowable = true;
    for (const g of s.globals) moduleGlobals.add(g);
  }
  // A name can only be one of these if the source contains it: checked once instead of per identifier.
  const mayChangeNamespace = MAY_CHANGE_NAMESPACE.test(src);
  // Indices of the identifiers that read a name; their text is sliced only when the answer is knowable.
  const uses: number[] = [];
  const { nodes, scopes, kinds } = r.scoped;
  for (let i = 0; i < nodes.length; i++) {
    const kind = kinds[i]!;
    const n = nodes[i]!;
    if (kind & KIND.namesOther) {
      if (n.type === "wildcard_import") unknowable = true;
      if (n.type === "case_pattern" && n.parent?.type === "case_clause") walk(n, (c) => c.type === "identifier" && bindExtra(scopes[i]!, text(src, c)));
      if ((n.type === "parameters" || n.type === "lambda_parameters") && n.parent) {
        const inner = r.scopes.get(n.parent.id);
        if (inner) for (const name of parameterNames(src, n)) bindExtra(inner, name);
      }
    }
    if (!(kind & KIND.identifier)) continue;
    if (mayChangeNamespace && NAMESPACE_CHANGERS.has(r.nameOf(n))) unknowable = true;
    if (isUse(n)) uses.push(i);
  }
  if (unknowable) return [];
  const defined = (name: string, scope: Scope): boolean => {
    if (BUILTINS.has(name) || HARNESS_NAMES.has(name) || moduleGlobals.has(name) || module.declared.has(name)) return true;
    for (let s: Scope | null = scope; s; s = s.parent) {
      if (s !== scope && s.kind === "class") continue;
      if (s.declared.has(name) || s.nonlocals.has(name) || extra.get(s)?.has(name)) return true;
    }
    return false;
  };
  const out: UndefinedName[] = [];
  for (const i of uses) {
    const node = nodes[i]!;
    const name = r.nameOf(node);
    if (!defined(name, scopes[i]!)) out.push({ name, node });
  }
  return out;
}

/** Names a parameter list binds (defaults and annotations excluded). */
function parameterNames(src: string, params: PyNode): string[] {
  const out: string[] = [];
  const visit = (n: PyNode) => {
    if (n.field === "type" || n.field === "value" || n.type === "type") return;
    if (n.type === "identifier") out.push(text(src, n));
    for (const c of n.children) visit(c);
  };
  for (const c of params.children) visit(c);
  return out;
}

/** True when an identifier reads a name (not an attribute name, keyword, parameter, import, target, pattern or annotation). */
function isUse(n: PyNode): boolean {
  const p = n.parent;
  if (!p) return false;
  if (n.field === "attribute" || n.field === "name" || n.field === "alias") return false;
  if (p.type === "keyword_argument" && n.field !== "value") return false;
  if (p.type === "global_statement" || p.type === "nonlocal_statement" || p.type === "dotted_name") return false;
  if (p.type === "parameters" || p.type === "lambda_parameters") return false;
  let cur = n;
  while (cur.parent && TARGET_WRAPPERS.has(cur.parent.type)) cur = cur.parent;
  const q = cur.parent;
  if (q && cur.field === "left" && BINDS_LEFT.has(q.type)) return q.type === "augmented_assignment";
  if (q?.type === "as_pattern_target" || q?.type === "delete_statement") return false;
  for (let a: PyNode | null = p; a; a = a.parent) {
    switch (a.type) {
      case "type":
      case "case_pattern":
      case "import_statement":
      case "import_from_statement":
      case "future_import_statement":
      case "type_parameter":
      case "parameters":
      case "lambda_parameters":
        // inside a parameter list only defaults are uses
        if ((a.type === "parameters" || a.type === "lambda_parameters") && insideDefault(n, a)) return true;
        return false;
      case "function_definition":
      case "class_definition":
      case "module":
      case "block":
        return true;
      default:
        break;
    }
  }
  return true;
}

/** True when `n` lies in the default value of a parameter of `params`. */
function insideDefault(n: PyNode, params: PyNode): boolean {
  for (let c: PyNode | null = n; c && c !== params; c = c.parent) if (c.field === "value") return true;
  return false;
}
