import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderOpenApi } from '../../src/cli/openapi-document.js';

describe('openapi.json', () => {
  it('matches the code (run `npm run openapi` and commit the result after changing the API)', async () => {
    const committed = readFileSync('openapi.json', 'utf8');
    const generated = await renderOpenApi();
    expect(JSON.parse(generated)).toEqual(JSON.parse(committed));
  });

  it('documents every operation with a summary and every schema property with an example or description', async () => {
    const document = JSON.parse(await renderOpenApi()) as {
      paths: Record<string, Record<string, { summary?: string }>>;
      components: {
        schemas: Record<
          string,
          { properties?: Record<string, { example?: unknown; description?: string; $ref?: string; items?: unknown; allOf?: unknown }> }
        >;
      };
    };
    const missingSummary = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods)
        .filter(([, operation]) => !operation.summary)
        .map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    expect(missingSummary).toEqual([]);
    const undocumented = Object.entries(document.components.schemas).flatMap(([schema, { properties = {} }]) =>
      Object.entries(properties)
        .filter(([, property]) => property.example === undefined && !property.description && !property.$ref && !property.allOf && !property.items)
        .map(([name]) => `${schema}.${name}`),
    );
    expect(undocumented).toEqual([]);
  });
});
