import formbody from '@fastify/formbody';
import type { FastifyInstance } from 'fastify';
import type { TokenEndpoint } from '../auth/TokenEndpoint.js';
import type { ErrorStyleConfig } from './errorHandling.js';
import type { OperationSpec } from './OpenApiDocument.js';

/**
 * Registers POST /security/oauth/token. Form parsing is enabled for this route only: the /rtc-api
 * routes take JSON and nothing else.
 */
export async function registerTokenRoute(app: FastifyInstance, spec: OperationSpec, endpoint: TokenEndpoint): Promise<void> {
  await app.register(async (scope) => {
    await scope.register(formbody);
    const config: ErrorStyleConfig = { oauthErrors: true };
    scope.post(spec.routePath, { config }, async (request, reply) => {
      const response = await endpoint.handle({
        authorization: request.headers.authorization,
        contentType: request.headers['content-type'],
        form: request.body,
      });
      void reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
      return response;
    });
  });
}
