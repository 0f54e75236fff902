import type { ValidateFunction } from 'ajv';
import { describeValidationError } from '../http/validationMessage.js';
import type { ClientRegistry } from './ClientRegistry.js';
import { OAuthError } from './OAuthError.js';
import type { TokenResponse, TokenService } from './TokenService.js';

/** The scopes a client may ask for (an empty one from a double space is ignored). */
const SCOPES: ReadonlySet<string> = new Set(['any', 'global', '']);

/** What the token endpoint reads from an HTTP request. */
export interface TokenRequestInput {
  authorization?: string;
  contentType?: string;
  /** The parsed form (fastify's formbody parser gives repeated fields as arrays). */
  form: unknown;
}

interface TokenForm {
  grant_type: 'client_credentials';
  client_id?: string;
  client_secret?: string;
  scope?: string;
  user_id?: string;
}

const FORM_TYPE = 'application/x-www-form-urlencoded';

/** POST /security/oauth/token: the OAuth 2.0 client-credentials grant (RFC 6749 section 4.4). */
export class TokenEndpoint {
  constructor(
    private readonly clients: ClientRegistry,
    private readonly tokens: TokenService,
    /** Validates the form against the contract's TokenRequest schema. */
    private readonly validateForm: ValidateFunction,
  ) {}

  /** Authenticates the client and issues a token; throws {@link OAuthError}. */
  async handle(input: TokenRequestInput): Promise<TokenResponse> {
    if (!input.contentType?.toLowerCase().startsWith(FORM_TYPE)) {
      throw OAuthError.invalidRequest(`token requests must be sent as ${FORM_TYPE}`);
    }
    const form = this.checkForm(input.form);
    const client = this.authenticate(input.authorization, form);
    // "any" is the documented default; the cloud's own clients ask for "global". Both grant the same here.
    if (form.scope !== undefined && form.scope.split(' ').some((s) => !SCOPES.has(s))) {
      throw new OAuthError(400, 'invalid_scope', 'scope must be "any" or "global" (both grant everything the client may do)');
    }
    if (form.user_id !== undefined && !client.allowUserId) {
      throw new OAuthError(400, 'unauthorized_client', `client ${client.clientId} may not name a user: drop user_id`);
    }
    const response = await this.tokens.issue(client, form.user_id ?? client.userId);
    return form.scope ? { ...response, scope: form.scope } : response;
  }

  private checkForm(form: unknown): TokenForm {
    if (this.validateForm(form)) return form as TokenForm;
    const error = this.validateForm.errors?.[0];
    if (error?.instancePath === '/grant_type' && error.keyword === 'enum') {
      throw new OAuthError(400, 'unsupported_grant_type', 'grant_type must be client_credentials');
    }
    throw OAuthError.invalidRequest(error ? describeValidationError(error, 'form') : 'the form is invalid');
  }

  private authenticate(authorization: string | undefined, form: TokenForm) {
    const basic = authorization ? parseBasic(authorization) : undefined;
    const inForm = form.client_id !== undefined || form.client_secret !== undefined;
    if (basic && inForm) {
      throw OAuthError.invalidRequest('authenticate the client with HTTP Basic or with client_id/client_secret, not both');
    }
    const credentials = basic ?? (inForm ? { id: form.client_id ?? '', secret: form.client_secret ?? '' } : undefined);
    if (!credentials) {
      throw OAuthError.invalidClient('client authentication is required: HTTP Basic or the form fields client_id and client_secret');
    }
    const client = this.clients.authenticate(credentials.id, credentials.secret);
    if (!client) throw OAuthError.invalidClient(`unknown client or wrong secret for client_id ${JSON.stringify(credentials.id)}`);
    return client;
  }
}

/** Reads `Authorization: Basic base64(id:secret)`, whose parts are form-encoded (RFC 6749 section 2.3.1). */
function parseBasic(header: string): { id: string; secret: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!match?.[1]) {
    if (/^Basic\b/i.test(header)) throw OAuthError.invalidClient('the Basic authorization header is malformed');
    return undefined;
  }
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw OAuthError.invalidClient('the Basic credentials must be client_id:client_secret');
  try {
    const decode = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
    return { id: decode(decoded.slice(0, colon)), secret: decode(decoded.slice(colon + 1)) };
  } catch {
    throw OAuthError.invalidClient('the Basic credentials are not properly form-encoded');
  }
}
