import cors from '@fastify/cors';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { ServerOptions } from '../ServerOptions.js';
import { ApiError } from './ApiError.js';
import { installErrorHandling } from './errorHandling.js';
import { frameworkErrorBody, installJsonBodyParser } from './jsonBody.js';

// Path ids are at most 128 characters, three times that percent-encoded: such a segment reaches
// validation (400 when too long); only absurd ones are refused by the router (414).
const MAX_PARAM_LENGTH = 1024;

/**
 * The fastify instance with logging, CORS, body limits and the `{status, error, message}` error
 * answers; while `isClosing()` every new request is a 503 in that shape too.
 */
export async function createHttpApp(options: ServerOptions, isClosing: () => boolean): Promise<FastifyInstance> {
  const app = Fastify({
    logger: { level: options.logLevel, ...(options.logStream ? { stream: options.logStream } : {}) },
    bodyLimit: options.bodyLimitBytes,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // close() answers waiting event polls first, so in-flight answers finish; idle keep-alive sockets must not hold it up.
    forceCloseConnections: 'idle',
    // fastify's own 503 while closing has another body shape; the onRequest hook below answers instead.
    return503OnClosing: false,
    frameworkErrors: (error, _request, reply) => {
      const body = frameworkErrorBody(error);
      // fastify types this reply with route generics it cannot know here.
      void (reply as unknown as FastifyReply).code(body.status).send(body);
    },
  });
  installJsonBodyParser(app);
  await app.register(cors, {
    origin: options.corsOrigins === '*' ? '*' : options.corsOrigins,
    methods: ['GET', 'POST'],
    maxAge: 600,
  });
  app.addHook('onRequest', async () => {
    if (isClosing()) throw new ApiError(503, 'the server is shutting down');
  });
  installErrorHandling(app, options.bodyLimitBytes);
  return app;
}
