import { PyfleetClient } from "./client.js";

/** Producer URL and token from flags or the environment (`PYFLEET_URL`, `PYFLEET_TOKEN`). */
export function clientFrom(flags: { url?: string | undefined; token?: string | undefined }, env: NodeJS.ProcessEnv): PyfleetClient {
  const baseUrl = flags.url ?? env.PYFLEET_URL ?? "http://127.0.0.1:8080";
  const token = flags.token ?? env.PYFLEET_PRODUCER_TOKEN;
  return new PyfleetClient({ baseUrl, ...(token ? { token } : {}) });
}
