import { describe, expect, it } from 'vitest';
import { DEFAULT_SERVER_OPTIONS, resolveServerOptions, serverOptionsFromEnv } from '../../src/ServerOptions.js';

describe('server options', () => {
  it('reads the environment of npm run server', () => {
    expect(
      serverOptionsFromEnv({
        HOST: '0.0.0.0',
        PORT: '9000',
        LOG_LEVEL: 'debug',
        CONFER_CLIENTS_FILE: '/etc/confer/clients.json',
        CONFER_TOKEN_SECRET: 's3cret',
        CONFER_TOKEN_TTL_SECONDS: '600',
        CONFER_EVENT_WAIT_MS: '2000',
        CONFER_EVENT_RETENTION: '50',
        CONFER_CORS_ORIGINS: 'http://localhost:5173, https://app.example',
        CONFER_GHOST_SICK_AFTER_MS: '10000',
        CONFER_GHOST_REMOVE_AFTER_MS: '20000',
        CONFER_BODY_LIMIT_BYTES: '65536',
        CONFER_MEDIA_BIND_ADDRESS: '10.0.0.5',
        CONFER_MEDIA_ANNOUNCED_ADDRESSES: '203.0.113.7',
        CONFER_MEDIA_PORT_RANGE: '40000-40100',
        CONFER_MEDIA_DEFAULT_VIDEO_BITRATE: '2500000',
      }),
    ).toEqual({
      host: '0.0.0.0',
      port: 9000,
      logLevel: 'debug',
      clientsFile: '/etc/confer/clients.json',
      tokenSecret: 's3cret',
      tokenTtlSeconds: 600,
      eventWaitMs: 2000,
      eventRetention: 50,
      corsOrigins: ['http://localhost:5173', 'https://app.example'],
      ghostSickAfterMs: 10000,
      ghostRemoveAfterMs: 20000,
      bodyLimitBytes: 65536,
      media: { bindAddress: '10.0.0.5', announcedAddresses: ['203.0.113.7'], portRange: [40000, 40100], defaultVideoBitrate: 2_500_000 },
    });
    expect(serverOptionsFromEnv({})).toEqual({});
    expect(serverOptionsFromEnv({ CONFER_CORS_ORIGINS: '*' }).corsOrigins).toBe('*');
  });

  it.each([
    [{ PORT: 'eighty' }, /PORT must be a whole number/],
    [{ CONFER_EVENT_WAIT_MS: '-5' }, /CONFER_EVENT_WAIT_MS/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL must be one of/],
    [{ CONFER_MEDIA_PORT_RANGE: '40000' }, /CONFER_MEDIA_PORT_RANGE must be min-max/],
    [{ CONFER_MEDIA_DEFAULT_VIDEO_BITRATE: '1.5M' }, /CONFER_MEDIA_DEFAULT_VIDEO_BITRATE/],
  ])('refuses %j', (env, message) => {
    expect(() => serverOptionsFromEnv(env)).toThrow(message);
  });

  it('fills in defaults and refuses nonsense', () => {
    expect(resolveServerOptions({ port: undefined })).toEqual(DEFAULT_SERVER_OPTIONS);
    expect(resolveServerOptions({ eventWaitMs: 100 }).eventWaitMs).toBe(100);
    expect(() => resolveServerOptions({ eventWaitMs: 0 })).toThrow('eventWaitMs must be a positive integer, got 0');
    expect(() => resolveServerOptions({ ghostRemoveAfterMs: 1.5 })).toThrow(/ghostRemoveAfterMs/);
    expect(() => resolveServerOptions({ port: 70000 })).toThrow(/port must be/);
    expect(() => resolveServerOptions({ corsOrigins: 'http://x' as never })).toThrow(/corsOrigins/);
  });
});
