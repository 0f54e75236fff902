import cors from '@fastify/cors';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { ServerOptions } from '../ServerOptions.js';
import { ApiError } from './ApiError.js';
import type { ConnectionTracker } from './ConnectionTracker.js';
import { installErrorHandling } from './errorHandling.js';
import { frameworkErrorBody, installJsonBodyParser } from './jsonBody.js';

// Path ids are at most 128 characters, three times that percent-encoded: such a segment reaches
// validation (400 when too long); only absurd ones are refused by the router (414).
const MAX_PARAM_LENGTH = 1024;

/**
 * The fastify instance with logging, CORS, body limits and the `{status, error, message}` error
 * answers; once `connections` is closing every new request is a 503 in that shape too.
 */
export async function createHttpApp(options: ServerOptions, connections: ConnectionTracker): Promise<FastifyInstance> {
  const app = Fastify({
    logger: { level: options.logLevel, ...(options.logStream ? { stream: options.logStream } : {}) },
    bodyLimit: options.bodyLimitBytes,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // close() answers waiting event polls, then the ConnectionTracker ends each connection once its answer is sent.
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
  connections.attach(app);
  await app.register(cors, {
    origin: options.corsOrigins === '*' ? '*' : options.corsOrigins,
    methods: ['GET', 'POST'],
    // A browser shows scripts only the safelisted headers: a draining node's 503 says when to retry.
    exposedHeaders: ['Retry-After'],
    maxAge: 600,
  });
  app.addHook('onRequest', async () => {
    if (connections.closing) throw new ApiError(503, 'the server is shutting down');
  });
  // While closing, tell clients not to reuse the connection: the tracker ends it after the answer.
  app.addHook('onSend', async (_request, reply) => {
    if (connections.closing) void reply.header('connection', 'close');
  });
  installErrorHandling(app, options.bodyLimitBytes);
  return app;
}
