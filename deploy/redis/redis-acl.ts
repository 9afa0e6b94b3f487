/**
 * Writes the Redis ACL file of a fleet: one user per role (producer, worker, executor-write,
 * approver), passwords from the environment, the default user off.
 *
 *   REDIS_PRODUCER_PASSWORD=… REDIS_WORKER_PASSWORD=… REDIS_EXECUTOR_WRITE_PASSWORD=… \
 *   REDIS_APPROVER_PASSWORD=… npx tsx deploy/redis/redis-acl.ts [--prefix pyfleet] > deploy/redis/users.acl
 *
 * Each service then connects as its role: REDIS_URL=redis://<role>:<password>@redis:6379.
 */
import { REDIS_ROLES, type RedisRole, redisAclFile } from "@pyfleet/fleet";

const i = process.argv.indexOf("--prefix");
const prefix = i >= 0 ? (process.argv[i + 1] ?? "") : (process.env.PYFLEET_PREFIX ?? "pyfleet");
const variable = (role: RedisRole) => `REDIS_${role.toUpperCase().replace(/-/g, "_")}_PASSWORD`;
const missing = REDIS_ROLES.filter((r) => (process.env[variable(r)] ?? "").length < 16);
if (!prefix || missing.length > 0) {
  process.stderr.write(`set ${missing.map(variable).join(", ")} (16+ characters each) and a prefix (--prefix or PYFLEET_PREFIX)\n`);
  process.exit(2);
}
process.stdout.write(redisAclFile(prefix, Object.fromEntries(REDIS_ROLES.map((r) => [r, process.env[variable(r)] as string])) as Record<RedisRole, string>));
