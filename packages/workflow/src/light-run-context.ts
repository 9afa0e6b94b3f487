/**
 * @langchain/core runs every runnable call (each graph node, each channel write, each route)
 * inside `AsyncLocalStorageProviderSingleton.runWithConfig`, which builds a langsmith `RunTree`
 * as the async-local store even when nothing traces: `tracingEnabled: false`, but the
 * constructor still draws three UUIDv7s from `crypto.getRandomValues` and reads the LangSmith
 * environment. That was 8 % of the pipeline's CPU (V8 profile, provided-code runs on Redis,
 * fake ports); no config, env or node option avoids it (`trace: false` nodes still call it).
 *
 * The store's only reader when nothing traces is `getRunnableConfig()` (LangGraph's `interrupt`,
 * `getConfig`), which reads `store.extra[lc:child_config]`, and the context variables, which are
 * carried as before. So when the call has no LangChain tracer, the store becomes a plain object
 * with exactly those two fields; with a tracer (LangSmith configured, or a tracer handler passed
 * in `callbacks`) the original runs unchanged.
 */
import { CallbackManager } from "@langchain/core/callbacks/manager";
import { _CONTEXT_VARIABLES_KEY, AsyncLocalStorageProviderSingleton } from "@langchain/core/singletons";

/** The key `runWithConfig` stores the runnable's config under (`Symbol.for`, so shared with @langchain/core). */
const LC_CHILD_KEY = Symbol.for("lc:child_config");
const INSTALLED = Symbol.for("pyfleet:light-run-context");

type Provider = typeof AsyncLocalStorageProviderSingleton & { [INSTALLED]?: true };
type RunWithConfig = Provider["runWithConfig"];

/** Whether the callbacks of `config` include the LangChain tracer (the only handler that reads the run tree). */
function hasTracer(config: { callbacks?: unknown; tags?: string[]; metadata?: Record<string, unknown> } | undefined): boolean {
  const manager = CallbackManager._configureSync(config?.callbacks as never, undefined, config?.tags, undefined, config?.metadata);
  return manager?.handlers.some((handler) => handler.name === "langchain_tracer") ?? false;
}

/** Whether LangChain tracing is configured for this process (LangSmith's environment): then every runnable call is traced. */
export function tracerConfigured(): boolean {
  return hasTracer(undefined);
}

/**
 * Makes `runWithConfig` skip the `RunTree` when no LangChain tracer is configured (see the file
 * comment). Idempotent and process-wide: the provider is a process singleton of @langchain/core.
 */
export function installLightRunContext(): void {
  const provider = AsyncLocalStorageProviderSingleton as Provider;
  if (provider[INSTALLED]) return;
  const original: RunWithConfig = provider.runWithConfig.bind(provider);
  const light: RunWithConfig = (config, callback, avoidCreatingRootRunTree) => {
    if (avoidCreatingRootRunTree || hasTracer(config)) return original(config, callback, avoidCreatingRootRunTree);
    const storage = provider.getInstance();
    const previous: Record<symbol, unknown> | undefined = storage.getStore();
    const store: Record<symbol | string, unknown> = { extra: { [LC_CHILD_KEY]: config } };
    if (previous?.[_CONTEXT_VARIABLES_KEY] !== undefined) store[_CONTEXT_VARIABLES_KEY] = previous[_CONTEXT_VARIABLES_KEY];
    return storage.run(store, callback);
  };
  provider.runWithConfig = light;
  provider[INSTALLED] = true;
}
