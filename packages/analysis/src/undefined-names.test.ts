import { describe, expect, it } from "vitest";
import { createAnalyzer, formatFeedback } from "./analyzer.js";

const analyzer = createAnalyzer({});
const undefinedIn = async (code: string) =>
  (await analyzer.analyze({ code, expectedResults: {} })).findings.filter((f) => f.rule === "undefined-name").map((f) => [f.line, f.message.split(":")[0]]);

describe("undefined-name", () => {
  it.each([
    ["caput never imported", 'caput("SR:MAG:QF1:CURRENT_SP", 1)\n', [[1, 'undefined name "caput"']]],
    ["a device object never defined", 'device.write_attribute("Current", 1)\n', [[1, 'undefined name "device"']]],
    ["a connector never defined", 'connector.write_channel("X:Y", 1)\n', [[1, 'undefined name "connector"']]],
    ["a name defined only inside another function", "def a():\n    local = 1\ndef b():\n    return local\n", [[4, 'undefined name "local"']]],
    ["a class attribute used in a method without self", "class A:\n    gain = 2\n    def f(self):\n        return gain\n", [[4, 'undefined name "gain"']]],
    ["a typo in a loop", "total = 0\nfor v in [1, 2]:\n    total += v\nprint(totl)\n", [[4, 'undefined name "totl"']]],
    ["an import inside a function used outside", "def f():\n    import numpy as np\nx = np.zeros(3)\n", [[3, 'undefined name "np"']]],
  ])("reports %s, with the line", async (_name, code, expected) => {
    expect(await undefinedIn(code)).toEqual(expected);
  });

  it.each([
    ["builtins", "print(len([1]), sorted({1}), ValueError, __name__, __file__)\n"],
    ["the names the harness provides", "v = read_channel('A')\nwrite_channel('B', v)\nwrite_channels({'C': 1})\nprint(context.beam)\n"],
    ["late-bound globals", "def f():\n    return LIMIT * 2\nLIMIT = 3\nresults = {'x': f()}\n"],
    ["global statements", "def init():\n    global counter\n    counter = 0\ninit()\nprint(counter)\n"],
    ["nonlocal and closures", "def outer():\n    n = 0\n    def inc():\n        nonlocal n\n        n += 1\n        return n\n    return inc\n"],
    ["class attributes in the class body", "class A:\n    gain = 2\n    doubled = gain * 2\n    def f(self):\n        return self.gain\n"],
    ["comprehension variables and walrus", "xs = [y * 2 for y in range(3) if y]\nd = {k: v for k, v in zip('ab', xs)}\nif (n := len(xs)) > 1:\n    print(n)\n"],
    ["lambda and parameters with defaults, *args, **kwargs", "f = lambda a, *b, c=1, **d: (a, b, c, d)\ndef g(x, y: int = 2, *rest: int, **kw) -> int:\n    return x + y + len(rest) + len(kw)\n"],
    ["try/except ImportError fallbacks", "try:\n    from epics import caget\nexcept ImportError:\n    caget = None\ntry:\n    import numpy as np\nexcept ImportError as err:\n    print(err)\n    np = None\n"],
    ["with, except and match captures", "with open('f') as fh:\n    data = fh.read()\ntry:\n    pass\nexcept OSError as e:\n    print(e)\nmatch data:\n    case [first, *rest]:\n        print(first, rest)\n    case {'k': val}:\n        print(val)\n"],
    ["star imports (unknown names)", "from epics import *\ncaput('X', 1)\n"],
    ["code that creates names at run time", "exec('x = 1')\nprint(x)\n"],
    ["decorators, keyword arguments and attribute names", "import functools\n@functools.lru_cache(maxsize=2)\ndef f(n):\n    return n\nprint(f(n=1).real)\n"],
    ["annotations", "from __future__ import annotations\ndef f(x: Undefined) -> AlsoUndefined:\n    return x\n"],
  ])("does not report %s", async (_name, code) => {
    expect(await undefinedIn(code)).toEqual([]);
  });

  it("blocks the analysis and tells the generator what to import, before any execution", async () => {
    const r = await analyzer.analyze({ code: 'caput("SR:MAG:QF1:CURRENT_SP", 1)\nresults = {}\n', expectedResults: {} });
    expect(r.passed).toBe(false);
    expect(formatFeedback(r)).toContain('line 1: [undefined-name] undefined name "caput": it is never imported, defined or assigned, so the code would fail with NameError (missing `from epics import caput`?)');
  });

  it("is not reported on code with syntax errors (the syntax error comes first)", async () => {
    const r = await analyzer.analyze({ code: "def f(:\n    return missing\n", expectedResults: {} });
    expect(r.findings.map((f) => f.rule)).not.toContain("undefined-name");
  });

  it("can be relaxed in analysis.rules like the other rules", async () => {
    const relaxed = createAnalyzer({ analysis: { rules: { "undefined-name": "warn" } } });
    const r = await relaxed.analyze({ code: "print(nope)\nresults = {}\n", expectedResults: {} });
    expect(r.passed).toBe(true);
    expect(r.findings).toEqual([expect.objectContaining({ rule: "undefined-name", level: "warn", line: 1 })]);
  });
});
