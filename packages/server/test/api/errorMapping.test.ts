import { readdirSync, readFileSync } from 'node:fs';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConferenceDomainError } from '../../src/conference/ConferenceDomainError.js';
import { installErrorHandling } from '../../src/http/errorHandling.js';

describe('domain errors at the HTTP edge', () => {
  let app: FastifyInstance;
  let thrown: Error;
  beforeAll(async () => {
    app = Fastify();
    installErrorHandling(app, 1000);
    app.get('/throw', async () => {
      throw thrown;
    });
    await app.ready();
  });
  afterAll(() => app.close());

  const answer = async (error: Error) => {
    thrown = error;
    const response = await app.inject({ method: 'GET', url: '/throw' });
    return { status: response.statusCode, body: response.json() as unknown };
  };

  it.each([
    [ConferenceDomainError.invalid('body.value is required'), 400, 'Bad Request'],
    [ConferenceDomainError.forbidden('userEndpointId a1 belongs to another user'), 403, 'Forbidden'],
    [ConferenceDomainError.notFound('conference c not found'), 404, 'Not Found'],
    [ConferenceDomainError.conflict('conference c already exists'), 409, 'Conflict'],
  ])('answers %s with its status and the {status, error, message} body', async (error, status, reason) => {
    expect(await answer(error)).toEqual({ status, body: { status, error: reason, message: error.message } });
  });

  it('answers expired with 410 and the oldest version kept, as the event poll did before', async () => {
    const error = ConferenceDomainError.expired('query.v 0 is older than the oldest event kept (3): read the conference again', 3);
    expect(await answer(error)).toEqual({ status: 410, body: { status: 410, error: 'Gone', message: error.message, oldestVersion: 3 } });
  });

  it('keeps a bug a 500 that names nothing', async () => {
    expect(await answer(new TypeError('x is undefined'))).toEqual({ status: 500, body: { status: 500, error: 'Internal Server Error', message: 'internal server error' } });
  });
});

describe('layering', () => {
  it('keeps the conference domain free of the HTTP layer', () => {
    const dir = new URL('../../src/conference/', import.meta.url);
    const offenders = readdirSync(dir).filter((file) => /from '\.\.\/http\//.test(readFileSync(new URL(file, dir), 'utf8')));
    expect(offenders).toEqual([]);
  });
});
