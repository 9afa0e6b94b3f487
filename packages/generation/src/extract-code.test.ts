import { isPyfleetError, PyfleetError } from "@pyfleet/core";
import { describe, expect, it } from "vitest";
import { extractCode } from "./extract-code.js";

const F = "```";

describe("extractCode", () => {
  const table: { name: string; reply: string; code: string; source: "fenced" | "plain"; blocks: number }[] = [
    {
      name: "single python block, prose stripped",
      reply: `Here is the code:\n\n${F}python\nimport math\nresults = {"x": math.pi}\n${F}\n\nIt computes pi.`,
      code: 'import math\nresults = {"x": math.pi}\n',
      source: "fenced",
      blocks: 1,
    },
    {
      name: "py label",
      reply: `${F}py\nresults = {}\n${F}`,
      code: "results = {}\n",
      source: "fenced",
      blocks: 1,
    },
    {
      name: "several python blocks joined in order, other languages ignored",
      reply: `First imports:\n${F}python\nimport numpy as np\n${F}\nRun this:\n${F}bash\npip install numpy\n${F}\nThen:\n${F}Python\nresults = {"m": float(np.mean([1, 2]))}\n${F}`,
      code: 'import numpy as np\n\nresults = {"m": float(np.mean([1, 2]))}\n',
      source: "fenced",
      blocks: 2,
    },
    {
      name: "unlabelled block",
      reply: `Sure.\n${F}\nresults = {"a": 1}\n${F}`,
      code: 'results = {"a": 1}\n',
      source: "fenced",
      blocks: 1,
    },
    {
      name: "labelled python wins over unlabelled output blocks",
      reply: `${F}python\nprint(1)\nresults = {}\n${F}\nOutput:\n${F}\n1\n${F}`,
      code: "print(1)\nresults = {}\n",
      source: "fenced",
      blocks: 1,
    },
    {
      name: "backticks inside a one-line string",
      reply: `${F}python\nfence = "${F}"\nresults = {"fence": fence}\n${F}`,
      code: `fence = "${F}"\nresults = {"fence": fence}\n`,
      source: "fenced",
      blocks: 1,
    },
    {
      name: "a fence line inside a triple-quoted string does not close the block",
      reply: `${F}python\ndoc = """\n${F}python\nx = 1\n${F}\n"""\nresults = {"doc": doc}\n${F}\nDone.`,
      code: `doc = """\n${F}python\nx = 1\n${F}\n"""\nresults = {"doc": doc}\n`,
      source: "fenced",
      blocks: 1,
    },
    {
      name: "quotes in comments do not open strings",
      reply: `${F}python\n# don't worry """\nresults = {}\n${F}\ntrailing prose`,
      code: `# don't worry """\nresults = {}\n`,
      source: "fenced",
      blocks: 1,
    },
    {
      name: "longer fence holds a shorter one",
      reply: `${"`".repeat(4)}python\ns = 1\n${F}\nresults = {}\n${"`".repeat(4)}`,
      code: `s = 1\n${F}\nresults = {}\n`,
      source: "fenced",
      blocks: 1,
    },
    {
      name: "tilde fence and CRLF line ends",
      reply: "~~~python\r\nresults = {}\r\n~~~\r\n",
      code: "results = {}\n",
      source: "fenced",
      blocks: 1,
    },
    {
      name: "unclosed block runs to the end",
      reply: `${F}python\nresults = {"a": 1}\n`,
      code: 'results = {"a": 1}\n',
      source: "fenced",
      blocks: 1,
    },
    {
      name: "plain code without fences (every top-level line is a statement)",
      reply: 'import numpy as np\n\ndef f(x):\n    return x * 2\n\ndata = [\n  1,\n  2,\n]\nresults = {"y": f(3)}\nprint(results)\n',
      code: 'import numpy as np\n\ndef f(x):\n    return x * 2\n\ndata = [\n  1,\n  2,\n]\nresults = {"y": f(3)}\nprint(results)\n',
      source: "plain",
      blocks: 0,
    },
  ];

  for (const row of table) {
    it(row.name, () => {
      const out = extractCode(row.reply);
      expect(out.code).toBe(row.code);
      expect(out.source).toBe(row.source);
      expect(out.blocks).toBe(row.blocks);
    });
  }

  const none: { name: string; reply: string }[] = [
    { name: "prose only", reply: "I cannot access the accelerator, sorry." },
    { name: "plain code with one prose line", reply: "Here is the code\nimport os\nresults = {}" },
    { name: "only non-python blocks", reply: `${F}bash\nls\n${F}\n${F}json\n{}\n${F}` },
    { name: "empty python block", reply: `${F}python\n\n${F}` },
    { name: "empty reply", reply: "" },
  ];
  for (const row of none) {
    it(`no code: ${row.name} → NO_CODE_IN_REPLY with an excerpt`, () => {
      let caught: unknown;
      try {
        extractCode(row.reply);
      } catch (err) {
        caught = err;
      }
      expect(isPyfleetError(caught)).toBe(true);
      const e = caught as PyfleetError;
      expect(e.code).toBe("NO_CODE_IN_REPLY");
      expect(e.category).toBe("code");
      expect(e.details?.excerpt).toBe(row.reply);
      // the message is what reaches the model as feedback, so it quotes the reply too
      expect(e.message).toContain(row.reply.trim() ? `the reply began: "${row.reply.trim().slice(0, 30)}` : "the reply was empty");
    });
  }

  it("cuts the excerpt of a long reply", () => {
    const reply = "word ".repeat(1000);
    expect(() => extractCode(reply)).toThrow(PyfleetError);
    try {
      extractCode(reply);
    } catch (err) {
      const excerpt = (err as PyfleetError).details?.excerpt as string;
      expect(excerpt.length).toBeLessThan(700);
      expect(excerpt.startsWith("word word")).toBe(true);
      expect((err as PyfleetError).details?.replyChars).toBe(5000);
    }
  });
});
