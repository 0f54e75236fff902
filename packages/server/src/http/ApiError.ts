import { STATUS_CODES } from 'node:http';

/** The JSON body of every 4xx and 5xx answer: `{status, error, message}` plus optional extras. */
export interface ErrorBody {
  status: number;
  error: string;
  message: string;
  [extra: string]: unknown;
}

/** A request the server refuses; the error handler turns it into a `{status, error, message}` answer. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** 400: the message names the field at fault. */
  static badRequest(message: string): ApiError {
    return new ApiError(400, message);
  }

  /** 401: no token, or a forged or expired one. */
  static unauthorized(message: string): ApiError {
    return new ApiError(401, message, {}, { 'www-authenticate': 'Bearer' });
  }

  /** 403: the caller may not act on this conference, endpoint, stream or viewer. */
  static forbidden(message: string): ApiError {
    return new ApiError(403, message);
  }

  /** 404: the message names the unknown id. */
  static notFound(message: string): ApiError {
    return new ApiError(404, message);
  }

  /** 409: the id is already in use. */
  static conflict(message: string): ApiError {
    return new ApiError(409, message);
  }

  /** 410: the event poll asked for events older than the oldest one kept. */
  static gone(message: string, oldestVersion: number): ApiError {
    return new ApiError(410, message, { oldestVersion });
  }

  /** 503: this node cannot take the request now; `Retry-After` says when to try again (another node, behind a load balancer). */
  static unavailable(message: string, retryAfterSeconds: number): ApiError {
    return new ApiError(503, message, {}, { 'retry-after': String(retryAfterSeconds) });
  }

  /** The answer's JSON body. */
  body(): ErrorBody {
    return { status: this.status, error: reasonPhrase(this.status), message: this.message, ...this.extra };
  }
}

/** The HTTP reason phrase of a status code, e.g. "Not Found". */
export function reasonPhrase(status: number): string {
  return STATUS_CODES[status] ?? 'Error';
}
