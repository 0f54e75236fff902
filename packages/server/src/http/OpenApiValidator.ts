import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { OpenApiDocument } from './OpenApiDocument.js';

/** Where in the request a validated value sits, as fastify names it. */
export type HttpPart = 'body' | 'params' | 'querystring' | 'headers';

// ajv-formats is CommonJS: its default export arrives wrapped under some loaders and bare under others.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule);

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/**
 * Validators compiled from the contract's own schemas (JSON Schema 2020-12, as OpenAPI 3.1 uses).
 * Bodies are checked as sent (no type coercion: "5" is not a number); path and query values are
 * strings on the wire, so they are coerced to the declared type first.
 */
export class OpenApiValidator {
  private readonly strict = createAjv(false);
  private readonly coercing = createAjv(true);

  constructor(document: OpenApiDocument) {
    const components = document.componentsSchema();
    this.strict.addSchema(components);
    this.coercing.addSchema(structuredClone(components));
  }

  /** Compiles a schema for one part of a request (the fastify validator compiler). */
  compile(schema: object, part: HttpPart): ValidateFunction {
    if (part === 'body') return this.strict.compile(schema);
    return withDecimalIntegers(this.coercing.compile(schema), integerProperties(schema));
  }
}

/**
 * ajv coerces any text JavaScript reads as a number (" " is 0, "0x10" is 16, and "-Infinity" even
 * passes `minimum`), so integer path and query values must be plain decimal text before it coerces them.
 */
function withDecimalIntegers(validate: ValidateFunction, names: string[]): ValidateFunction {
  if (names.length === 0) return validate;
  const checked = ((data: unknown) => {
    for (const name of names) {
      const value = (data as Record<string, unknown> | null)?.[name];
      if (typeof value === 'string' && !/^-?\d+$/.test(value)) {
        checked.errors = [{ instancePath: `/${name}`, schemaPath: `#/properties/${name}/type`, keyword: 'type', params: { type: 'integer' }, message: 'must be integer' }];
        return false;
      }
    }
    const valid = validate(data);
    checked.errors = validate.errors;
    return valid;
  }) as ValidateFunction;
  return checked;
}

/** The properties of an object schema declared (inline) as integers. */
function integerProperties(schema: object): string[] {
  const properties = (schema as { properties?: Record<string, { type?: unknown }> }).properties ?? {};
  return Object.entries(properties)
    .filter(([, property]) => property.type === 'integer')
    .map(([name]) => name);
}

function createAjv(coerce: boolean): Ajv2020 {
  const ajv = new Ajv2020({
    allErrors: false,
    coerceTypes: coerce,
    useDefaults: false,
    removeAdditional: false,
    // The contract uses `type: [integer, 'null']` for nullable ICE fields.
    allowUnionTypes: true,
  });
  addFormats(ajv);
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= INT32_MIN && n <= INT32_MAX });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isSafeInteger(n) });
  // The document root carries the component schemas under `components`, an OpenAPI word, not a JSON Schema keyword.
  ajv.addKeyword({ keyword: 'components' });
  return ajv;
}
