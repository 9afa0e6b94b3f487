/**
 * Rule 5 of the system prompt: what the code must not do. Built from the analyzer's security
 * rule ids (`analysis.rules` in config.yml) so the prompt never forbids what the deployment
 * allows, nor allows what analysis would block.
 */
const FORBIDDEN: { rule: string; text: string }[] = [
  { rule: "network", text: "no network access (sockets, requests, urllib, http)" },
  { rule: "process-spawn", text: "no subprocesses or shell (os.system, subprocess, os.popen, os.exec*)" },
  { rule: "dynamic-code", text: "no eval/exec/compile/__import__" },
  { rule: "native-code", text: "no ctypes or cffi" },
  { rule: "env-secrets", text: "no reading of os.environ or os.getenv" },
  { rule: "file-write-outside", text: "no file writes outside the current working folder" },
];

/**
 * @param levels `analysis.rules` overrides (rule id → block | warn | allow); only `allow`
 *   lifts a restriction.
 */
export function sandboxRule(levels: Readonly<Record<string, string>> = {}): string {
  const forbidden = FORBIDDEN.filter((f) => levels[f.rule] !== "allow").map((f) => f.text);
  const allowed = FORBIDDEN.filter((f) => levels[f.rule] === "allow").map((f) => f.text.replace(/^no /, ""));
  const first = forbidden.length > 0 ? `${capitalise(forbidden.join("; "))}.` : "";
  const second = allowed.length > 0 ? `Allowed in this deployment when the task needs it: ${allowed.join("; ")}.` : "";
  return [first, second].filter(Boolean).join(" ");
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
