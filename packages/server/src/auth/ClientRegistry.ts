import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import type { Role } from './Principal.js';

/** One OAuth client allowed to ask for tokens. */
export interface ClientConfig {
  clientId: string;
  clientSecret: string;
  roles: Role[];
  /** Conferences are isolated per organization; ids may not contain "/". */
  organizationId: string;
  /** The token's user (`sub`) when the request names none. */
  userId: string;
  /** Whether token requests may name the user with the form field `user_id`. */
  allowUserId: boolean;
}

/** The organization of the development clients. */
export const DEVELOPMENT_ORGANIZATION = 'default';

const DEVELOPMENT_CLIENTS: ClientConfig[] = [
  { clientId: 'demo', clientSecret: 'demo', roles: ['USER'], organizationId: DEVELOPMENT_ORGANIZATION, userId: 'demo', allowUserId: true },
  { clientId: 'service', clientSecret: 'service', roles: ['SERVICE'], organizationId: DEVELOPMENT_ORGANIZATION, userId: 'service', allowUserId: false },
];

// The clients file is the server's own configuration, not part of the API contract.
const CLIENTS_FILE_SCHEMA = {
  type: 'object',
  required: ['clients'],
  additionalProperties: false,
  properties: {
    clients: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['clientId', 'clientSecret'],
        additionalProperties: false,
        properties: {
          clientId: { type: 'string', minLength: 1, maxLength: 256 },
          clientSecret: { type: 'string', minLength: 1, maxLength: 1024 },
          roles: { type: 'array', minItems: 1, items: { enum: ['USER', 'SERVICE'] } },
          organizationId: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[^/]+$' },
          userId: { type: 'string', minLength: 1, maxLength: 128 },
          allowUserId: { type: 'boolean' },
        },
      },
    },
  },
} as const;

interface ClientsFile {
  clients: Array<Partial<ClientConfig> & { clientId: string; clientSecret: string }>;
}

/** The OAuth clients: read from a JSON file, or the two development clients when none is configured. */
export class ClientRegistry {
  private readonly byId: Map<string, ClientConfig>;

  private constructor(
    clients: ClientConfig[],
    /** True when the development clients demo/demo and service/service are in use. */
    readonly isDevelopment: boolean,
  ) {
    this.byId = new Map(clients.map((c) => [c.clientId, c]));
  }

  /** demo/demo (USER, may name the user) and service/service (SERVICE), organization "default". */
  static development(): ClientRegistry {
    return new ClientRegistry(DEVELOPMENT_CLIENTS, true);
  }

  /** Reads and checks a clients file; throws an Error naming the file and the fault. */
  static fromFile(path: string): ClientRegistry {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(path, 'utf8'));
    } catch (cause) {
      throw new Error(`clients file ${path}: ${(cause as Error).message}`, { cause });
    }
    const validate = new Ajv({ allErrors: false }).compile<ClientsFile>(CLIENTS_FILE_SCHEMA);
    if (!validate(parsed)) {
      const first = validate.errors?.[0];
      throw new Error(`clients file ${path}: ${first?.instancePath || '/'} ${first?.message ?? 'is invalid'}`);
    }
    const clients = parsed.clients.map(
      (c): ClientConfig => ({
        clientId: c.clientId,
        clientSecret: c.clientSecret,
        roles: c.roles ?? ['USER'],
        organizationId: c.organizationId ?? DEVELOPMENT_ORGANIZATION,
        userId: c.userId ?? c.clientId,
        allowUserId: c.allowUserId ?? false,
      }),
    );
    const ids = new Set(clients.map((c) => c.clientId));
    if (ids.size !== clients.length) throw new Error(`clients file ${path}: a clientId appears twice`);
    return new ClientRegistry(clients, false);
  }

  /** The client whose id and secret match, compared in constant time; undefined otherwise. */
  authenticate(clientId: string, clientSecret: string): ClientConfig | undefined {
    const client = this.byId.get(clientId);
    const expected = digest(client?.clientSecret ?? '');
    const matches = timingSafeEqual(expected, digest(clientSecret));
    return client && matches ? client : undefined;
  }
}

function digest(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}
