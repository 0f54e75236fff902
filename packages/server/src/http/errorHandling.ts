import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ConferenceDomainError, type ConferenceErrorCode } from '../conference/ConferenceDomainError.js';
import { MediaRouterError } from '../media/MediaRouter.js';
import { ApiError } from './ApiError.js';
import { describeValidationError } from './validationMessage.js';

/** Route config flag: errors of this route use the OAuth error body (RFC 6749 section 5.2). */
export interface ErrorStyleConfig {
  oauthErrors?: boolean;
}

const MEDIA_STATUS = { 'bad-request': 400, 'not-found': 404, internal: 500 } as const;

// `satisfies` makes a new domain code without a status a compile error here.
const DOMAIN_STATUS = { invalid: 400, forbidden: 403, 'not-found': 404, conflict: 409, expired: 410 } satisfies Record<ConferenceErrorCode, number>;

/**
 * Every 4xx and 5xx answer gets a JSON `{status, error, message}` naming what is at fault; unknown
 * routes are 404; nothing a client sends can cause a 500 (only a bug can, and it is logged).
 */
export function installErrorHandling(app: FastifyInstance, bodyLimitBytes: number): void {
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0];
    send(request, reply, new ApiError(404, `no route ${request.method} ${path}`));
  });
  app.setErrorHandler((error: FastifyError, request, reply) => {
    send(request, reply, toApiError(error, request, bodyLimitBytes));
  });
}

function toApiError(error: FastifyError, request: FastifyRequest, bodyLimitBytes: number): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof ConferenceDomainError) return new ApiError(DOMAIN_STATUS[error.code], error.message, { ...error.details });
  if (error instanceof MediaRouterError) {
    const status = MEDIA_STATUS[error.code];
    if (status === 500) request.log.error({ err: error }, 'media router failed');
    return new ApiError(status, `media: ${error.message}`);
  }
  if (error.validation?.[0]) return ApiError.badRequest(describeValidationError(error.validation[0] as never, error.validationContext ?? 'body'));
  const status = error.statusCode;
  if (status !== undefined && status >= 400 && status < 500) return new ApiError(status, clientErrorMessage(error, request, bodyLimitBytes));
  request.log.error({ err: error }, 'request failed');
  return new ApiError(500, 'internal server error');
}

function clientErrorMessage(error: FastifyError, request: FastifyRequest, bodyLimitBytes: number): string {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return `body is larger than ${bodyLimitBytes} bytes`;
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return `content-type ${request.headers['content-type'] ?? '(none)'} is not accepted here`;
    default:
      return error.message;
  }
}

function send(request: FastifyRequest, reply: FastifyReply, error: ApiError): void {
  const body = error.body();
  const oauth = (request.routeOptions.config as ErrorStyleConfig | undefined)?.oauthErrors;
  const sent = oauth && !('error_description' in body) ? { status: body.status, error: 'invalid_request', error_description: body.message, message: body.message } : body;
  void reply.code(error.status).headers(error.headers).send(sent);
}
