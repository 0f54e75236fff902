import { ApiError, type ErrorBody } from '../http/ApiError.js';

/** The error codes of RFC 6749 section 5.2 that the token endpoint uses. */
export type OAuthErrorCode = 'invalid_request' | 'invalid_client' | 'unsupported_grant_type' | 'invalid_scope' | 'unauthorized_client';

/** A refused token request: `{status, error: <RFC 6749 code>, error_description, message}`. */
export class OAuthError extends ApiError {
  constructor(
    status: 400 | 401,
    readonly code: OAuthErrorCode,
    description: string,
  ) {
    super(status, description, {}, status === 401 ? { 'www-authenticate': 'Basic realm="confer"' } : {});
    this.name = 'OAuthError';
  }

  /** 400 invalid_request: a field is missing, repeated or malformed. */
  static invalidRequest(description: string): OAuthError {
    return new OAuthError(400, 'invalid_request', description);
  }

  /** 401 invalid_client: the client is unknown or its secret is wrong. */
  static invalidClient(description: string): OAuthError {
    return new OAuthError(401, 'invalid_client', description);
  }

  override body(): ErrorBody {
    return { status: this.status, error: this.code, error_description: this.message, message: this.message };
  }
}
