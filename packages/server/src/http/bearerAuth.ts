import type { FastifyRequest } from 'fastify';
import type { Principal } from '../auth/Principal.js';
import type { TokenService } from '../auth/TokenService.js';
import { ApiError } from './ApiError.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified caller of an /rtc-api route. */
    principal: Principal | null;
  }
}

/** An onRequest hook that admits only requests with a valid, unexpired bearer token (401 otherwise). */
export function bearerAuth(tokens: TokenService): (request: FastifyRequest) => Promise<void> {
  return async (request) => {
    const header = request.headers.authorization;
    if (!header) throw ApiError.unauthorized('missing bearer token: send Authorization: Bearer <access_token>');
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match?.[1]) throw ApiError.unauthorized('the Authorization header must be Bearer <access_token>');
    request.principal = await tokens.verify(match[1]);
  };
}

/** The caller of a route behind {@link bearerAuth}. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new Error('route is not behind bearerAuth');
  return request.principal;
}
