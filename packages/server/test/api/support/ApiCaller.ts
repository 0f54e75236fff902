/** @internal One HTTP answer, body parsed when it is JSON. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read whatever the server answered
export interface Answer<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** @internal Credentials of an OAuth client. */
export interface ClientCredentials {
  id: string;
  secret: string;
}

const DEMO: ClientCredentials = { id: 'demo', secret: 'demo' };
const SERVICE: ClientCredentials = { id: 'service', secret: 'service' };

/** @internal Raw HTTP against a running server, for tests. */
export class ApiCaller {
  constructor(readonly baseUrl: string) {}

  /** POST /security/oauth/token with a form; credentials by Basic unless given as form fields. */
  async tokenRequest(form: Record<string, string>, basic?: ClientCredentials, headers: Record<string, string> = {}): Promise<Answer> {
    const auth: Record<string, string> = basic ? { authorization: `Basic ${Buffer.from(`${basic.id}:${basic.secret}`).toString('base64')}` } : {};
    return this.fetch('/security/oauth/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...auth, ...headers },
      body: new URLSearchParams(form).toString(),
    });
  }

  /** A bearer token of the demo client for `userId`. */
  async userToken(userId: string, client: ClientCredentials = DEMO): Promise<string> {
    const answer = await this.tokenRequest({ grant_type: 'client_credentials', user_id: userId }, client);
    if (answer.status !== 200) throw new Error(`token for ${userId}: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body.access_token as string;
  }

  /** A bearer token of a client acting as its own user (e.g. the SERVICE client). */
  async clientToken(client: ClientCredentials = SERVICE): Promise<string> {
    const answer = await this.tokenRequest({ grant_type: 'client_credentials' }, client);
    if (answer.status !== 200) throw new Error(`token for ${client.id}: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body.access_token as string;
  }

  /** A caller acting as one user of the demo client. */
  async as(userId: string): Promise<UserCaller> {
    return new UserCaller(this, await this.userToken(userId));
  }

  /** A caller acting as the SERVICE client (or another client). */
  async asClient(client: ClientCredentials = SERVICE): Promise<UserCaller> {
    return new UserCaller(this, await this.clientToken(client));
  }

  /** Any request; the answer's body is parsed when it is JSON. */
  async fetch(path: string, init: RequestInit = {}): Promise<Answer> {
    const response = await fetch(`${this.baseUrl}${path}`, init);
    const text = await response.text();
    const isJson = response.headers.get('content-type')?.includes('application/json');
    return { status: response.status, body: isJson && text ? JSON.parse(text) : text, headers: response.headers };
  }
}

/** @internal Calls the API with one bearer token. */
export class UserCaller {
  constructor(
    readonly api: ApiCaller,
    readonly token: string,
  ) {}

  /** POST /rtc-api/conferences/{operation} with a JSON body. */
  post(operation: string, body: unknown): Promise<Answer> {
    return this.postRaw(operation, JSON.stringify(body));
  }

  /** POST with a body sent as given. */
  postRaw(operation: string, body: string, contentType = 'application/json'): Promise<Answer> {
    return this.api.fetch(`/rtc-api/conferences/${operation}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.token}`, 'content-type': contentType },
      body,
    });
  }

  /** GET /rtc-api/conferences/{path}. */
  get(path: string, signal?: AbortSignal): Promise<Answer> {
    return this.api.fetch(`/rtc-api/conferences/${path}`, { headers: { authorization: `Bearer ${this.token}` }, ...(signal ? { signal } : {}) });
  }

  /** GET the events from version `v`. */
  events(conferenceId: string, v: number, signal?: AbortSignal): Promise<Answer> {
    return this.get(`${encodeURIComponent(conferenceId)}/events?v=${v}`, signal);
  }

  /** GET the aggregate. */
  conference(conferenceId: string): Promise<Answer> {
    return this.get(encodeURIComponent(conferenceId));
  }
}
