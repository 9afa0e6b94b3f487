/**
 * `generate`: asks the code generator for a new attempt. A code-category failure (the reply had
 * no usable code) is feedback: it adds an attempt WITHOUT code, so nothing downstream can pick
 * up the previous attempt's code again (the original re-analysed stale code here).
 */
import { type Attempt, codeHash, isPyfleetError } from "@pyfleet/core";
import { errorEntry } from "../error-chain.js";
import type { PipelineDeps } from "../pipeline-types.js";
import { emitDetached, emitEvent, ensureFolder, nodeLogger, type RunNode } from "./context.js";
import { failAttempt } from "./fail-attempt.js";

export function createGenerateNode(deps: PipelineDeps): RunNode {
  return async (state, config) => {
    const number = state.attempts.length + 1;
    const log = nodeLogger(deps, state, "generate", number);
    const folder = await ensureFolder(deps, state);
    const attemptDir = await deps.artifacts.attemptDir(folder, number);
    const source: Attempt["source"] = state.errorChain.length > 0 ? "regenerated-after-feedback" : "generated";
    try {
      const generated = await deps.generator.generate({
        runId: state.runId,
        request: state.request,
        attempt: number,
        errorChain: state.errorChain,
        attemptDir,
        onChunk: (text) =>
          emitDetached(deps, log, state, { type: "code_chunk", stage: "generate", attempt: number, data: { text } }),
        // A retried request streams the reply again: followers drop what they had so far.
        onRestart: () =>
          emitDetached(deps, log, state, { type: "code_chunk", stage: "generate", attempt: number, data: { text: "", restart: true } }),
        ...(config.signal ? { signal: config.signal } : {}),
      });
      const attempt: Attempt = {
        number,
        code: generated.code,
        codeHash: codeHash(generated.code),
        source,
        createdAt: deps.clock.now().toISOString(),
        ...(generated.usage ? { usage: generated.usage } : {}),
      };
      await emitEvent(deps, state, {
        type: "code",
        stage: "generate",
        attempt: number,
        data: { code: attempt.code, codeHash: attempt.codeHash, source },
      });
      log.info({ codeHash: attempt.codeHash, source }, "code generated");
      return {
        folderPath: folder.folderPath,
        attempts: [...state.attempts, attempt],
        needsApproval: false,
        approvalRequest: null,
        decision: null,
        route: "analyze",
      };
    } catch (err) {
      if (!isPyfleetError(err) || err.category !== "code") throw err;
      log.warn({ code: err.code, err: err.message }, "generation produced no usable code");
      const entry = errorEntry({ stage: "generate", category: "code", code: err.code, message: err.message, attempt: number, at: deps.clock.now() });
      // an attempt without code, so nothing downstream can pick up the previous attempt's code
      const empty: Attempt = { number, code: "", codeHash: "", source, createdAt: entry.at };
      return {
        folderPath: folder.folderPath,
        attempts: [...state.attempts, empty],
        needsApproval: false,
        approvalRequest: null,
        decision: null,
        ...(await failAttempt(deps, state, entry, { retry: "generation", what: "code generation" })),
      };
    }
  };
}
