import type { Conference, ConferenceEvent } from '../../src/index.js';
import { answerFor } from './sdp.js';

/** One request the library sent, decoded. */
export interface RecordedCall {
  operation: string;
  method: string;
  url: URL;
  body: Record<string, unknown>;
  authorization: string | null;
  keepalive: boolean;
  signal: AbortSignal;
}

/** What a handler answers: a status and an optional JSON body. */
export interface FakeAnswer {
  status: number;
  body?: unknown;
}

type Handler = (call: RecordedCall) => FakeAnswer | Promise<FakeAnswer | undefined> | undefined;

/** Answers JSON. */
export const json = (body: unknown, status = 200): FakeAnswer => ({ status, body });
/** Answers an error body like the reference server's. */
export const httpError = (status: number, message = `fake ${status}`, extra: Record<string, unknown> = {}): FakeAnswer => ({
  status,
  body: { status, error: 'Fake', message, ...extra },
});

const operationOf = (method: string, path: string): string => {
  if (path === '/security/oauth/token') return 'issueToken';
  const match = /^\/rtc-api\/conferences\/([^/]+)(\/events|\/simpleView)?$/.exec(path);
  if (!match) return `unknown ${path}`;
  if (method === 'POST') return match[1]!;
  return match[2] === '/events' ? 'getEvents' : match[2] ? 'simpleView' : 'getConference';
};

/**
 * A scripted Conference API behind a fake `fetch`: every call is recorded, every operation has a
 * sensible default answer, tests override per operation with `on()`. The event long-poll answers
 * the pushed events at or after `v`, or waits (no timer) until one is pushed or the request is aborted.
 */
export class FakeApi {
  readonly calls: RecordedCall[] = [];
  readonly events: ConferenceEvent[] = [];
  conference: Conference = { id: 'conf', participants: [], metadata: {} };
  /** The cloud's (and the strict reference server's) `v`: events after `v`, not at or after it. */
  exclusivePolls = false;
  private readonly handlers = new Map<string, Handler[]>();
  private readonly waiters = new Set<() => void>();
  private tokenCount = 0;

  /** The `fetch` option. */
  readonly fetch = (async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = input instanceof Request ? input : new Request(input, init);
    const url = new URL(request.url);
    const text = await request.text();
    const type = request.headers.get('content-type') ?? '';
    const body = !text ? {} : type.includes('json') ? (JSON.parse(text) as Record<string, unknown>) : Object.fromEntries(new URLSearchParams(text));
    const call: RecordedCall = {
      operation: operationOf(request.method, url.pathname),
      method: request.method,
      url,
      body,
      authorization: request.headers.get('authorization'),
      keepalive: request.keepalive,
      signal: request.signal,
    };
    this.calls.push(call);
    if (request.signal.aborted) throw new DOMException('aborted', 'AbortError');
    const answer = (await this.runHandlers(call)) ?? (await this.defaultAnswer(call));
    if (answer.status === 204) return new Response(null, { status: 204 });
    return new Response(JSON.stringify(answer.body ?? {}), { status: answer.status, headers: { 'content-type': 'application/json' } });
  }) as typeof fetch;

  /** Adds a handler for an operation; the first handler that answers wins, `once` handlers are used up. */
  on(operation: string, handler: Handler, options: { once?: boolean } = {}): this {
    const list = this.handlers.get(operation) ?? [];
    const wrapped: Handler = options.once
      ? (call) => {
          list.splice(list.indexOf(wrapped), 1);
          return handler(call);
        }
      : handler;
    list.push(wrapped);
    this.handlers.set(operation, list);
    return this;
  }

  /** Calls of one operation. */
  callsOf(operation: string): RecordedCall[] {
    return this.calls.filter((c) => c.operation === operation);
  }

  /** Appends several events at once (one command's events, e.g. several with one version), then wakes the long polls. */
  pushAll(events: (Partial<ConferenceEvent> & { type: string })[]): void {
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const event of events) this.push(event);
    for (const wake of waiters) this.waiters.add(wake);
    for (const wake of waiters) wake();
  }

  /** Appends an event with the next conferenceVersion and wakes the long polls. */
  push(event: Partial<ConferenceEvent> & { type: string }): ConferenceEvent {
    const full = {
      id: `e${this.events.length}`,
      conferenceId: this.conference.id ?? 'conf',
      conferenceVersion: this.events.length,
      organizationId: 'org',
      timestamp: new Date(0).toISOString(),
      ...event,
    } as ConferenceEvent;
    this.events.push(full);
    for (const wake of [...this.waiters]) wake();
    return full;
  }

  /** Resolves when a long poll is waiting (the loop caught up); a loop backing off gets up to 3 s. */
  async polling(): Promise<void> {
    const deadline = Date.now() + 3000;
    while (this.waiters.size === 0) {
      if (Date.now() > deadline) throw new Error('nobody is polling');
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }

  private async runHandlers(call: RecordedCall): Promise<FakeAnswer | undefined> {
    for (const handler of [...(this.handlers.get(call.operation) ?? [])]) {
      const answer = await handler(call);
      if (answer) return answer;
    }
    return undefined;
  }

  private async defaultAnswer(call: RecordedCall): Promise<FakeAnswer> {
    const body = call.body;
    switch (call.operation) {
      case 'issueToken':
        return json({ access_token: `token-${++this.tokenCount}`, token_type: 'bearer', expires_in: 3600 });
      case 'create':
        return json({ id: body.conferenceId, mode: 'ROUTER', version: 0 });
      case 'join': {
        // Like the reference server: the joiner is in the aggregate it gets back.
        const participants = (this.conference.participants ?? []).filter((p) => p.id !== body.userEndpointId);
        participants.push({ id: String(body.userEndpointId), userId: 'me', metadata: (body.metadata as Record<string, unknown>) ?? {}, state: 'HEALTHY', streams: [] });
        this.conference = { ...this.conference, participants };
        return json({ ...this.conference, version: this.events.length });
      }
      case 'getConference':
        return json({ ...this.conference, version: this.events.length });
      case 'simpleView': {
        // Endpoints grouped by user, stream ids plain strings, as the documentation shows it.
        const users = new Map<string, unknown[]>();
        for (const p of this.conference.participants ?? []) {
          const endpoint = { id: p.id, metadata: p.metadata, state: p.state, streams: (p.streams ?? []).map((s) => ({ id: s.id?.id, type: s.type, metadata: s.metadata })) };
          users.set(p.userId ?? '', [...(users.get(p.userId ?? '') ?? []), endpoint]);
        }
        const participants = [...users].map(([id, endpoints]) => ({ id, endpoints }));
        return json({ id: this.conference.id, metadata: this.conference.metadata, mode: 'ROUTER', participants, version: this.events.length });
      }
      case 'getEvents':
        return json(await this.eventsFrom(Number(call.url.searchParams.get('v')), call.signal));
      case 'publishStream':
        return json({ sdpAnswer: answerFor(String(body.sdpOffer)), streamId: body.streamId });
      case 'viewStream':
        return json({ sdpAnswer: answerFor(String(body.sdpOffer)), viewerId: body.viewerId ?? 'viewer' });
      case 'sendEvent':
        return json({ eventsSent: 1 });
      default:
        return { status: 204 };
    }
  }

  private eventsFrom(v: number, signal: AbortSignal): Promise<ConferenceEvent[]> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.events.filter((e) => (this.exclusivePolls ? e.conferenceVersion > v : e.conferenceVersion >= v));
        if (found.length === 0) return false;
        this.waiters.delete(check);
        signal.removeEventListener('abort', onAbort);
        resolve(found);
        return true;
      };
      const onAbort = () => {
        this.waiters.delete(check);
        reject(new DOMException('aborted', 'AbortError'));
      };
      if (check()) return;
      this.waiters.add(check);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
