import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** What is written to `prompt.json` in the attempt folder. */
export interface PromptRecord {
  runId: string;
  attempt: number;
  model: string;
  baseUrl: string;
  temperature: number;
  /** `max_tokens` of each request made (a cut-off reply doubles it once). */
  maxTokens: number[];
  messages: { role: "system" | "user"; content: string }[];
  at: string;
}

/**
 * Saves the prompt as JSON and the raw reply as markdown (`prompt.json`, `reply.md`) so a human
 * can see exactly what the model was told and answered.
 */
export async function savePromptRecord(dir: string, record: PromptRecord, reply: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await Promise.all([
    writeFile(join(dir, "prompt.json"), `${JSON.stringify(record, null, 2)}\n`, "utf8"),
    writeFile(join(dir, "reply.md"), reply, "utf8"),
  ]);
}
