import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { operations } from '@confer/contract';
import type { Principal } from '../auth/Principal.js';
import { EventBatch } from '../conference/EventBatch.js';
import type { TokenService } from '../auth/TokenService.js';
import { bearerAuth, principalOf } from './bearerAuth.js';
import type { OpenApiDocument, OperationId } from './OpenApiDocument.js';
import type { HttpPart, OpenApiValidator } from './OpenApiValidator.js';

/** The operations behind /rtc-api (everything but the token endpoint). */
export type ApiOperationId = Exclude<OperationId, 'issueToken'>;

/** The JSON body an operation takes, as the generated types say. */
export type JsonBody<Op extends ApiOperationId> = operations[Op] extends { requestBody: { content: { 'application/json': infer B } } }
  ? B
  : undefined;

/** One validated, authenticated call of an operation. */
export interface OperationCall<Op extends ApiOperationId> {
  principal: Principal;
  body: JsonBody<Op>;
  params: { id: string };
  query: { v: number };
  /** Aborts when the client hangs up before the answer. */
  signal: AbortSignal;
}

/** A handler per operation; `undefined` answers 204, an `EventBatch` its ready bytes, anything else 200 with JSON. */
export type OperationHandlers = { [Op in ApiOperationId]: (call: OperationCall<Op>) => unknown };

/** What the API routes are built from. */
export interface ApiRoutesInit {
  document: OpenApiDocument;
  validator: OpenApiValidator;
  tokens: TokenService;
  handlers: OperationHandlers;
}

/**
 * Registers every operation of the contract except the token endpoint, each validated against the
 * contract's own schemas and behind the bearer token check. Fails at start-up when the document
 * names an operation that has no handler.
 */
export async function registerApiRoutes(app: FastifyInstance, init: ApiRoutesInit): Promise<void> {
  await app.register(async (api) => {
    api.decorateRequest('principal', null);
    api.addHook('onRequest', bearerAuth(init.tokens));
    api.setValidatorCompiler(({ schema, httpPart }) => init.validator.compile(schema, (httpPart ?? 'body') as HttpPart));
    for (const spec of init.document.operations()) {
      if (spec.operationId === 'issueToken') continue;
      const handler = init.handlers[spec.operationId] as (call: OperationCall<ApiOperationId>) => unknown;
      if (!handler) throw new Error(`no handler for operation ${spec.operationId}`);
      api.route({
        method: spec.method,
        url: spec.routePath,
        schema: spec.schema,
        handler: async (request: FastifyRequest, reply: FastifyReply) => {
          const controller = new AbortController();
          reply.raw.once('close', () => {
            if (!reply.raw.writableFinished) controller.abort();
          });
          const result = await handler({
            principal: principalOf(request),
            body: request.body as JsonBody<ApiOperationId>,
            params: request.params as { id: string },
            query: request.query as { v: number },
            signal: controller.signal,
          });
          if (result === undefined) return reply.code(204).send();
          if (result instanceof EventBatch) return reply.type('application/json; charset=utf-8').send(result.json);
          return result;
        },
      });
    }
  });
}
