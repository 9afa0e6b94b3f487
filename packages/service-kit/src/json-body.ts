import { isUtf8 } from "node:buffer";
import { type FieldIssue, PyfleetError } from "@pyfleet/core";
import type { FastifyInstance } from "fastify";

/** U+FFFD, what a lenient UTF-8 decoder puts where bytes were invalid. */
const REPLACEMENT = "\ufffd";
/** U+FFFD as UTF-8 bytes: a body holding them literally sent the character itself. */
const REPLACEMENT_BYTES = Buffer.from(REPLACEMENT, "utf8");

/**
 * The fields of a body that is not valid UTF-8. The body is decoded leniently (invalid bytes
 * become U+FFFD) and parsed; the strings holding U+FFFD are the fields the bad bytes were in.
 * A body that also holds U+FFFD literally may name one innocent field besides the guilty one:
 * acceptable for an error message, and such bodies are rare. A bad byte in an object key
 * names the object; one that breaks the JSON names `(body)`.
 */
export function invalidUtf8Fields(body: Buffer): FieldIssue[] {
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString("utf8"));
  } catch {
    return [{ path: "(body)", message: "is not valid UTF-8 (and not valid JSON once decoded)" }];
  }
  const paths = new Set<string>();
  const walk = (v: unknown, path: string[]): void => {
    if (typeof v === "string") {
      if (v.includes(REPLACEMENT)) paths.add(path.join(".") || "(body)");
    } else if (Array.isArray(v)) {
      for (const [i, x] of v.entries()) walk(x, [...path, String(i)]);
    } else if (v !== null && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) {
        if (k.includes(REPLACEMENT)) paths.add(path.join(".") || "(body)");
        else walk(x, [...path, k]);
      }
    }
  };
  try {
    walk(doc, []);
  } catch {
    // Nested past the stack: the schema's depth limit would refuse it anyway.
    paths.clear();
  }
  if (paths.size === 0) paths.add("(body)");
  const literal = body.includes(REPLACEMENT_BYTES) ? " (or holds U+FFFD)" : "";
  return [...paths].map((path) => ({ path, message: `holds bytes that are not valid UTF-8${literal}: send the text UTF-8 encoded` }));
}

/**
 * Replaces Fastify's JSON body parser with one that refuses bodies that are not valid UTF-8
 * with a 400 naming the field, instead of decoding them with U+FFFD in place of the bad bytes
 * (a decision reason full of U+FFFD was once signed and stored). Parsing itself stays Fastify's
 * (prototype-poisoning protection, its empty-body and bad-JSON errors).
 */
export function strictUtf8Json(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, (req, body, done) => {
    const raw = body as Buffer;
    if (!isUtf8(raw)) {
      const issues = invalidUtf8Fields(raw);
      done(new PyfleetError("VALIDATION_FAILED", `request body is not valid UTF-8 in ${issues.map((i) => i.path).join(", ")}`, { issues }), undefined);
      return;
    }
    parse(req, raw.toString("utf8"), done);
  });
}
