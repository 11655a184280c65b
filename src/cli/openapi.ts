import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { renderOpenApi } from './openapi-document.js';

/** `npm run openapi`: writes openapi.json, which is committed and checked against the code by a test. */
renderOpenApi()
  .then((json) => {
    writeFileSync('openapi.json', json);
    process.stdout.write('wrote openapi.json\n');
  })
  .catch((error: unknown) => {
    process.stderr.write(`could not render the OpenAPI document: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
