import { ConferenceError } from 'confer';
import { describe, expect, it } from 'vitest';
import { describeError } from '../../demo/describeError.js';

const context = { serverUrl: 'http://127.0.0.1:8080', room: 'standup' };

describe('describeError', () => {
  it('says the server is unreachable for a network failure', () => {
    const error = ConferenceError.network('issueToken', new TypeError('Failed to fetch'));
    expect(describeError(error, context)).toMatch(/^Cannot reach the conference server at http:\/\/127\.0\.0\.1:8080\./);
  });

  it('says the server did not answer in time for a timeout', () => {
    const error = ConferenceError.timeout('getEvents', 8_000);
    expect(describeError(error, context)).toBe('The conference server at http://127.0.0.1:8080 did not answer in time (getEvents). Check your connection; the call retries by itself.');
  });

  it('says the credentials were rejected for a failed token request', () => {
    const error = ConferenceError.api('issueToken', 401, { error: 'invalid_client', error_description: 'client authentication failed' });
    expect(describeError(error, context)).toBe('The server rejected the credentials (HTTP 401), so no token was issued. The server said: client authentication failed');
  });

  it('says the conference is gone for a 404', () => {
    const error = ConferenceError.api('join', 404, { status: 404, error: 'Not Found', message: 'conference standup does not exist' });
    expect(describeError(error, context)).toBe('The conference “standup” does not exist or has already ended. The server said: conference standup does not exist');
  });

  it('tells camera denial apart from a cancelled screen share', () => {
    const denied = ConferenceError.media('capturing MIC_AND_CAM failed', new DOMException('Permission denied', 'NotAllowedError'));
    expect(describeError(denied, context)).toMatch(/^Camera or microphone access was denied/);
    expect(describeError(denied, { ...context, capture: 'screen' })).toBe('Screen sharing was cancelled or is not allowed.');
  });

  it('still says something for errors that are not the library’s', () => {
    expect(describeError(new Error('boom'), context)).toBe('Something went wrong: boom');
  });
});
