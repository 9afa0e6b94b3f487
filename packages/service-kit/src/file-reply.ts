import { realpath, stat } from "node:fs/promises";
import { isAbsolute, join, relative, sep } from "node:path";
import fastifyStatic from "@fastify/static";
import { PyfleetError } from "@pyfleet/core";
import type { FastifyInstance, FastifyReply } from "fastify";
import { z } from "zod";

/**
 * A file path relative to a served folder, as a route parameter: no NUL, no backslash, not
 * absolute, no `.` or `..` segment. A 400 naming `path` for anything else, before any disk access.
 */
export const RelativeFilePath = z
  .string()
  .min(1, "an empty path names no file")
  .refine((p) => !p.includes("\0") && !p.includes("\\"), "holds NUL or a backslash")
  .refine((p) => !p.startsWith("/") && p.split("/").every((s) => s !== ".." && s !== "."), "must be relative, without . or .. segments");

/** Lets replies stream files with @fastify/static (`reply.sendFile`); serves no route of its own. */
export function registerFileReplies(app: FastifyInstance): void {
  app.register(fastifyStatic, { serve: false, index: false });
}

/**
 * Streams `rel` from inside `root` (ranges, ETag, Last-Modified by @fastify/static, whose `send`
 * keeps the path inside the root). `send` follows symlinks, so one check stays ours: the real
 * path must still be inside the real root, or a symlink in a run folder would serve `/etc/shadow`.
 * `type` is the content type (the run folder's files are not all known to the mime table).
 * @throws PyfleetError `VALIDATION_FAILED` (path) when the file lies outside the root,
 *   `NOT_FOUND` when it is missing or not a regular file.
 */
export async function sendContainedFile(reply: FastifyReply, root: string, rel: string, type: string): Promise<FastifyReply> {
  const bad = (message: string) => new PyfleetError("VALIDATION_FAILED", `invalid file path: ${message}`, { issues: [{ path: "path", message }] });
  const checked = RelativeFilePath.safeParse(rel);
  if (!checked.success) throw bad(checked.error.issues[0]?.message ?? "invalid");
  const base = await realpath(root).catch(() => {
    throw new PyfleetError("NOT_FOUND", "the folder does not exist (yet)");
  });
  const real = await realpath(join(base, rel)).catch(() => {
    throw new PyfleetError("NOT_FOUND", `${rel} not found`);
  });
  const inside = relative(base, real);
  if (inside === "" || inside === ".." || inside.startsWith(`..${sep}`) || isAbsolute(inside)) throw bad("leaves the folder");
  if (!(await stat(real)).isFile()) throw new PyfleetError("NOT_FOUND", `${rel} is not a file`);
  reply.type(type);
  return reply.sendFile(inside, base, { contentType: false });
}
