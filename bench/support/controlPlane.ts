/**
 * The control-plane load both control-plane benchmarks (server-control-plane, control-plane-stores)
 * put on the reference server: the demo client's token and autocannon's join → updateMetadata → leave cycles.
 */
import autocannon from 'autocannon';

/** An access token of the demo client for `userId`. */
export async function token(baseUrl: string, userId: string): Promise<string> {
  const response = await fetch(`${baseUrl}/security/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${btoa('demo:demo')}` },
    body: new URLSearchParams({ grant_type: 'client_credentials', user_id: userId }),
  });
  return ((await response.json()) as { access_token: string }).access_token;
}

/** join → updateMetadata → leave cycles on `conferenceId` against one server, each with a fresh endpoint id, for `durationS`. */
export function joinLeaveCycles(baseUrl: string, bearer: string, conferenceId: string, connections: number, durationS: number): ReturnType<typeof autocannon> {
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${bearer}` };
  const path = (operation: string) => `/rtc-api/conferences/${operation}`;
  return autocannon({
    url: baseUrl,
    connections,
    duration: durationS,
    requests: [
      {
        method: 'POST',
        path: path('join'),
        headers,
        setupRequest: (req, context) => {
          context.endpoint = crypto.randomUUID();
          return { ...req, body: JSON.stringify({ conferenceId, userEndpointId: context.endpoint, metadata: { name: 'load' } }) };
        },
      },
      {
        method: 'POST',
        path: path('updateMetadata'),
        headers,
        setupRequest: (req, context) => ({
          ...req,
          body: JSON.stringify({ conferenceId, userEndpointId: context.endpoint, key: 'bench/load', operation: 'SET', value: context.endpoint }),
        }),
      },
      {
        method: 'POST',
        path: path('leave'),
        headers,
        setupRequest: (req, context) => ({ ...req, body: JSON.stringify({ conferenceId, userEndpointId: context.endpoint }) }),
      },
    ],
  });
}
