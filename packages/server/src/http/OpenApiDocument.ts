import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parse } from 'yaml';
import type { operations } from '@confer/contract';

/** Every operationId of the contract, as the generated types name them. */
export type OperationId = keyof operations;

/** The `$id` under which the contract's component schemas are registered with the validators. */
export const DOCUMENT_ID = 'urn:confer:openapi:conference.yaml';

/** Where the contract lives: the OpenAPI document of the `@confer/contract` package. */
export const DEFAULT_DOCUMENT_PATH = createRequire(import.meta.url).resolve('@confer/contract/conference.yaml');

type JsonSchema = Record<string, unknown>;

/** One operation of the contract with the schemas that validate its requests. */
export interface OperationSpec {
  operationId: OperationId;
  method: 'GET' | 'POST';
  /** The OpenAPI path, e.g. `/rtc-api/conferences/{id}/events`. */
  path: string;
  /** The same path in fastify's syntax, e.g. `/rtc-api/conferences/:id/events`. */
  routePath: string;
  /** The media type of the request body, when the operation has one. */
  bodyContentType?: string;
  /** Schemas referencing the registered document, ready for the validator compiler. */
  schema: { body?: JsonSchema; params?: JsonSchema; querystring?: JsonSchema };
}

interface RawParameter {
  $ref?: string;
  name?: string;
  in?: string;
  required?: boolean;
  schema?: JsonSchema;
}

interface RawOperation {
  operationId?: string;
  parameters?: RawParameter[];
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
}

/**
 * The OpenAPI contract, loaded once at start-up. Routes and their request schemas are read from it,
 * so the server has no second copy of any schema.
 */
export class OpenApiDocument {
  readonly raw: { paths: Record<string, Record<string, RawOperation>>; components: Record<string, Record<string, unknown>> };

  constructor(text: string) {
    this.raw = parse(text) as OpenApiDocument['raw'];
  }

  /** Reads the contract from disk (the repository's copy by default). */
  static load(path = DEFAULT_DOCUMENT_PATH): OpenApiDocument {
    return new OpenApiDocument(readFileSync(path, 'utf8'));
  }

  /** The component schemas under `DOCUMENT_ID`, for registration with a validator. */
  componentsSchema(): JsonSchema {
    return { $id: DOCUMENT_ID, components: this.raw.components };
  }

  /** A schema that refers to one component schema of the registered document. */
  schemaRef(name: string): JsonSchema {
    return { $ref: `${DOCUMENT_ID}#/components/schemas/${name}` };
  }

  /** Every operation, with the schemas of its body, path parameters and query. */
  operations(): OperationSpec[] {
    const specs: OperationSpec[] = [];
    for (const [path, item] of Object.entries(this.raw.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        if (method !== 'get' && method !== 'post') continue;
        specs.push(this.toSpec(path, method.toUpperCase() as 'GET' | 'POST', operation));
      }
    }
    return specs;
  }

  private toSpec(path: string, method: 'GET' | 'POST', operation: RawOperation): OperationSpec {
    if (!operation.operationId) throw new Error(`${method} ${path} has no operationId`);
    const spec: OperationSpec = {
      operationId: operation.operationId as OperationId,
      method,
      path,
      routePath: path.replace(/\{(\w+)\}/g, ':$1'),
      schema: {},
    };
    const [contentType, media] = Object.entries(operation.requestBody?.content ?? {})[0] ?? [];
    if (contentType && media?.schema) {
      spec.bodyContentType = contentType;
      spec.schema.body = absolutize(media.schema);
    }
    const parameters = (operation.parameters ?? []).map((p) => this.resolveParameter(p));
    for (const location of ['path', 'query'] as const) {
      const own = parameters.filter((p) => p.in === location);
      if (own.length === 0) continue;
      const objectSchema: JsonSchema = {
        type: 'object',
        required: own.filter((p) => p.required).map((p) => p.name),
        properties: Object.fromEntries(own.map((p) => [p.name, absolutize(p.schema ?? {})])),
      };
      spec.schema[location === 'path' ? 'params' : 'querystring'] = objectSchema;
    }
    return spec;
  }

  private resolveParameter(parameter: RawParameter): RawParameter {
    if (!parameter.$ref) return parameter;
    const name = parameter.$ref.replace('#/components/parameters/', '');
    const resolved = this.raw.components.parameters?.[name] as RawParameter | undefined;
    if (!resolved) throw new Error(`unknown parameter ${parameter.$ref}`);
    return resolved;
  }
}

/** Rewrites the document-local `$ref`s of a schema taken out of the document so they still resolve. */
function absolutize(schema: unknown): JsonSchema {
  return JSON.parse(
    JSON.stringify(schema, (key, value: unknown) =>
      key === '$ref' && typeof value === 'string' && value.startsWith('#/') ? `${DOCUMENT_ID}${value}` : value,
    ),
  ) as JsonSchema;
}
