import { PyfleetClient } from "./client.js";

/** Producer URL and token from flags or the environment (`PYFLEET_URL`, `PYFLEET_TOKEN`). */
export function clientFrom(flags: { url?: string | undefined; token?: string | undefined }, env: NodeJS.ProcessEnv): PyfleetClient {
  return new PyfleetClient({ ...(flags.url ? { url: flags.url } : {}), ...(flags.token ? { token: flags.token } : {}) }, env);
}
