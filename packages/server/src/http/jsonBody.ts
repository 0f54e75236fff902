import type { FastifyInstance } from 'fastify';
import { ApiError, reasonPhrase } from './ApiError.js';

// JSON nested deeper than this is refused: deep enough for any metadata, and far from the depth at
// which serializing it again (into an event, an answer) would overflow the stack.
const MAX_DEPTH = 64;

/**
 * Parses JSON bodies with messages that say what is wrong, refuses nesting deeper than 64 levels and
 * the keys `__proto__` and `constructor.prototype` (harmless to this server, dangerous to clients that
 * merge objects). Also formats the router's own errors (bad URL, over-long path segment).
 */
export function installJsonBodyParser(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, text, done) => {
    if (text === '') return done(ApiError.badRequest('body is empty but content-type is application/json'), undefined);
    let value: unknown;
    try {
      value = JSON.parse(text as string);
    } catch (error) {
      return done(ApiError.badRequest(`body is not valid JSON: ${(error as Error).message}`), undefined);
    }
    const fault = inspect(value);
    if (fault) return done(ApiError.badRequest(fault), undefined);
    done(null, value);
  });
}

/** The `frameworkErrors` option of fastify: the router's errors get the `{status, error, message}` body too. */
export function frameworkErrorBody(error: { code?: string; statusCode?: number }): { status: number; error: string; message: string } {
  const status = error.statusCode ?? 400;
  const message = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'a path segment of the URL is too long' : 'the URL is malformed';
  return { status, error: reasonPhrase(status), message };
}

/** Walks the value without recursion (its depth is not yet known to be safe). */
function inspect(root: unknown): string | undefined {
  const stack: Array<{ value: unknown; depth: number; path: string }> = [{ value: root, depth: 0, path: 'body' }];
  while (stack.length > 0) {
    const { value, depth, path } = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (depth >= MAX_DEPTH) return `body is nested more than ${MAX_DEPTH} levels deep`;
    for (const [key, child] of Object.entries(value)) {
      const childPath = Array.isArray(value) ? `${path}[${key}]` : `${path}.${key}`;
      if (key === '__proto__' || (key === 'constructor' && child !== null && typeof child === 'object' && Object.hasOwn(child, 'prototype'))) {
        return `${childPath} is a forbidden key`;
      }
      stack.push({ value: child, depth: depth + 1, path: childPath });
    }
  }
  return undefined;
}
