/** The limits every hostile backend runs with: small enough that bombs end quickly. */
export const HOSTILE_LIMITS: {
  local: { memory_limit_mb: number; env_allowlist: string[] };
  sandbox: { max_processes: number; max_file_mb: number; tmp_mb: number; work_mb: number };
  maxStdoutBytes: number;
  maxResultBytes: number;
} = {
  local: { memory_limit_mb: 512, env_allowlist: ["PATH", "LANG", "OPENAI_API_KEY"] },
  sandbox: { max_processes: 48, max_file_mb: 16, tmp_mb: 64, work_mb: 64 },
  maxStdoutBytes: 256 * 1024,
  maxResultBytes: 4 * 1024 * 1024,
};
