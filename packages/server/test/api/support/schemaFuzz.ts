import fc from 'fast-check';
import { OpenApiDocument } from '../../../src/http/OpenApiDocument.js';

/** @internal A JSON schema node of the contract. */
export type Schema = {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  required?: string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: boolean | Schema;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  maxItems?: number;
  pattern?: string;
  format?: string;
};

/** @internal One place in a body: the path to it and the schema that governs it. */
export interface Field {
  path: Array<string | number>;
  schema: Schema;
  required: boolean;
}

const document = OpenApiDocument.load();
const schemas = document.raw.components.schemas as Record<string, Schema>;

/** @internal Follows `$ref`s into the contract's component schemas. */
export function resolve(schema: Schema): Schema {
  let current = schema;
  while (current.$ref) current = schemas[current.$ref.replace('#/components/schemas/', '')]!;
  return current;
}

/** @internal The request body schema of an operation, straight from the contract. */
export function bodySchema(operationId: string): Schema {
  const spec = document.operations().find((s) => s.operationId === operationId);
  const ref = (spec?.schema.body as Schema | undefined)?.$ref;
  if (!ref) throw new Error(`${operationId} has no body`);
  return resolve({ $ref: ref.slice(ref.indexOf('#')) });
}

/** @internal Every field the schema defines that is present in `sample` (nested objects and first array items included). */
export function fieldsOf(schema: Schema, sample: unknown, path: Array<string | number> = []): Field[] {
  const resolved = resolve(schema);
  const fields: Field[] = [];
  if (resolved.properties && sample && typeof sample === 'object' && !Array.isArray(sample)) {
    for (const [name, child] of Object.entries(resolved.properties)) {
      const value = (sample as Record<string, unknown>)[name];
      if (value === undefined) continue;
      fields.push({ path: [...path, name], schema: resolve(child), required: resolved.required?.includes(name) ?? false });
      fields.push(...fieldsOf(child, value, [...path, name]));
    }
  }
  if (resolved.items && Array.isArray(sample) && sample.length > 0) {
    fields.push({ path: [...path, 0], schema: resolve(resolved.items), required: false });
    fields.push(...fieldsOf(resolved.items, sample[0], [...path, 0]));
  }
  return fields;
}

const notStringOrNull = fc.oneof(fc.integer(), fc.boolean(), fc.array(fc.string(), { maxLength: 3 }), fc.dictionary(fc.string(), fc.string(), { maxKeys: 2 }));
const notObject = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.jsonValue(), { maxLength: 3 }));
const notArray = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 2 }));
const notInteger = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Number.isInteger(d)),
  fc.string(),
  fc.boolean(),
  fc.dictionary(fc.string(), fc.string(), { maxKeys: 1 }),
);
const BAD_INSTANTS = ['yesterday', '2011-12-03', '2011-12-03T10:15:30', '2011-13-03T10:15:30Z', '10:15:30Z', ''];

/** @internal Values the schema refuses, by construction: a wrong type, an enum miss, or a broken limit. */
export function invalidValue(schema: Schema): fc.Arbitrary<unknown> {
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  const options: Array<fc.Arbitrary<unknown>> = [];
  if (schema.enum) options.push(fc.string().filter((s) => !schema.enum!.includes(s)));
  if (types.includes('string')) {
    options.push(types.includes('null') ? notStringOrNull : fc.oneof(notStringOrNull, fc.constant(null)));
    if (schema.maxLength !== undefined) options.push(fc.string({ minLength: schema.maxLength + 1, maxLength: schema.maxLength + 8, unit: 'grapheme-ascii' }));
    if (schema.minLength) options.push(fc.constant(''));
    if (schema.pattern) {
      const pattern = new RegExp(schema.pattern, 'u');
      options.push(fc.string({ minLength: 2, maxLength: 20 }).filter((s) => !pattern.test(s)));
    }
    if (schema.format === 'date-time') options.push(fc.constantFrom(...BAD_INSTANTS));
  }
  if (types.includes('integer')) {
    options.push(types.includes('null') ? notInteger : fc.oneof(notInteger, fc.constant(null)));
    if (schema.minimum !== undefined) options.push(fc.integer({ min: -1_000_000, max: schema.minimum - 1 }));
    if (schema.maximum !== undefined) options.push(fc.integer({ min: schema.maximum + 1, max: 2 ** 31 - 1 }));
  }
  if (types.includes('object')) {
    options.push(notObject);
    const extra = schema.additionalProperties;
    if (extra && typeof extra === 'object' && resolve(extra).type === 'string') {
      options.push(fc.dictionary(fc.string({ minLength: 1 }), fc.oneof(fc.integer(), fc.boolean(), fc.constant(null)), { minKeys: 1, maxKeys: 2 }));
    }
  }
  if (types.includes('array')) {
    options.push(notArray);
    if (schema.maxItems !== undefined) options.push(fc.constant(Array.from({ length: schema.maxItems + 1 }, () => ({ candidate: 'x' }))));
  }
  if (options.length === 0) throw new Error(`no invalid value known for ${JSON.stringify(schema)}`);
  return fc.oneof(...options);
}

/** @internal A deep copy of `body` with the value at `path` replaced, or removed when `value` is `REMOVE`. */
export function withValue(body: unknown, path: Array<string | number>, value: unknown): unknown {
  const copy = structuredClone(body) as Record<string | number, unknown>;
  let parent = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (value === REMOVE) delete parent[last];
  else parent[last] = value;
  return copy;
}

/** @internal Marker for {@link withValue}: remove the field. */
export const REMOVE = Symbol('remove');

/**
 * @internal Bodies the contract refuses, derived from a valid `sample`: not an object at all, a required
 * field removed, or one field given an invalid value.
 */
export function invalidBodies(operationId: string, sample: Record<string, unknown>): fc.Arbitrary<unknown> {
  const fields = fieldsOf(bodySchema(operationId), sample);
  const removable = fields.filter((f) => f.required);
  const options: Array<fc.Arbitrary<unknown>> = [
    notObject,
    fc.constantFrom(...fields).chain((field) => invalidValue(field.schema).map((value) => withValue(sample, field.path, value))),
  ];
  if (removable.length > 0) options.push(fc.constantFrom(...removable).map((field) => withValue(sample, field.path, REMOVE)));
  return fc.oneof(...options);
}
