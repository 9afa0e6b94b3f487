import swagger from "@fastify/swagger";
import type { FastifyInstance } from "fastify";
import { createJsonSchemaTransform, createJsonSchemaTransformObject } from "fastify-type-provider-zod";
import { z } from "zod";

/** The shared error body (`errorBody`) as a schema, documented as component `Error`. */
export const ErrorSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    issues: z.array(z.object({ path: z.string(), message: z.string() })),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});

const STATUS_TEXT: Record<number, string> = {
  400: "bad request: the issues name each bad field",
  401: "no or unknown bearer token",
  403: "the token lacks the role",
  404: "no such resource (or not yours to see)",
  409: "conflicts with the current state",
  410: "expired",
  413: "body or field too large",
  415: "not application/json",
  503: "Redis is unreachable: retry",
};

/** Route `response` entries for error statuses, each the shared {@link ErrorSchema}. */
export function errorResponses(...statuses: number[]) {
  return Object.fromEntries(
    statuses.map((s) => [s, { description: STATUS_TEXT[s] ?? "error", content: { "application/json": { schema: ErrorSchema } } }]),
  );
}

export interface OpenApiOptions {
  title: string;
  description?: string;
  /** Named schemas, documented under `components.schemas` (use the same instances in the routes). */
  schemas: Record<string, z.ZodType>;
  /**
   * Names of {@link schemas} that are request bodies: documented in their input form under their
   * own name (fields with defaults optional), not as `<name>Input`.
   */
  inputs?: readonly string[];
}

type Json = Record<string, unknown>;
const REF = "#/components/schemas/";

/** Every `$ref` target name in `v`. */
function refsIn(v: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(v)) for (const x of v) refsIn(x, out);
  else if (v && typeof v === "object") {
    for (const [k, x] of Object.entries(v)) {
      if (k === "$ref" && typeof x === "string" && x.startsWith(REF)) out.add(x.slice(REF.length));
      else refsIn(x, out);
    }
  }
  return out;
}

/** `v` with `$ref`s to the components replaced by their content (schemas here are not recursive). */
function inlineRefs(v: unknown, schemas: Json, depth = 0): unknown {
  if (depth > 32) throw new Error("openapi: component schemas nest too deep to inline (a recursive schema?)");
  if (Array.isArray(v)) return v.map((x) => inlineRefs(x, schemas, depth));
  if (!v || typeof v !== "object") return v;
  const ref = (v as Json).$ref;
  if (typeof ref === "string" && ref.startsWith(REF)) return inlineRefs(schemas[ref.slice(REF.length)], schemas, depth + 1);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, inlineRefs(x, schemas, depth)]));
}

/**
 * Tidies the generated document: request schemas under their own names, only the components
 * that are named or referenced, each component self-contained (clients that check their models
 * against one component need not resolve references).
 */
function tidy(doc: Json, named: readonly string[], inputs: readonly string[]): Json {
  const components = doc.components as { schemas: Json };
  let text = JSON.stringify(doc.paths ?? {});
  for (const id of inputs) text = text.replaceAll(`"${REF}${id}Input"`, `"${REF}${id}"`);
  const paths = JSON.parse(text) as Json;
  const all = { ...components.schemas };
  for (const id of inputs) all[id] = all[`${id}Input`];
  const keep = new Set([...named, ...refsIn(paths)]);
  const schemas = Object.fromEntries([...keep].filter((id) => all[id] !== undefined).map((id) => [id, inlineRefs(all[id], all)]));
  return { ...doc, paths, components: { ...components, schemas } };
}

/** Fastify's wildcard (`/artifacts/*`) as a named path parameter (`/artifacts/{path}`). */
function nameWildcard<T extends { schema: unknown; url: string }>(r: T): T {
  if (!r.url.endsWith("/*")) return r;
  const schema = r.schema as { params?: { properties?: Json; required?: string[] } } | undefined;
  const props = schema?.params?.properties;
  if (props && "*" in props) {
    const { "*": wildcard, ...rest } = props;
    schema.params = { ...schema.params, properties: { ...rest, path: wildcard }, required: (schema.params?.required ?? []).map((n) => (n === "*" ? "path" : n)) };
  }
  return { ...r, url: `${r.url.slice(0, -1)}:path` };
}

/**
 * Documents the app from its zod route schemas (fastify-type-provider-zod + @fastify/swagger,
 * OpenAPI 3.1) and serves the document at `GET /openapi.json`. Register it before the routes
 * (in the app's plugin order): it sees the routes added after it.
 */
export function registerOpenApi(app: FastifyInstance, opts: OpenApiOptions): void {
  const registry = z.registry<{ id: string }>();
  const named = { Error: ErrorSchema, ...opts.schemas };
  for (const [id, schema] of Object.entries(named)) registry.add(schema, { id });
  // zod's own JSON Schema, as clients compare it (the provider's default override rewrites unions).
  const zodToJsonConfig = { override: () => {} };
  const transform = createJsonSchemaTransform({ schemaRegistry: registry, skipList: [], zodToJsonConfig });
  const transformObject = createJsonSchemaTransformObject({ schemaRegistry: registry, zodToJsonConfig });
  app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: { title: opts.title, version: "1", ...(opts.description ? { description: opts.description } : {}) },
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
      security: [{ bearer: [] }],
    },
    transform: (r) => nameWildcard(transform(r) as { schema: unknown; url: string }) as ReturnType<typeof transform>,
    transformObject: (d) => tidy(transformObject(d) as Json, Object.keys(named), opts.inputs ?? []) as ReturnType<typeof transformObject>,
  });
  const seen: RouteSeen[] = [];
  ROUTES.set(app, seen);
  app.addHook("onRoute", (r) => {
    for (const method of [r.method].flat()) seen.push({ method, url: r.url, hidden: Boolean((r.schema as { hide?: boolean } | undefined)?.hide) });
  });
  // In a plugin, so it loads after the hooks the app adds (auth, metrics) and gets them too.
  app.register(async (scope) => {
    scope.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());
  });
}

interface RouteSeen {
  method: string;
  url: string;
  hidden: boolean;
}
const ROUTES = new WeakMap<FastifyInstance, RouteSeen[]>();

/**
 * The routes of an app with {@link registerOpenApi} (`METHOD url`, HEAD and hidden routes left
 * out), those of them the document does not describe, and those whose description has no success
 * response with a body schema (`withoutResponses`): tests assert both lists are empty.
 */
export function routeCoverage(app: FastifyInstance): { routes: string[]; undocumented: string[]; withoutResponses: string[] } {
  const doc = app.swagger() as { paths?: Record<string, Record<string, { responses?: Record<string, { content?: Record<string, { schema?: unknown }> }> }>> };
  const routes: string[] = [];
  const missing: string[] = [];
  const withoutResponses: string[] = [];
  for (const r of ROUTES.get(app) ?? []) {
    if (r.hidden || r.method === "HEAD") continue;
    const name = `${r.method} ${r.url}`;
    routes.push(name);
    const path = r.url.replace(/\/\*$/, "/:path").replace(/:([A-Za-z0-9_]+)/g, "{$1}");
    const op = doc.paths?.[path]?.[r.method.toLowerCase()];
    if (!op) {
      missing.push(name);
      continue;
    }
    const ok = Object.entries(op.responses ?? {}).filter(([code]) => /^2\d\d$/.test(code));
    // a 204 has no body; any other success needs a schema for what it sends
    const described = ok.length > 0 && ok.every(([code, res]) => code === "204" || Object.values(res.content ?? {}).some((c) => c.schema !== undefined));
    if (!described) withoutResponses.push(name);
  }
  return { routes, undocumented: missing, withoutResponses };
}
