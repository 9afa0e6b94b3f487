import { UsageError } from "./command.js";

/** Where the approver is and who we are: `--url`/PYFLEET_APPROVER_URL, `--token`/PYFLEET_TOKEN. */
export interface ApproverTarget {
  url: string;
  token: string;
}

/** Reads the approver URL and token from flags or env. */
export function approverTarget(flags: { url?: string; token?: string }, env: NodeJS.ProcessEnv): ApproverTarget {
  const url = flags.url ?? env.PYFLEET_APPROVER_URL ?? "http://127.0.0.1:8081";
  const token = flags.token ?? env.PYFLEET_TOKEN ?? env.PYFLEET_DEV_TOKEN;
  if (!token) throw new UsageError("no token: pass --token or set PYFLEET_TOKEN (pyfleet dev prints its dev token)");
  return { url: url.replace(/\/$/, ""), token };
}

/** Calls the approver API; throws an Error with the server's sentence on a non-2xx answer. */
export async function approverCall<T>(t: ApproverTarget, method: string, path: string, body?: unknown): Promise<T> {
  let r: Response;
  try {
    r = await fetch(t.url + path, {
      method,
      headers: { authorization: `Bearer ${t.token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (err) {
    throw new Error(`cannot reach the approver at ${t.url}: ${(err as Error).message}`);
  }
  const json = (await r.json().catch(() => ({}))) as { error?: { code: string; message: string } };
  if (!r.ok) throw new Error(`${r.status} ${json.error?.code ?? ""}: ${json.error?.message ?? r.statusText}`);
  return json as T;
}
