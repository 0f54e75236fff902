import type { Logger } from '../util/logger.js';

/** What went wrong, as a string code callers can switch on. */
export type ConferenceErrorCode =
  /** A method was called in a state that does not allow it (e.g. publish before join). */
  | 'invalid-state'
  /** The server answered with an HTTP error; `status` and `serverMessage` say which. */
  | 'api'
  /** The request never got an answer (offline, DNS, CORS, connection reset). */
  | 'network'
  /** The request was cancelled, usually by `leave()`. */
  | 'aborted'
  /** No answer within the request's timeout (`requestTimeoutMs`, or the long poll's own); `operation` says which. */
  | 'timeout'
  /** Offer/answer failed: the browser refused an SDP or the server's answer is unusable. */
  | 'negotiation'
  /** Capturing the camera, microphone or screen failed. */
  | 'media'
  /** The browser lacks an interface the library needs (WebRTC itself); nothing was sent. */
  | 'unsupported';

/** The one error class of the library: a string `code`, the REST `operation`, HTTP `status` and the server's message. */
export class ConferenceError extends Error {
  override readonly name = 'ConferenceError';

  constructor(
    readonly code: ConferenceErrorCode,
    message: string,
    readonly details: {
      /** The REST operation, e.g. `publishStream`. */
      operation?: string;
      /** The HTTP status of an `api` error. */
      status?: number;
      /** The `message` field of the server's error body. */
      serverMessage?: string;
      /** The server's whole error body, e.g. `oldestVersion` of a 410. */
      body?: unknown;
      cause?: unknown;
    } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
  }

  /** The REST operation that failed, if any. */
  get operation(): string | undefined {
    return this.details.operation;
  }

  /** The HTTP status of an `api` error. */
  get status(): number | undefined {
    return this.details.status;
  }

  /** The server's own explanation (the `message` of its error body). */
  get serverMessage(): string | undefined {
    return this.details.serverMessage;
  }

  /** An HTTP error answer; `body` is the parsed error body when there is one. */
  static api(operation: string, status: number, body: unknown): ConferenceError {
    const serverMessage = messageOf(body);
    return new ConferenceError('api', `${operation} failed with HTTP ${status}${serverMessage ? `: ${serverMessage}` : ''}`, {
      operation,
      status,
      serverMessage,
      body,
    });
  }

  /** A request that failed before any answer arrived. */
  static network(operation: string, cause: unknown): ConferenceError {
    return new ConferenceError('network', `${operation} failed: ${String((cause as Error)?.message ?? cause)}`, { operation, cause });
  }

  /** A request cancelled by its signal. */
  static aborted(operation: string): ConferenceError {
    return new ConferenceError('aborted', `${operation} was aborted`, { operation });
  }

  /** A request that got no answer within `timeoutMs`. */
  static timeout(operation: string, timeoutMs: number): ConferenceError {
    return new ConferenceError('timeout', `${operation} got no answer within ${timeoutMs} ms`, { operation });
  }

  /** A method called in the wrong state. */
  static invalidState(message: string): ConferenceError {
    return new ConferenceError('invalid-state', message);
  }

  /** Offer/answer failure. */
  static negotiation(message: string, cause?: unknown): ConferenceError {
    return new ConferenceError('negotiation', message, { cause });
  }

  /** The browser lacks an interface the library cannot do without. */
  static unsupported(message: string): ConferenceError {
    return new ConferenceError('unsupported', message);
  }

  /** Capture failure. */
  static media(message: string, cause?: unknown): ConferenceError {
    return new ConferenceError('media', message, { cause });
  }

  /** Wraps anything thrown into a ConferenceError, keeping ConferenceErrors as they are. */
  static from(error: unknown, fallback: (cause: unknown) => ConferenceError): ConferenceError {
    return error instanceof ConferenceError ? error : fallback(error);
  }

  /** True for failures worth retrying later: no answer (in time), or a 5xx. */
  get isTransient(): boolean {
    return this.code === 'network' || this.code === 'timeout' || (this.code === 'api' && (this.status ?? 0) >= 500);
  }
}

function messageOf(body: unknown): string | undefined {
  if (typeof body === 'string') return body || undefined;
  if (body && typeof body === 'object') {
    const { message, error_description: description } = body as { message?: unknown; error_description?: unknown };
    if (typeof message === 'string') return message;
    if (typeof description === 'string') return description;
  }
  return undefined;
}

/** Awaits a best-effort request: a 404 (already gone) or an abort is fine, anything else is logged. @internal */
export async function ignoreGone(request: Promise<void>, logger: Pick<Logger, 'warn'>): Promise<void> {
  try {
    await request;
  } catch (error) {
    if (error instanceof ConferenceError && (error.status === 404 || error.code === 'aborted')) return;
    logger.warn('cleanup request failed', error);
  }
}
