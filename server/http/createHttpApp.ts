import cors from '@fastify/cors';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { ServerOptions } from '../ServerOptions.js';
import { installErrorHandling } from './errorHandling.js';
import { frameworkErrorBody, installJsonBodyParser } from './jsonBody.js';

// Path ids are at most 128 characters, up to three times longer percent-encoded; a longer path segment
// is then refused by validation (400) rather than by the router.
const MAX_PARAM_LENGTH = 1024;

/** The fastify instance with logging, CORS, body limits and the `{status, error, message}` error answers. */
export async function createHttpApp(options: ServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: { level: options.logLevel, ...(options.logStream ? { stream: options.logStream } : {}) },
    bodyLimit: options.bodyLimitBytes,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // close() answers waiting event polls first, so in-flight answers finish; idle keep-alive sockets must not hold it up.
    forceCloseConnections: 'idle',
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
  installErrorHandling(app, options.bodyLimitBytes);
  return app;
}
