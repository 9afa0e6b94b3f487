import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, PROJECT_ROOT, type PyfleetConfig } from "@pyfleet/core";

/** The repository's config.yml (the documented defaults). */
export const REPO_CONFIG = join(PROJECT_ROOT, "config.yml");

/** Environment of a test fleet: its own Redis prefix and artifact folder, the local backend. */
export function testEnv(prefix: string, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  return {
    ...env,
    REDIS_URL: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
    PYFLEET_PREFIX: prefix,
    PYFLEET_ARTIFACTS: mkdtempSync(join(tmpdir(), "pyfleet-artifacts-")),
    PYFLEET_EXECUTION_METHOD: "local",
    PYFLEET_LOG_LEVEL: "warn",
    PYFLEET_CONFIG: REPO_CONFIG,
    // Test producers run without tokens unless a test configures some (producer.allow_anonymous).
    PYFLEET_ALLOW_ANONYMOUS: "true",
    // Channel Access stays on loopback: without an IOC fixture (its env in `extra`) searches go
    // to a port nobody serves, never to the network's broadcast address
    EPICS_CA_AUTO_ADDR_LIST: "NO",
    EPICS_CA_ADDR_LIST: "127.0.0.1:1",
    ...extra,
  };
}

/** Loads config.yml against a test environment (fast retries so failure paths stay quick). */
export function testConfig(env: Record<string, string>): PyfleetConfig {
  const config = structuredClone(loadConfig({ file: REPO_CONFIG, env, onWarning: () => {} }));
  for (const q of [config.queues.generate, config.queues.analyze, config.queues.execute_read_only, config.queues.execute_write_access]) {
    q.backoff_ms = 50;
  }
  config.queues.drain_seconds = 10;
  // an unreachable PV (no IOC in the test) costs the write manifest's dry run 1 s, not 5
  config.control_system.write_connection_timeout_seconds = 1;
  return config;
}
