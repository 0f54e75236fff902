import { ConferenceError } from 'confer';

/** The reference server's URL and room, so messages can name what failed. */
export interface ErrorContext {
  serverUrl: string;
  room?: string;
  /** What was being captured when a `media` error happened. */
  capture?: 'camera' | 'screen';
}

/**
 * Turns anything the library throws into one sentence a person can act on. The library reports
 * every failure as a `ConferenceError` with a string `code`, the REST `operation` and the HTTP
 * `status`, so the cases below are a switch on those, never a parse of the message text.
 */
export function describeError(error: unknown, context: ErrorContext): string {
  if (!(error instanceof ConferenceError)) {
    return `Something went wrong: ${error instanceof Error ? error.message : String(error)}`;
  }
  const room = context.room ? `“${context.room}”` : 'the room';
  switch (error.code) {
    case 'network':
      return `Cannot reach the conference server at ${context.serverUrl}. Is it running (npm run demo)? (${error.operation ?? 'request'} failed)`;
    case 'timeout':
      return `The conference server at ${context.serverUrl} did not answer in time (${error.operation ?? 'request'}). Check your connection; the call retries by itself.`;
    case 'media':
      return describeMediaError(error, context.capture ?? 'camera');
    case 'aborted':
      return 'The request was cancelled because you left the call.';
    case 'invalid-state':
      return `That is not possible right now: ${error.message}`;
    case 'negotiation':
      return `The media connection could not be set up: ${error.message}`;
    case 'unsupported':
      return `This browser cannot make video calls (${error.message}). Use a current Chrome, Edge, Firefox or Safari.`;
    case 'api':
      return describeApiError(error, room);
  }
}

function describeApiError(error: ConferenceError, room: string): string {
  const why = error.serverMessage ? ` The server said: ${error.serverMessage}` : '';
  if (isTokenRequest(error) || error.status === 401) {
    return `The server rejected the credentials (HTTP ${error.status}), so no token was issued.${why}`;
  }
  switch (error.status) {
    case 403:
      return `You are not allowed to do that in ${room}.${why}`;
    case 404:
      return `The conference ${room} does not exist or has already ended.${why}`;
    case 409:
      return `The conference ${room} already exists.${why}`;
    default:
      return `The server refused ${error.operation ?? 'the request'} (HTTP ${error.status}).${why}`;
  }
}

function isTokenRequest(error: ConferenceError): boolean {
  const body = error.details.body as { error?: unknown } | undefined;
  return /token/i.test(error.operation ?? '') || body?.error === 'invalid_client';
}

function describeMediaError(error: ConferenceError, capture: 'camera' | 'screen'): string {
  const cause = error.cause as { name?: string } | undefined;
  if (capture === 'screen' && cause?.name === 'NotAllowedError') return 'Screen sharing was cancelled or is not allowed.';
  switch (cause?.name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'Camera or microphone access was denied. Allow it in the browser’s site settings, then use the Camera / Microphone buttons.';
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'No camera or microphone was found.';
    case 'NotReadableError':
      return 'The camera or microphone is in use by another application.';
    default:
      return `Could not capture media: ${error.message}`;
  }
}
