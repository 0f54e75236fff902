import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { startConferServer, type ConferServer } from '../src/server.js';

let server: ConferServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A POST on a connection of its own: a pooled keep-alive socket of the server before a restart would fail. */
function post(url: string, headers: Record<string, string>, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers, agent: false }, (response) => {
      let text = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
    });
    req.on('error', reject).end(body);
  });
}

async function tokenFor(url: string, userId: string): Promise<string> {
  const response = await post(
    `${url}/security/oauth/token`,
    { authorization: `Basic ${btoa('demo:demo')}`, 'content-type': 'application/x-www-form-urlencoded' },
    `grant_type=client_credentials&user_id=${userId}`,
  );
  return (JSON.parse(response.body) as { access_token: string }).access_token;
}

async function create(url: string, token: string, conferenceId: string): Promise<number> {
  const response = await post(`${url}/rtc-api/conferences/create`, { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, JSON.stringify({ conferenceId }));
  return response.status;
}

/** A child process starts through tsx, twice in the restart test, on a shared 2-core machine. */
const TIMEOUT_MS = 90_000;

describe.each(['in-process', 'child-process'] as const)('startConferServer, %s', (mode) => {
  it('serves on 127.0.0.1 in strict mode when asked (a taken id is 403), and restarts on the same URL, with no conference and the old tokens still valid', async () => {
    server = await startConferServer({ process: mode, strict: true });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.strict).toBe(true);
    const token = await tokenFor(server.url, 'alice');
    expect(await create(server.url, token, 'room')).toBe(200);
    expect(await create(server.url, token, 'room')).toBe(403);

    const url = server.url;
    await server.restart();

    expect(server.url).toBe(url);
    expect(await create(server.url, token, 'room')).toBe(200);
  }, TIMEOUT_MS);

  it('is lenient by default (a taken id is 409)', async () => {
    server = await startConferServer({ process: mode });
    const token = await tokenFor(server.url, 'bob');
    expect(await create(server.url, token, 'room')).toBe(200);
    expect(await create(server.url, token, 'room')).toBe(409);
  }, TIMEOUT_MS);
});
