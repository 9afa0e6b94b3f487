import type { CodeGenerator, GeneratedCode, GenerateInput } from "@pyfleet/core";

/**
 * Builds the real generator on first use, so a fleet without an LLM configured still serves
 * provided-code runs; a `--task` run then fails with the generator's `LLM_CONFIG` error.
 */
export class LazyGenerator implements CodeGenerator {
  private inner: CodeGenerator | null = null;

  constructor(private readonly make: () => CodeGenerator) {}

  generate(input: GenerateInput): Promise<GeneratedCode> {
    this.inner ??= this.make();
    return this.inner.generate(input);
  }
}
