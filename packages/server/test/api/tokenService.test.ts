import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ClientConfig } from '../../src/auth/ClientRegistry.js';
import { TokenService } from '../../src/auth/TokenService.js';

const client: ClientConfig = { clientId: 'demo', clientSecret: 'demo', roles: ['USER'], organizationId: 'default', userId: 'demo', allowUserId: true };

afterEach(() => vi.useRealTimers());

describe('TokenService', () => {
  it('answers a token it verified before from memory, and still refuses it once it expires', async () => {
    const tokens = new TokenService({ ttlSeconds: 60 });
    const { access_token } = await tokens.issue(client, 'alice');
    const first = await tokens.verify(access_token);
    expect(first).toEqual({ userId: 'alice', roles: ['USER'], organizationId: 'default', clientId: 'demo' });
    expect(await tokens.verify(access_token)).toBe(first);
    vi.useFakeTimers({ now: Date.now() + 61_000, toFake: ['Date'] });
    await expect(tokens.verify(access_token)).rejects.toThrow(/expired/);
    await expect(tokens.verify(access_token)).rejects.toThrow(/expired/);
  });

  it('does not remember what it refused', async () => {
    const tokens = new TokenService({ ttlSeconds: 60 });
    const other = new TokenService({ ttlSeconds: 60 });
    const { access_token } = await other.issue(client, 'mallory');
    await expect(tokens.verify(access_token)).rejects.toThrow(/invalid/);
    await expect(tokens.verify(access_token)).rejects.toThrow(/invalid/);
  });
});
