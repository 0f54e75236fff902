import type { ErrorObject } from 'ajv';

const PART_NAMES: Record<string, string> = { body: 'body', querystring: 'query', params: 'path', headers: 'header' };

// Patterns of the contract, said in words (the raw regular expression helps nobody).
const PATTERN_WORDS: Record<string, string> = {
  '^[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]+)+Event$':
    'must begin with a capital letter, end with Event and be camel case of at least a noun and a verb (e.g. ParticipantKickedEvent)',
  '^\\$': 'must be a JSON path beginning with $ (e.g. $.card.number)',
};

const FORMAT_WORDS: Record<string, string> = {
  'date-time': 'must be an ISO-8601 instant such as 2011-12-03T10:15:30Z',
  int32: 'must be a 32-bit integer',
  int64: 'must be an integer no larger than 2^53 - 1',
};

const ARTICLES: Record<string, string> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  object: 'an object',
  array: 'an array',
  boolean: 'a boolean',
  null: 'null',
};

/** Turns ajv's first error into a message naming the field, e.g. "body.userEndpointId is required". */
export function describeValidationError(error: ErrorObject, part: string): string {
  const field = fieldName(PART_NAMES[part] ?? part, error.instancePath);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return `${field}.${String(params.missingProperty)} is required`;
    case 'type':
      return `${field} must be ${typeWords(params.type)}`;
    case 'enum':
      return `${field} must be one of ${(params.allowedValues as unknown[]).map(String).join(', ')}`;
    case 'const':
      return `${field} must be ${JSON.stringify(params.allowedValue)}`;
    case 'minLength':
      return `${field} must be at least ${String(params.limit)} character${params.limit === 1 ? '' : 's'} long`;
    case 'maxLength':
      return `${field} must be at most ${String(params.limit)} characters long`;
    case 'maxItems':
      return `${field} must have at most ${String(params.limit)} items`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `${field} ${error.message ?? 'is out of range'}`;
    case 'pattern':
      return `${field} ${PATTERN_WORDS[String(params.pattern)] ?? `must match ${String(params.pattern)}`}`;
    case 'format':
      return `${field} ${FORMAT_WORDS[String(params.format)] ?? `must be a valid ${String(params.format)}`}`;
    default:
      return `${field} ${error.message ?? 'is invalid'}`;
  }
}

function typeWords(type: unknown): string {
  const types = Array.isArray(type) ? type : String(type).split(',');
  return types.map((t) => ARTICLES[String(t)] ?? String(t)).join(' or ');
}

/** `body` + `/streamId/id` → `body.streamId.id`; array indices in brackets. */
function fieldName(root: string, instancePath: string): string {
  if (!instancePath) return root;
  return instancePath
    .split('/')
    .slice(1)
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((name, segment) => (/^\d+$/.test(segment) ? `${name}[${segment}]` : `${name}.${segment}`), root);
}
