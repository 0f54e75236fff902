import createClient from 'openapi-fetch';
import type { Client } from 'openapi-fetch';
import { createTokenProvider } from './auth.js';
import type { AuthOptions, ClientCredentialsAuth, IssuedToken, TokenProvider } from './auth.js';
import { ConferenceError } from './ConferenceError.js';
import { Reachability } from './Reachability.js';
import type { ReachabilityOptions } from './Reachability.js';
import type { components, paths } from '@confer/contract';
import type { Conference, ConferenceEvent } from './types.js';

type Schemas = components['schemas'];

/** What an ApiClient needs: where the API is, how to authenticate, and (for tests) a fetch. */
export interface ApiClientOptions {
  /** The API origin, e.g. `http://127.0.0.1:8080` or the cloud service's origin (no `/rtc-api` suffix). */
  baseUrl: string;
  auth: AuthOptions;
  /** The fetch to use; `globalThis.fetch` by default. */
  fetch?: typeof fetch;
  /** How long a request may wait for its answer before it fails with code `timeout` (default 10 000 ms; 0 for none). */
  requestTimeoutMs?: number;
  /** Clock for token expiry and reachability. @internal */
  now?: () => number;
  /** Timings of the reachability watch (tests shorten them). @internal */
  reachability?: Partial<ReachabilityOptions>;
}

/** Per-request options: cancellation, a timeout, and `keepalive` for requests sent while the page unloads. */
export interface RequestOptions {
  signal?: AbortSignal;
  /** Sent with fetch keepalive and at once with the cached token, whatever its age (no token request first). */
  keepalive?: boolean;
  /** This request's timeout instead of the client's `requestTimeoutMs`. */
  timeoutMs?: number;
}

/** The default of `requestTimeoutMs`. @internal */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

/**
 * While the server is dark and a probe watches it, nothing goes out but probes and `keepalive`
 * requests; the rest wait for its first answer. A browser keeps the connection attempt (and the CORS
 * preflight) of a request given up in the dark, and only a few per host: the probes are spread so
 * that some of those attempts connect soon after the path is back (see Reachability). A frozen server
 * also works through every negotiation sent meanwhile, later than the client gave up on them.
 */
const PROBE = 'probe';

type Answer<D> = { data?: D; error?: unknown; response: Response };
type RequestInitPart = { headers: Record<string, string>; signal?: AbortSignal; keepalive?: boolean };

/** The typed REST client of the Conference API: one method per operation, every failure a {@link ConferenceError}. */
export class ApiClient {
  private readonly client: Client<paths>;
  private readonly tokens: TokenProvider;
  private readonly timeoutMs: number;
  /** Whether the server answers, from every request of this client; short timeouts and retries while it does not. @internal */
  readonly reachability: Reachability;

  constructor(options: ApiClientOptions) {
    if (!options.baseUrl) throw ConferenceError.invalidState('baseUrl is required');
    this.timeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.reachability = new Reachability(options.reachability, options.now ?? Date.now);
    const fetchImpl = options.fetch ?? globalThis.fetch;
    // Called through a closure: window.fetch invoked as a method of another object throws "Illegal invocation".
    this.client = createClient<paths>({ baseUrl: options.baseUrl, fetch: (input) => fetchImpl(input) });
    this.tokens = createTokenProvider(options.auth, (auth, signal) => this.issueToken(auth, { signal }), options.now ?? Date.now);
  }

  /** POST /security/oauth/token with the client-credentials grant (HTTP Basic, RFC 6749 §2.3.1). */
  async issueToken(auth: ClientCredentialsAuth, options: RequestOptions = {}): Promise<IssuedToken> {
    const body: Schemas['TokenRequest'] = { grant_type: 'client_credentials' };
    if (auth.userId !== undefined) body.user_id = auth.userId;
    if (auth.scope !== undefined) body.scope = auth.scope;
    const basic = btoa(`${encodeURIComponent(auth.clientId)}:${encodeURIComponent(auth.clientSecret)}`);
    return this.send('issueToken', options, false, (init) =>
      this.client.POST('/security/oauth/token', {
        ...init,
        headers: { ...init.headers, Authorization: `Basic ${basic}`, 'Content-Type': 'application/x-www-form-urlencoded' },
        body,
        bodySerializer: (form) => new URLSearchParams(form as Record<string, string>).toString(),
      }),
    );
  }

  /** Creates a conference (409 when the id is taken). */
  create(body: Schemas['CreateConferenceWebCommand'], options: RequestOptions = {}): Promise<Schemas['ConferenceSummary']> {
    return this.send('create', options, true, (init) => this.client.POST('/rtc-api/conferences/create', { ...init, body }));
  }

  /** Joins; the reference server answers the aggregate, the cloud service `{}`. */
  join(body: Schemas['JoinConferenceWebCommand'], options: RequestOptions = {}): Promise<Conference> {
    return this.send('join', options, true, (init) => this.client.POST('/rtc-api/conferences/join', { ...init, body }));
  }

  /** Leaves the conference. */
  async leave(body: Schemas['LeaveConferenceWebCommand'], options: RequestOptions = {}): Promise<void> {
    await this.send('leave', options, true, (init) => this.client.POST('/rtc-api/conferences/leave', { ...init, body }));
  }

  /** Ends the conference for everyone. */
  async end(body: Schemas['EndConferenceWebCommand'], options: RequestOptions = {}): Promise<void> {
    await this.send('end', options, true, (init) => this.client.POST('/rtc-api/conferences/end', { ...init, body }));
  }

  /** Reads the conference aggregate. */
  getConference(id: string, options: RequestOptions = {}): Promise<Conference> {
    return this.send('getConference', options, true, (init) =>
      this.client.GET('/rtc-api/conferences/{id}', { ...init, params: { path: { id } } }),
    );
  }

  /**
   * Reads the simple view as an aggregate: the state and its version in one request (the cloud's join
   * answers `{}`). Endpoints come grouped by user there; stream bitrates are not in it.
   */
  async simpleView(id: string, options: RequestOptions = {}): Promise<Conference> {
    const view = await this.send('simpleView', options, true, (init) =>
      this.client.GET('/rtc-api/conferences/{id}/simpleView', { ...init, params: { path: { id } } }),
    );
    const participants = view.participants?.flatMap((user) =>
      (user.endpoints ?? []).map((endpoint) => ({ ...endpoint, userId: user.id, streams: endpoint.streams?.map((stream) => ({ ...stream, id: { id: stream.id } })) })),
    );
    // Its mode and stream types are plain strings: the model reads unknown ones as UNKNOWN anyway.
    return { ...view, participants } as Conference;
  }

  /** Long-polls the events after `v` (the cloud), or at or after it (the reference server, unless strict). */
  async getEvents(id: string, v: number, options: RequestOptions = {}): Promise<ConferenceEvent[]> {
    const events = await this.send('getEvents', options, true, (init) =>
      this.client.GET('/rtc-api/conferences/{id}/events', { ...init, params: { path: { id }, query: { v } } }),
    );
    return events ?? [];
  }

  /** Publishes a stream: sends the offer, answers the SDP answer. */
  publishStream(body: Schemas['ConferencePublishStreamWebCommand'], options: RequestOptions = {}): Promise<Schemas['ConferencePublishResult']> {
    return this.send('publishStream', options, true, (init) => this.client.POST('/rtc-api/conferences/publishStream', { ...init, body }));
  }

  /** Trickles a publisher's ICE candidates. */
  async addPublishStreamIceCandidates(body: Schemas['ConferencePublishStreamIceCandidatesWebCommand'], options: RequestOptions = {}): Promise<void> {
    await this.send('addPublishStreamIceCandidates', options, true, (init) =>
      this.client.POST('/rtc-api/conferences/addPublishStreamIceCandidates', { ...init, body }),
    );
  }

  /** Unpublishes a stream. */
  async unpublishStream(body: Schemas['ConferenceUnpublishStreamWebCommand'], options: RequestOptions = {}): Promise<void> {
    await this.send('unpublishStream', options, true, (init) => this.client.POST('/rtc-api/conferences/unpublishStream', { ...init, body }));
  }

  /** Reports a published stream's new bitrate cap. */
  async updatePublishedStreamBitrate(body: Schemas['ConferenceUpdatePublishedStreamBitrateWebCommand'], options: RequestOptions = {}): Promise<void> {
    await this.send('updatePublishedStreamBitrate', options, true, (init) =>
      this.client.POST('/rtc-api/conferences/updatePublishedStreamBitrate', { ...init, body }),
    );
  }

  /** Starts viewing a stream: sends the offer, answers the SDP answer and viewer id. */
  viewStream(body: Schemas['ConferenceViewStreamWebCommand'], options: RequestOptions = {}): Promise<Schemas['ConferenceStreamViewResult']> {
    return this.send('viewStream', options, true, (init) => this.client.POST('/rtc-api/conferences/viewStream', { ...init, body }));
  }

  /** Trickles a viewer's ICE candidates. */
  async addViewStreamIceCandidates(body: Schemas['ConferenceViewStreamIceCandidatesWebCommand'], options: RequestOptions = {}): Promise<void> {
    await this.send('addViewStreamIceCandidates', options, true, (init) =>
      this.client.POST('/rtc-api/conferences/addViewStreamIceCandidates', { ...init, body }),
    );
  }

  /** Stops viewing a stream. */
  async stopViewStream(body: Schemas['ConferenceStopViewStreamWebCommand'], options: RequestOptions = {}): Promise<void> {
    await this.send('stopViewStream', options, true, (init) => this.client.POST('/rtc-api/conferences/stopViewStream', { ...init, body }));
  }

  /** Sets or removes one conference metadata key. */
  async updateMetadata(body: Schemas['UpdateConferenceMetadataWebCommand'], options: RequestOptions = {}): Promise<void> {
    await this.send('updateMetadata', options, true, (init) => this.client.POST('/rtc-api/conferences/updateMetadata', { ...init, body }));
  }

  /** Replaces the caller's participant metadata. */
  async updateParticipantMetadata(body: Schemas['UpdateConferenceParticipantMetadataWebCommand'], options: RequestOptions = {}): Promise<void> {
    await this.send('updateParticipantMetadata', options, true, (init) =>
      this.client.POST('/rtc-api/conferences/updateParticipantMetadata', { ...init, body }),
    );
  }

  /** Replaces a published stream's metadata. */
  async updateStreamMetadata(body: Schemas['UpdateConferenceStreamMetadataWebCommand'], options: RequestOptions = {}): Promise<void> {
    await this.send('updateStreamMetadata', options, true, (init) =>
      this.client.POST('/rtc-api/conferences/updateStreamMetadata', { ...init, body }),
    );
  }

  /** Sends a custom event to every joined endpoint (SERVICE role only). */
  sendEvent(body: Schemas['SendEventToConferenceWebCommand'], options: RequestOptions = {}): Promise<Schemas['SendEventResponse']> {
    return this.send('sendEvent', options, true, (init) => this.client.POST('/rtc-api/conferences/sendEvent', { ...init, body }));
  }

  /**
   * Asks whether the server answers at all: a GET of the conference with the cached token, whatever
   * its age (a token request would wait for the server too). Any answer counts, a 401 as well; it
   * rejects with `timeout` or `network` when none came.
   */
  async probe(conferenceId: string, options: Pick<RequestOptions, 'signal' | 'timeoutMs'> = {}): Promise<void> {
    await this.send(PROBE, options, true, (init) => this.client.GET('/rtc-api/conferences/{id}', { ...init, params: { path: { id: conferenceId } } }));
  }

  /** Fetches a token now, unless a fresh one is cached, so the next request need not wait for one (the first request opens the connection too). */
  async prepare(options: Pick<RequestOptions, 'signal'> = {}): Promise<void> {
    await this.tokens.token(options.signal);
  }

  /** The current token if one is cached, whatever its age (a keepalive request cannot wait for a new one). @internal */
  cachedToken(): string | undefined {
    return this.tokens.cached();
  }

  /** Waits (at most the dark timeout) until the server answers again; rejects with `timeout`, or `aborted` when `signal` aborts. */
  private async untilReachable(operation: string, signal: AbortSignal | undefined): Promise<void> {
    const { darkTimeoutMs } = this.reachability.options;
    const waiting = new AbortController();
    const stop = () => waiting.abort();
    const timer = setTimeout(stop, darkTimeoutMs);
    signal?.addEventListener('abort', stop, { once: true });
    try {
      if (await this.reachability.whenReachable(waiting.signal)) return;
      throw signal?.aborted ? ConferenceError.aborted(operation) : ConferenceError.timeout(operation, darkTimeoutMs);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', stop);
    }
  }

  /**
   * Runs one request: adds the bearer token, turns a thrown failure, an HTTP error and a request that
   * outlives its timeout alike into a ConferenceError, and on a 401 asks for a new token and tries once
   * more. Every attempt is reported to the reachability watch, which shortens the timeout while the
   * server is out of reach and may give a request sent into the dark up (a `network` error) once a
   * newer one got through.
   */
  private async send<D>(
    operation: string,
    options: RequestOptions,
    authenticated: boolean,
    request: (init: RequestInitPart) => Promise<Answer<D>>,
  ): Promise<D> {
    const { keepalive } = options;
    const reachability = this.reachability;
    // A probe is how the dark ends: it goes out, keeps the timeout Reachability gave it (up to 140 s in a long silence), and any answer is its result.
    const probing = operation === PROBE;
    if (reachability.dark && reachability.watched && !keepalive && !probing) await this.untilReachable(operation, options.signal);
    const timeoutMs = probing ? (options.timeoutMs ?? 0) : reachability.timeoutFor(options.timeoutMs ?? this.timeoutMs);
    // One signal for the caller's cancellation and the timeout; the token request and the retry after a 401 share it.
    const controller = new AbortController();
    const signal = controller.signal;
    const cancel = () => controller.abort();
    let timedOut = false;
    let abandoned = false;
    const timer = timeoutMs > 0 ? setTimeout(() => ((timedOut = true), controller.abort()), timeoutMs) : undefined;
    if (options.signal?.aborted) controller.abort();
    else options.signal?.addEventListener('abort', cancel, { once: true });
    const stopped = () => {
      if (abandoned) return ConferenceError.network(operation, new Error('sent while the server was out of reach, and a newer request got through'));
      return timedOut ? ConferenceError.timeout(operation, timeoutMs) : ConferenceError.aborted(operation);
    };
    try {
      for (let attempt = 0; ; attempt++) {
        if (signal.aborted) throw stopped();
        const cached = (keepalive || probing) && attempt === 0 ? this.tokens.cached() : undefined;
        const token = authenticated ? (cached ?? (await untilAborted(this.tokens.token(signal), signal))) : undefined;
        const init: RequestInitPart = { headers: token ? { Authorization: `Bearer ${token}` } : {}, signal };
        if (keepalive) init.keepalive = true;
        const flight = reachability.begin(() => ((abandoned = true), controller.abort()));
        let answer: Answer<D>;
        try {
          // Raced with the signal: a fetch that ignores it (a polyfill, a test double) must not outlive the timeout.
          answer = await untilAborted(request(init), signal);
        } catch (cause) {
          if (signal.aborted && !timedOut) reachability.ended(flight);
          else reachability.unanswered(flight);
          if (signal.aborted) throw stopped();
          throw ConferenceError.network(operation, cause);
        }
        const { status } = answer.response;
        reachability.answered(flight, status);
        if (signal.aborted) throw stopped();
        if (answer.response.ok || probing) return answer.data as D;
        if (status === 401 && token !== undefined && attempt === 0 && this.tokens.invalidate(token)) continue;
        throw ConferenceError.api(operation, status, answer.error);
      }
    } catch (caught) {
      // The token request fails with its own operation; a timeout or abort is this request's.
      if (signal.aborted && caught instanceof ConferenceError && (caught.code === 'aborted' || caught.code === 'timeout')) throw stopped();
      throw caught;
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', cancel);
    }
  }
}

/** Settles with `promise`, or rejects as soon as `signal` aborts (a `getToken` callback cannot be cancelled, nor some fetches). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(ConferenceError.aborted('getToken'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
