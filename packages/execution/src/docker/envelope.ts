import { mkdir } from "node:fs/promises";
import { PyfleetError } from "@pyfleet/core";
import { z } from "zod";
import { RunFolderWriter } from "../artifacts/safe-write.js";
import { type HarnessReport, parseHarnessReport } from "../harness.js";

/** What the entry script writes after the marker (see pyfleet_docker_entry.py). */
const EnvelopeSchema = z.object({
  report: z.unknown(),
  files: z.array(z.object({ path: z.string(), data: z.string() })),
  files_skipped: z.number().int().min(0),
});

export interface SandboxResult {
  report: HarnessReport;
  files: Array<{ path: string; data: Buffer }>;
  filesSkipped: number;
}

/**
 * Parses the entry script's envelope.
 * @throws PyfleetError INTERNAL when it is not one.
 */
export function parseEnvelope(text: string): SandboxResult {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new PyfleetError("INTERNAL", "the sandbox result is not JSON", { cause: err });
  }
  const parsed = EnvelopeSchema.safeParse(raw);
  if (!parsed.success) throw new PyfleetError("INTERNAL", `the sandbox result is malformed: ${parsed.error.message}`);
  return {
    report: parseHarnessReport(parsed.data.report),
    files: parsed.data.files.map((f) => ({ path: f.path, data: Buffer.from(f.data, "base64") })),
    filesSkipped: parsed.data.files_skipped,
  };
}

/**
 * Writes the files the code left in the sandbox's work dir into `workDir` (the attempt folder),
 * as the local backend's code would have. Paths that would leave `workDir` are refused, never
 * followed. Returns warnings for what was not copied.
 */
export async function copyOut(workDir: string, result: SandboxResult, limitBytes: number): Promise<string[]> {
  const warnings: string[] = [];
  if (result.files.length > 0) {
    await mkdir(workDir, { recursive: true });
    const w = new RunFolderWriter(workDir);
    for (const f of result.files) {
      try {
        await w.write(f.path, f.data);
      } catch (err) {
        warnings.push(`file ${JSON.stringify(f.path)} written by the code was not copied out: ${(err as Error).message}`);
      }
    }
  }
  if (result.filesSkipped > 0) {
    warnings.push(`${result.filesSkipped} file(s) written by the code were not copied out (more than ${limitBytes} bytes in all)`);
  }
  return warnings;
}
