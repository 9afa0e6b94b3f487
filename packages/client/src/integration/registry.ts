import { PyfleetError } from "@pyfleet/core";
import { PyfleetClient } from "../client.js";
import { PythonExecutorService } from "./service.js";

/** Where the registry's services find the fleet (defaults come from the environment). */
export interface RegistryOptions {
  /** Producer URL; default `PYFLEET_URL` or http://127.0.0.1:8080. */
  url?: string;
  /** Producer token; default `PYFLEET_TOKEN`. */
  token?: string;
  /** Approver API (to pass on answers given in the conversation); default `PYFLEET_APPROVER_URL` / `PYFLEET_APPROVER_TOKEN`. */
  approverUrl?: string;
  approverToken?: string;
  waitTimeoutMs?: number;
}

/**
 * The original framework's service registry, reduced to what callers of the Python executor
 * use: `getRegistry().getService("python_executor")`.
 */
export class ServiceRegistry {
  private readonly services = new Map<string, unknown>();

  constructor(private readonly options: RegistryOptions = {}) {}

  /** @throws PyfleetError `NOT_FOUND` for an unknown service name. */
  getService(name: "python_executor"): PythonExecutorService;
  getService(name: string): unknown;
  getService(name: string): unknown {
    const have = this.services.get(name);
    if (have) return have;
    if (name !== "python_executor") throw new PyfleetError("NOT_FOUND", `no service named ${name} (known: python_executor)`);
    const env = process.env;
    const o = this.options;
    const client = new PyfleetClient({ ...(o.url ? { url: o.url } : {}), ...(o.token ? { token: o.token } : {}) }, env);
    const approverUrl = o.approverUrl ?? env.PYFLEET_APPROVER_URL;
    const approverToken = o.approverToken ?? env.PYFLEET_APPROVER_TOKEN;
    const service = new PythonExecutorService({
      client,
      ...(approverUrl && approverToken ? { approver: { baseUrl: approverUrl, token: approverToken } } : {}),
      ...(o.waitTimeoutMs ? { waitTimeoutMs: o.waitTimeoutMs } : {}),
    });
    this.services.set(name, service);
    return service;
  }

  /** Registers (or replaces) a service instance. */
  registerService(name: string, service: unknown): void {
    this.services.set(name, service);
  }
}

let current: ServiceRegistry | null = null;

/**
 * The process's registry (created on first use from the environment, as in the original).
 * Pass options to replace it, e.g. in tests or to point at another fleet.
 */
export function getRegistry(options?: RegistryOptions): ServiceRegistry {
  if (options || !current) current = new ServiceRegistry(options);
  return current;
}
