import type { Logger } from "@pyfleet/core";
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from "fastify";
import { type ZodTypeProvider, validatorCompiler } from "fastify-type-provider-zod";
import { type ErrorReplyOptions, installErrorHandler, onFrameworkError } from "./error-reply.js";
import { registerFileReplies } from "./file-reply.js";
import { strictUtf8Json } from "./json-body.js";
import { type OpenApiOptions, registerOpenApi } from "./openapi.js";

export interface ServiceOptions extends ErrorReplyOptions {
  logger: Logger;
  /** Largest request body in bytes. */
  bodyLimit: number;
  /** Level of the service's own HTTP log lines (default the logger's). */
  logLevel?: string;
  /** Lets replies stream files (`sendContainedFile`). */
  files?: boolean;
  /** Documents the routes at `GET /openapi.json`; add the routes in a plugin (`app.register`) so it sees them. */
  openapi?: OpenApiOptions;
}

/**
 * The Fastify app every pyfleet service starts from: request lines off, bodies over
 * `bodyLimit` refused, JSON bodies that are not valid UTF-8 refused naming the field, route
 * schemas validated with zod (a 400 naming each bad field), every error in the shared shape
 * with core's status map. Responses are not re-encoded through their schemas: the schemas
 * document them (zod would strip fields it does not know and turn a drift into a 500; the
 * producer's public-run test parses a real view with the schema instead).
 */
export function createService(opts: ServiceOptions) {
  const logger = opts.logger.child({ component: "http" }, opts.logLevel ? { level: opts.logLevel } : {});
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: opts.bodyLimit,
    // Errors raised before routing (bad percent-encoding in the path) get the shared error shape.
    frameworkErrors: onFrameworkError,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  installErrorHandler(app as unknown as FastifyInstance, opts);
  strictUtf8Json(app as unknown as FastifyInstance);
  if (opts.files) registerFileReplies(app as unknown as FastifyInstance);
  if (opts.openapi) registerOpenApi(app as unknown as FastifyInstance, opts.openapi);
  return app;
}

/** A Fastify app whose route schemas are zod schemas (validated, typed, documented). */
export type ServiceApp = ReturnType<typeof createService>;
