// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the fuzzer writes literal ${VAR} forms into config values
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { PyfleetError } from "../errors.js";
import { loadConfigFromString } from "./load.js";

/**
 * Property: whatever a seeded random mutation does to the repository's config.yml (wrong types,
 * unknown keys, bad enum values, deleted sections, every `${VAR}` form), `loadConfigFromString`
 * either returns a config or throws `CONFIG_INVALID` whose issues all name a `framework.` path and
 * say something. Any other exception is a loader bug.
 */

const REPO_CONFIG = fileURLToPath(new URL("../../../../config.yml", import.meta.url));
const BASE = parse(readFileSync(REPO_CONFIG, "utf8")) as { framework: Record<string, unknown> };
const SEED = 0x5eed_c0f1;
const CASES = 200;

type Path = (string | number)[];
type Rng = () => number;

/** mulberry32: a small, fast, reproducible PRNG. */
function prng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)] as T;
const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Every path below `framework` (mappings, lists and leaves). */
function paths(value: unknown, at: Path = []): Path[] {
  const out: Path[] = at.length > 0 ? [at] : [];
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      out.push(...paths(v, [...at, i]));
    });
  } else if (isMapping(value)) for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...at, k]));
  return out;
}

function parentOf(root: Record<string, unknown>, path: Path): { parent: Record<string | number, unknown>; key: string | number } | null {
  let node: unknown = root;
  for (const seg of path.slice(0, -1)) {
    if (!isMapping(node) && !Array.isArray(node)) return null;
    node = (node as Record<string | number, unknown>)[seg];
  }
  if (!isMapping(node) && !Array.isArray(node)) return null;
  return { parent: node as Record<string | number, unknown>, key: path[path.length - 1] as string | number };
}

const VAR_FORMS = [
  "${PYFLEET_FUZZ_SET}",
  "${PYFLEET_FUZZ_EMPTY}",
  "${PYFLEET_FUZZ_UNSET}",
  "${PYFLEET_FUZZ_UNSET:-fallback}",
  "${PYFLEET_FUZZ_UNSET:-}",
  "${PYFLEET_FUZZ_EMPTY:-8080}",
  "${PYFLEET_FUZZ_NUM:-x}",
  "${PYFLEET_FUZZ_TRUE}",
  "$${PYFLEET_FUZZ_SET}",
  "${",
  "${}",
  "${ }",
  "${1BAD}",
  "${A-B}",
  "${PYFLEET_FUZZ_UNSET:-${PYFLEET_FUZZ_SET}}",
  "pre-${PYFLEET_FUZZ_SET}-${PYFLEET_FUZZ_UNSET}-post",
  "${PYFLEET_FUZZ_SET}${PYFLEET_FUZZ_SET}",
  "$PYFLEET_FUZZ_SET",
  "}${",
];

const ENV = {
  PYFLEET_FUZZ_SET: "eighty",
  PYFLEET_FUZZ_EMPTY: "",
  PYFLEET_FUZZ_NUM: "8888",
  PYFLEET_FUZZ_TRUE: "true",
};

/** A value of a random kind: scalars at their edges, containers, strings of every shape. */
function randomValue(rng: Rng, depth = 0): unknown {
  const kinds = [
    () => 0,
    () => -1,
    () => 1.5,
    () => 2 ** 53 + 1,
    () => -1e308,
    () => Math.floor(rng() * 100_000),
    () => rng() < 0.5,
    () => null,
    () => "",
    () => " ",
    () => "x".repeat(Math.floor(rng() * 5000)),
    () => pick(rng, ["true", "no", "off", "0x10", "1e3", ".inf", "-.nan", "~", "null", "redis://", "http://x", "../../etc"]),
    () => pick(rng, VAR_FORMS),
    () => "\u0000\u202e\ud83d\ude00é",
    () => (depth > 2 ? [] : Array.from({ length: Math.floor(rng() * 3) }, () => randomValue(rng, depth + 1))),
    () => (depth > 2 ? {} : { [randomKey(rng)]: randomValue(rng, depth + 1) }),
  ];
  return pick(rng, kinds)();
}

function randomKey(rng: Rng): string {
  return pick(rng, ["extra", "api_key", "password", "token", "signing_keys", "Concurrency", "concurency", "0", "", "a.b", "__proto__", "constructor", "${X}", "émoji🙂"]);
}

type Mutation = (rng: Rng, fw: Record<string, unknown>) => string;

const MUTATIONS: Record<string, Mutation> = {
  wrongType(rng, fw) {
    const path = pick(rng, paths(fw));
    const at = parentOf(fw, path);
    if (at) at.parent[at.key] = randomValue(rng);
    return `set ${path.join(".")}`;
  },
  unknownKey(rng, fw) {
    const maps = [[], ...paths(fw)].filter((p) => {
      let node: unknown = fw;
      for (const s of p) node = (node as Record<string | number, unknown>)[s];
      return isMapping(node);
    });
    const path = pick(rng, maps);
    let node: unknown = fw;
    for (const s of path) node = (node as Record<string | number, unknown>)[s];
    const key = randomKey(rng);
    Object.defineProperty(node, key, { value: randomValue(rng), enumerable: true, configurable: true, writable: true });
    return `add ${[...path, key].join(".")}`;
  },
  badEnum(rng, fw) {
    const strings = paths(fw).filter((p) => {
      const at = parentOf(fw, p);
      return at !== null && typeof at.parent[at.key] === "string";
    });
    const path = pick(rng, strings);
    const at = parentOf(fw, path);
    if (at) at.parent[at.key] = pick(rng, ["kontainer", "LOCAL", "Local ", "sometimes", "read-only", "", "auto\n", "redis-stack2"]);
    return `enum ${path.join(".")}`;
  },
  deleteSection(rng, fw) {
    const path = pick(rng, paths(fw));
    const at = parentOf(fw, path);
    if (at && Array.isArray(at.parent)) at.parent.splice(at.key as number, 1);
    else if (at) delete at.parent[at.key];
    return `delete ${path.join(".")}`;
  },
  varForm(rng, fw) {
    const path = pick(rng, paths(fw));
    const at = parentOf(fw, path);
    if (at) at.parent[at.key] = pick(rng, VAR_FORMS);
    return `var ${path.join(".")}`;
  },
};

function mutate(seed: number): { text: string; steps: string[] } {
  const rng = prng(seed);
  const fw = structuredClone(BASE.framework);
  const steps: string[] = [];
  const count = 1 + Math.floor(rng() * 3);
  for (let i = 0; i < count; i++) {
    const name = pick(rng, Object.keys(MUTATIONS));
    steps.push((MUTATIONS[name] as Mutation)(rng, fw));
  }
  return { text: stringify({ framework: fw }), steps };
}

/** What one load did: accepted, or the issues of a CONFIG_INVALID. */
function load(text: string): { ok: true } | { ok: false; error: unknown } {
  try {
    loadConfigFromString(text, { env: ENV, onWarning: () => {} });
    return { ok: true };
  } catch (error) {
    return { ok: false, error };
  }
}

describe("config loader under random mutations", () => {
  it("loads the unmutated config.yml (the fuzzer starts from a valid file)", () => {
    expect(load(stringify(BASE))).toEqual({ ok: true });
  });

  it(`returns a config or a CONFIG_INVALID with framework.* issues for ${CASES} seeded mutations`, () => {
    const outcomes = { accepted: 0, rejected: 0 };
    for (let i = 0; i < CASES; i++) {
      const seed = SEED + i;
      const { text, steps } = mutate(seed);
      const r = load(text);
      if (r.ok) {
        outcomes.accepted++;
        continue;
      }
      outcomes.rejected++;
      const where = `seed ${seed} (${steps.join("; ")})`;
      expect(r.error, where).toBeInstanceOf(PyfleetError);
      const err = r.error as PyfleetError;
      expect(err.code, where).toBe("CONFIG_INVALID");
      expect(err.issues?.length, where).toBeGreaterThan(0);
      for (const issue of err.issues ?? []) {
        expect(issue.path, `${where}: ${issue.path}: ${issue.message}`).toMatch(/^framework\./);
        expect(issue.message.trim().length, `${where}: ${issue.path}`).toBeGreaterThan(0);
      }
    }
    // Both branches are exercised, or the property says nothing.
    expect(outcomes.accepted).toBeGreaterThan(10);
    expect(outcomes.rejected).toBeGreaterThan(CASES / 2);
  });

  it("is reproducible: the same seed gives the same file", () => {
    expect(mutate(SEED + 7).text).toBe(mutate(SEED + 7).text);
  });
});
