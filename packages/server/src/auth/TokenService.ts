import { randomBytes, randomUUID } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';
import { ApiError } from '../http/ApiError.js';
import type { ClientConfig } from './ClientRegistry.js';
import { ROLES, type Principal, type Role } from './Principal.js';

/** The token endpoint's answer (RFC 6749 section 5.1). */
export interface TokenResponse {
  access_token: string;
  token_type: 'bearer';
  expires_in: number;
  scope?: string;
}

/** Who signs tokens, and for how long they are valid. */
export interface TokenServiceOptions {
  /** HMAC key; a random one per start when absent, so a restart invalidates every token. */
  secret?: string;
  ttlSeconds: number;
}

const ISSUER = 'confer-reference-server';
/** Verified tokens remembered; the oldest is forgotten first beyond this. */
const VERIFIED_CACHE_SIZE = 10_000;

/** Issues and verifies the server's access tokens: HS256 JWTs carrying `sub`, `roles`, `org` and `cid`. */
export class TokenService {
  private readonly key: Uint8Array;
  /**
   * Tokens already verified, with their expiry in ms. Every event wakes every waiting poll at once, and
   * re-verifying the same HMAC for each of them was a third of the server's CPU under 200 polling clients.
   */
  private readonly verified = new Map<string, { principal: Principal; expiresAtMs: number }>();

  constructor(private readonly options: TokenServiceOptions) {
    this.key = options.secret ? new TextEncoder().encode(options.secret) : randomBytes(32);
  }

  /** Signs a token for a client, acting as `userId`. */
  async issue(client: ClientConfig, userId: string): Promise<TokenResponse> {
    const token = await new SignJWT({ roles: client.roles, org: client.organizationId, cid: client.clientId })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(userId)
      .setIssuer(ISSUER)
      .setJti(randomUUID())
      .setIssuedAt()
      .setExpirationTime(`${this.options.ttlSeconds}s`)
      .sign(this.key);
    return { access_token: token, token_type: 'bearer', expires_in: this.options.ttlSeconds };
  }

  /** The caller a token names; throws a 401 {@link ApiError} for a forged, malformed or expired token. */
  async verify(token: string): Promise<Principal> {
    const known = this.verified.get(token);
    if (known) {
      if (Date.now() < known.expiresAtMs) return known.principal;
      this.verified.delete(token);
      throw ApiError.unauthorized('the bearer token has expired: request a new one');
    }
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.key, { algorithms: ['HS256'], issuer: ISSUER, requiredClaims: ['sub', 'exp'] }));
    } catch (error) {
      if (error instanceof errors.JWTExpired) throw ApiError.unauthorized('the bearer token has expired: request a new one');
      throw ApiError.unauthorized('the bearer token is invalid (bad signature, issuer or format)');
    }
    const { sub, roles, org, cid, exp } = payload;
    if (
      typeof sub !== 'string' ||
      typeof org !== 'string' ||
      typeof cid !== 'string' ||
      !Array.isArray(roles) ||
      !roles.every((r): r is Role => ROLES.includes(r as Role))
    ) {
      throw ApiError.unauthorized('the bearer token lacks sub, roles, org or cid');
    }
    const principal: Principal = { userId: sub, roles, organizationId: org, clientId: cid };
    if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, { principal, expiresAtMs: exp! * 1000 });
    return principal;
  }
}
