import { readFileSync } from "node:fs";
import { basename, resolve } from "node:path";
import { parseArgs } from "node:util";
import { clientFrom, type RunDetails } from "@pyfleet/client";
import { EXECUTION_METHODS, type ExecutionMethod, isTerminalStatus, type PythonExecutionRequestInput } from "@pyfleet/core";
import { type Command, UsageError } from "../command.js";
import { ProgressLine } from "./progress.js";
import { eventLine, runSummary } from "./run-format.js";

const command: Command = {
  name: ["submit"],
  summary: "Submit a run (provided code or a task for the generator); optionally wait for it or follow its events.",
  usage:
    "pyfleet submit (--code FILE | --task TEXT) [--expected KEY=TYPE ...] [--context FILE.json] [--method container|local|docker] [--thread ID] [--dry-run] [--retries N] [--wait] [--follow] [--json] [--url URL] [--token TOKEN]\n" +
    "  --retries N: regenerations allowed after a failure (default: the fleet's budgets for a task, 0 for --code)",
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: {
        code: { type: "string" },
        task: { type: "string" },
        expected: { type: "string", multiple: true },
        context: { type: "string" },
        method: { type: "string" },
        thread: { type: "string" },
        "dry-run": { type: "boolean" },
        retries: { type: "string" },
        wait: { type: "boolean" },
        follow: { type: "boolean" },
        json: { type: "boolean" },
        url: { type: "string" },
        token: { type: "string" },
      },
    });
    if (!values.code === !values.task) throw new UsageError("give exactly one of --code FILE or --task TEXT");
    if (values.method && !(EXECUTION_METHODS as readonly string[]).includes(values.method)) {
      throw new UsageError(`--method must be one of ${EXECUTION_METHODS.join(", ")}`);
    }
    const request = buildRequest(values, io.cwd);
    const client = clientFrom(values, io.env);
    const run = await client.submit(request, values.method ? { executionMethod: values.method as ExecutionMethod } : {});
    if (!values.wait && !values.follow) {
      io.out(values.json ? JSON.stringify(run) : `submitted run ${run.runId} (thread ${run.threadId}): ${run.status}`);
      return 0;
    }
    if (!values.json) io.out(`submitted run ${run.runId}`);
    const progress = values.follow || values.json ? null : new ProgressLine(process.stdout, io.out);
    try {
      for await (const e of client.events(run.runId)) {
        if (values.follow && !values.json) io.out(eventLine(e));
        progress?.update(e);
        if (e.type === "status" && (e.data as { status?: string }).status === "awaiting_approval") break;
      }
    } finally {
      progress?.stop();
    }
    const final: RunDetails = await client.get(run.runId);
    if (values.json) io.out(JSON.stringify(final, null, 2));
    else for (const l of runSummary(final, client.baseUrl)) io.out(l);
    return final.status === "completed" || (final.status === "awaiting_approval" && !isTerminalStatus(final.status)) ? 0 : 1;
  },
};
export default command;

function buildRequest(
  v: { code?: string; task?: string; expected?: string[]; context?: string; thread?: string; "dry-run"?: boolean; retries?: string },
  cwd: string,
): PythonExecutionRequestInput {
  const expected: Record<string, string> = {};
  for (const pair of v.expected ?? []) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new UsageError(`--expected wants KEY=TYPE, got "${pair}"`);
    expected[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  let context: Record<string, unknown> | undefined;
  if (v.context) {
    try {
      context = JSON.parse(readFileSync(resolve(cwd, v.context), "utf8")) as Record<string, unknown>;
    } catch (err) {
      throw new UsageError(`--context ${v.context}: ${(err as Error).message}`);
    }
  }
  let code: string | undefined;
  if (v.code) {
    try {
      code = readFileSync(resolve(cwd, v.code), "utf8");
    } catch (err) {
      throw new UsageError(`--code ${v.code}: ${(err as Error).message}`);
    }
  }
  const task = v.task ?? `run ${basename(v.code ?? "code")}`;
  let retries: number | undefined;
  if (v.retries !== undefined) {
    retries = Number(v.retries);
    if (!Number.isInteger(retries) || retries < 0 || retries > 20) throw new UsageError("--retries must be a whole number from 0 to 20");
  }
  return {
    user_query: task,
    task_objective: task,
    expected_results: expected,
    ...(code !== undefined ? { code } : {}),
    ...(context ? { capability_context_data: context } : {}),
    ...(v.thread ? { thread_id: v.thread } : {}),
    ...(v["dry-run"] ? { dry_run: true } : {}),
    ...(retries !== undefined ? { retries } : {}),
  };
}
