import fc from 'fast-check';

/**
 * fast-check arbitraries for requests, derived from the app's own OpenAPI document: path and
 * query parameters, headers and JSON bodies, mostly near-valid (the schema's examples with some
 * parts broken) so that requests get past the first check and reach deeper code.
 */

export type Schema = {
  $ref?: string;
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  allOf?: Schema[];
  enum?: unknown[];
  example?: unknown;
  additionalProperties?: Schema | boolean;
};

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  schema?: Schema;
}

export interface Operation {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  parameters: Parameter[];
  security: string[];
  body?: Schema;
}

export interface OpenApiDocument {
  paths: Record<
    string,
    Record<
      string,
      { parameters?: Parameter[]; security?: Array<Record<string, string[]>>; requestBody?: { content?: Record<string, { schema?: Schema }> } }
    >
  >;
  components: { schemas: Record<string, Schema> };
}

export interface FuzzRequest {
  url: string;
  headers: Record<string, string>;
  /** Raw body text and its content type; none for no body. */
  body?: { contentType: string; text: string };
}

/** Every operation of the document. */
export function operationsOf(document: OpenApiDocument): Operation[] {
  return Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({
      method: method as Operation['method'],
      path,
      parameters: operation.parameters ?? [],
      security: (operation.security ?? []).flatMap((requirement) => Object.keys(requirement)),
      body: operation.requestBody?.content?.['application/json']?.schema,
    })),
  );
}

// ---- values ----

const HUGE = ['x'.repeat(5_000), '\u{1F600}'.repeat(20_000), 'A'.repeat(70_000)];
const TRICKY_STRINGS = [
  '',
  ' ',
  '\u0000',
  '\n',
  '..',
  '../../etc/passwd',
  '%2F',
  '${jndi:ldap://x}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  'NaN',
  'null',
  'undefined',
  'true',
  '[object Object]',
  '__proto__',
  'constructor',
  '\uFEFF',
  '\u202E',
  'İ',
  'ß',
  '𝔘𝔫𝔦𝔠𝔬𝔡𝔢',
  '\uD800',
];
const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '$where', ''];

/** Deeply nested JSON as text: parsers cope, recursive validators may not. */
const deepJson = fc.oneof(
  fc.integer({ min: 100, max: 30_000 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth)),
  fc.integer({ min: 100, max: 10_000 }).map((depth) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)),
);

/** Any JSON value, as text, including prototype-pollution keys and deep nesting. */
const junkJson: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }).map((s) => JSON.stringify(s)) },
  { weight: 2, arbitrary: fc.constantFrom(...TRICKY_STRINGS, ...HUGE).map((s) => JSON.stringify(s)) },
  { weight: 2, arbitrary: fc.constantFrom('null', 'true', 'false', '0', '-1', '1e308', '-0', '0.5', '9007199254740993', '[]', '{}', '[null]') },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom(...PROTO_KEYS), fc.jsonValue({ maxDepth: 2 }))
      .map(([key, value]) => objectText([[key, JSON.stringify(value)]])),
  },
  { weight: 1, arbitrary: deepJson },
);

/** `{"k":v,...}` from already-serialized values, so keys like __proto__ stay own keys. */
function objectText(entries: Array<[string, string]>): string {
  return `{${entries.map(([key, value]) => `${JSON.stringify(key)}:${value}`).join(',')}}`;
}

// ---- bodies ----

function resolve(schema: Schema, schemas: Record<string, Schema>): Schema {
  if (schema.$ref) return resolve(schemas[schema.$ref.split('/').at(-1)!]!, schemas);
  if (schema.allOf)
    return schema.allOf
      .map((part) => resolve(part, schemas))
      .reduce((a, b) => ({ ...a, ...b, properties: { ...a.properties, ...b.properties } }), {});
  return schema;
}

/** A valid-looking value for the schema, from its examples. */
export function exampleOf(schema: Schema, schemas: Record<string, Schema>, depth = 0): unknown {
  const resolved = resolve(schema, schemas);
  if (resolved.example !== undefined) return resolved.example;
  if (resolved.enum) return resolved.enum[0];
  if (resolved.properties && depth < 6) {
    return Object.fromEntries(Object.entries(resolved.properties).map(([key, child]) => [key, exampleOf(child, schemas, depth + 1)]));
  }
  if (resolved.type === 'array') return resolved.items ? [exampleOf(resolved.items, schemas, depth + 1)] : [];
  return { string: 'example', integer: 1, number: 1, boolean: true, object: {} }[resolved.type ?? 'object'] ?? null;
}

/** The schema's example with some properties replaced by junk (recursively), some dropped, some unknown ones added. */
function nearValid(schema: Schema, schemas: Record<string, Schema>, depth = 0): fc.Arbitrary<string> {
  const resolved = resolve(schema, schemas);
  const properties = Object.entries(resolved.properties ?? {});
  if (properties.length === 0 || depth > 3) return fc.oneof(fc.constant(JSON.stringify(exampleOf(resolved, schemas))), junkJson);
  const example = exampleOf(resolved, schemas) as Record<string, unknown>;
  const valueOf = (key: string, child: Schema) =>
    fc.oneof(
      { weight: 6, arbitrary: fc.constant(JSON.stringify(example[key])) },
      { weight: 2, arbitrary: junkJson },
      { weight: 1, arbitrary: nearValid(child, schemas, depth + 1) },
    );
  // Required properties mostly stay; optional ones (a CSR example that cannot verify) often go, so requests get further.
  const required = new Set(resolved.required ?? []);
  const kept = (key: string) => fc.integer({ min: 0, max: 9 }).map((n) => n < (required.has(key) ? 9 : 5));
  return fc
    .record({
      values: fc.tuple(...properties.map(([key, child]) => valueOf(key, child))),
      keep: fc.tuple(...properties.map(([key]) => kept(key))),
      extra: fc.oneof(
        { weight: 3, arbitrary: fc.constant([] as Array<[string, string]>) },
        {
          weight: 1,
          arbitrary: fc.array(fc.tuple(fc.oneof(fc.constantFrom(...PROTO_KEYS), fc.string({ maxLength: 12 })), junkJson), {
            minLength: 1,
            maxLength: 2,
          }),
        },
      ),
    })
    .map(({ values, keep, extra }) =>
      objectText([...properties.flatMap(([key], index): Array<[string, string]> => (keep[index] ? [[key, values[index]!]] : [])), ...extra]),
    );
}

/** A body: mostly near-valid JSON, sometimes any JSON, broken JSON, another content type, or none. */
export function bodyArbitrary(schema: Schema | undefined, schemas: Record<string, Schema>): fc.Arbitrary<FuzzRequest['body']> {
  const json = (text: string) => ({ contentType: 'application/json', text });
  return fc.oneof(
    { weight: schema ? 8 : 1, arbitrary: (schema ? nearValid(schema, schemas) : junkJson).map(json) },
    { weight: 2, arbitrary: junkJson.map(json) },
    { weight: 1, arbitrary: fc.string({ maxLength: 60 }).map(json) },
    { weight: 1, arbitrary: fc.constant(json('')) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'application/json; charset=latin1'),
          fc.string({ maxLength: 60 }),
        )
        .map(([contentType, text]) => ({ contentType, text })),
    },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
}

// ---- path, query, headers ----

/** Percent-encoded bytes, valid UTF-8 or not. */
const encodedBytes = fc
  .uint8Array({ minLength: 1, maxLength: 12 })
  .map((bytes) => [...bytes].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join(''));

/** A path segment: a valid value sometimes, otherwise traversal, encodings, very long, unicode or empty. */
export function pathSegment(valid: string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...valid) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        ...valid.map((value) => value.toUpperCase()),
        ...valid.map((value) => `${value}/`),
        ...valid.map((value) => `${value}%20`),
      ),
    },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        '',
        '.',
        '..',
        '%2e%2e',
        '..%2F..%2Fetc',
        '%2F',
        '%00',
        '%',
        '%zz',
        '%E0%A4%A',
        '~',
        '*',
        ';x=1',
        '%20',
        '+',
        '%2B',
        '@',
        ':',
        '%3A',
        '%5C',
        'a%00b',
      ),
    },
    { weight: 3, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }).map(encodeURIComponent) },
    { weight: 1, arbitrary: fc.integer({ min: 129, max: 4000 }).map((length) => 'a'.repeat(length)) },
    { weight: 1, arbitrary: encodedBytes },
    { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 20 }).map(encodeURIComponent) },
  );
}

/** Cursors as the service encodes them (base64url JSON), of keys it would never issue. */
const craftedCursors = ['alice', '\u0000', 'not-a-uuid', '00000000-0000-4000-8000-000000000000', 'x'.repeat(300)].map((key) =>
  Buffer.from(JSON.stringify(key)).toString('base64url'),
);

const queryValue = fc.oneof(
  fc.constantFrom(
    '',
    'true',
    'false',
    '1',
    '25',
    '100',
    '0',
    '-1',
    '1.5',
    '101',
    '1e3',
    'NaN',
    'null',
    '[]',
    '{}',
    'RUNNING',
    'x'.repeat(3000),
    ...craftedCursors,
  ),
  fc.string({ unit: 'grapheme', maxLength: 30 }).map(encodeURIComponent),
  encodedBytes,
);

/** A query string over the declared names and others, with repeats, brackets and pollution keys. */
export function queryArbitrary(names: string[]): fc.Arbitrary<string> {
  const key = fc.oneof(
    { weight: 4, arbitrary: names.length > 0 ? fc.constantFrom(...names) : fc.constant('q') },
    {
      weight: 1,
      arbitrary: fc.constantFrom('__proto__', 'constructor', '__proto__[polluted]', 'constructor[prototype][polluted]', 'a[b]', 'a[]', ''),
    },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 10 }).map(encodeURIComponent) },
  );
  const pair = fc.oneof(
    { weight: 5, arbitrary: fc.tuple(key, queryValue).map(([k, v]) => `${k}=${v}`) },
    { weight: 1, arbitrary: key },
    { weight: 1, arbitrary: fc.constantFrom('&', '=', '==', '%', '&&=&', 'a=%') },
  );
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant('') },
    { weight: 3, arbitrary: fc.array(pair, { minLength: 1, maxLength: 5 }).map((pairs) => `?${pairs.join('&')}`) },
  );
}

/** A header value Node will send: printable ASCII, sometimes the valid one. */
export function headerValue(valid: string[]): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom(...valid, ''),
    fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)), maxLength: 300 }),
  );
}
