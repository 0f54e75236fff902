import { ConferenceError } from './ConferenceError.js';

/** OAuth 2.0 client credentials: the library fetches tokens from `/security/oauth/token`, caches and refreshes them. */
export interface ClientCredentialsAuth {
  clientId: string;
  clientSecret: string;
  /** The user the token is for (reference server: only the development client `demo` may name one). */
  userId?: string;
  scope?: string;
}

/** A bearer token obtained elsewhere; used as is, never refreshed. */
export interface StaticTokenAuth {
  token: string;
}

/** A callback returning a fresh bearer token; called once at first use and again after a 401. */
export interface TokenCallbackAuth {
  getToken: () => string | Promise<string>;
}

/** How the library authenticates its REST calls. */
export type AuthOptions = ClientCredentialsAuth | StaticTokenAuth | TokenCallbackAuth;

/** The answer of the token endpoint. @internal */
export interface IssuedToken {
  access_token: string;
  /** Optional in OAuth 2.0 (RFC 6749 §5.1): without it the token is used until a 401. */
  expires_in?: number;
}

/** Gives bearer tokens to the API client. @internal */
export interface TokenProvider {
  /** A usable token, from the cache when it is still fresh. */
  token(signal?: AbortSignal): Promise<string>;
  /** The cached token without waiting, whatever its age, for `pagehide` where nothing can be awaited for long. */
  cached(): string | undefined;
  /** Forgets `rejected` after a 401; false when asking again cannot give another token. */
  invalidate(rejected: string): boolean;
}

/** Builds the provider matching the auth options. @internal */
export function createTokenProvider(
  auth: AuthOptions,
  issueToken: (auth: ClientCredentialsAuth, signal?: AbortSignal) => Promise<IssuedToken>,
  now: () => number,
): TokenProvider {
  if ('token' in auth) {
    if (!auth.token) throw ConferenceError.invalidState('auth.token is empty');
    return { token: async () => auth.token, cached: () => auth.token, invalidate: () => false };
  }
  if ('getToken' in auth) return new CallbackTokenProvider(auth.getToken);
  if ('clientId' in auth) return new ClientCredentialsTokenProvider(auth, issueToken, now);
  throw ConferenceError.invalidState('auth needs { clientId, clientSecret }, { token } or { getToken }');
}

/** Shares one pending request among concurrent callers and caches its result until invalidated. */
abstract class CachingTokenProvider implements TokenProvider {
  private current: string | undefined;
  private pending: Promise<string> | undefined;

  cached(): string | undefined {
    // Renewal starts at 80 % of a token's life: an older one is still valid, and the page has no time to wait.
    return this.current;
  }

  token(signal?: AbortSignal): Promise<string> {
    if (this.current !== undefined && this.fresh()) return Promise.resolve(this.current);
    this.pending ??= this.fetch(signal).then(
      (token) => {
        this.pending = undefined;
        this.current = token;
        return token;
      },
      (error: unknown) => {
        this.pending = undefined;
        throw error;
      },
    );
    return this.pending;
  }

  invalidate(rejected: string): boolean {
    // A concurrent request may already have replaced the rejected token: keep the newer one.
    if (this.current === rejected) this.current = undefined;
    return true;
  }

  protected abstract fetch(signal?: AbortSignal): Promise<string>;

  protected fresh(): boolean {
    return true;
  }
}

class CallbackTokenProvider extends CachingTokenProvider {
  constructor(private readonly getToken: () => string | Promise<string>) {
    super();
  }

  protected async fetch(): Promise<string> {
    let token: string;
    try {
      token = await this.getToken();
    } catch (cause) {
      throw new ConferenceError('api', 'auth.getToken() failed', { operation: 'getToken', cause });
    }
    if (typeof token !== 'string' || !token) throw new ConferenceError('api', 'auth.getToken() returned no token', { operation: 'getToken' });
    return token;
  }
}

class ClientCredentialsTokenProvider extends CachingTokenProvider {
  private expiresAt = 0;

  constructor(
    private readonly auth: ClientCredentialsAuth,
    private readonly issueToken: (auth: ClientCredentialsAuth, signal?: AbortSignal) => Promise<IssuedToken>,
    private readonly now: () => number,
  ) {
    super();
  }

  protected async fetch(signal?: AbortSignal): Promise<string> {
    const requestedAt = this.now();
    const issued = await this.issueToken(this.auth, signal);
    const lifetimeMs = Math.max(0, issued.expires_in ?? Infinity) * 1000;
    // Renew a fifth of the lifetime early (at most a minute): a request must not leave with a token
    // that expires on its way, and clocks are measured from the request, not the answer.
    this.expiresAt = requestedAt + lifetimeMs - Math.min(60_000, lifetimeMs / 5);
    return issued.access_token;
  }

  protected override fresh(): boolean {
    return this.now() < this.expiresAt;
  }
}
