import { randomBytes } from "node:crypto";
import { mkdir, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { type Notebook, serializeNotebook } from "./nbformat.js";

/**
 * Writes a notebook atomically (temp file + rename), creating its folder. A reader never sees a
 * half-written notebook, which matters when a UI polls the folder while a run is going.
 */
export async function writeNotebook(path: string, nb: Notebook): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${randomBytes(4).toString("hex")}.tmp`;
  await writeFile(tmp, serializeNotebook(nb), "utf8");
  await rename(tmp, path);
}
