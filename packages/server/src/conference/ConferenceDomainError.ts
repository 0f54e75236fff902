/**
 * Why the conference refuses a command, in its own words: the HTTP edge maps each code to a status
 * (`errorHandling.ts`), so the domain never speaks HTTP.
 */
export type ConferenceErrorCode = 'invalid' | 'forbidden' | 'not-found' | 'conflict' | 'expired';

/** What an error carries beyond its message; the HTTP edge adds it to the JSON body. */
export interface ConferenceErrorDetails {
  /** With 'expired': the version of the oldest event still kept, where a reader may resume. */
  oldestVersion?: number;
}

/** A command the conference refuses; the message names the field or id at fault. */
export class ConferenceDomainError extends Error {
  constructor(
    readonly code: ConferenceErrorCode,
    message: string,
    readonly details: ConferenceErrorDetails = {},
  ) {
    super(message);
    this.name = 'ConferenceDomainError';
  }

  /** A field of the command is missing or does not fit the conference's rules. */
  static invalid(message: string): ConferenceDomainError {
    return new ConferenceDomainError('invalid', message);
  }

  /** The caller may not act on this conference, endpoint, stream or viewer. */
  static forbidden(message: string): ConferenceDomainError {
    return new ConferenceDomainError('forbidden', message);
  }

  /** The conference, endpoint, stream, viewer or metadata key named is unknown (or gone meanwhile). */
  static notFound(message: string): ConferenceDomainError {
    return new ConferenceDomainError('not-found', message);
  }

  /** The id is already in use. */
  static conflict(message: string): ConferenceDomainError {
    return new ConferenceDomainError('conflict', message);
  }

  /** The events asked for are older than the oldest one kept. */
  static expired(message: string, oldestVersion: number): ConferenceDomainError {
    return new ConferenceDomainError('expired', message, { oldestVersion });
  }
}
