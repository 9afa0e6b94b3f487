import type { CodeGenerator, GeneratedCode, GenerateInput } from "@pyfleet/core";

/**
 * Builds the real generator on first use, so processes that do not serve the generate stage
 * (producer, approver, analyze and execute workers) start without an LLM configured.
 */
export class LazyGenerator implements CodeGenerator {
  private inner: CodeGenerator | null = null;

  constructor(private readonly make: () => CodeGenerator) {}

  generate(input: GenerateInput): Promise<GeneratedCode> {
    this.inner ??= this.make();
    return this.inner.generate(input);
  }
}
