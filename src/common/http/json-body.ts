import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { RawServerDefault } from 'fastify';
import { DomainError } from '../errors/domain-error.js';

/** No request body of this API nests deeper than a few levels; 32 leaves room and stops abuse. */
export const MAX_JSON_DEPTH = 32;

/** Media types a browser may post cross-site without a CORS preflight, besides multipart (which has no parser at all). */
const SIMPLE_FORM_TYPES = ['application/x-www-form-urlencoded'];

/**
 * Bodies are JSON only. A form-encoded or text/plain body is what any web page can make a browser
 * send to this API cross-site, without a preflight: refused with 415 before any handler runs, so
 * a page cannot post sign-in attempts through its visitors' browsers.
 *
 * JSON bodies go through Fastify's own parser (prototype and constructor poisoning refused), after a
 * nesting check. Everything after parsing walks bodies recursively (class-transformer, the
 * idempotency hash), so `[[[[…]]]]` within the body limit would overflow the stack: a 500. Refused
 * here, before any of it runs, with a 400.
 */
export function useJsonBodies(app: NestFastifyApplication, bodyLimit: number): void {
  const fastify = app.getHttpAdapter().getInstance();
  const parse = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser('text/plain');
  // Registered here so Nest does not register its own form parser at init.
  app.useBodyParser<RawServerDefault>(SIMPLE_FORM_TYPES, { bodyLimit }, (_request, _body, done) => {
    done(new DomainError('UNSUPPORTED_MEDIA_TYPE', 'Send the request body as application/json'), undefined);
  });
  app.useBodyParser<RawServerDefault>('application/json', { bodyLimit }, (request, body, done) => {
    const text = body.toString('utf8');
    if (nestingDepth(text) > MAX_JSON_DEPTH) {
      done(DomainError.validation(`The request body nests deeper than ${MAX_JSON_DEPTH} levels`, { maxDepth: MAX_JSON_DEPTH }), undefined);
      return;
    }
    parse(request, text, done);
  });
}

/** The deepest nesting of objects and arrays in JSON text (brackets inside strings do not count); stops past the limit. */
export function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') {
      inString = true;
    } else if (ch === '{' || ch === '[') {
      deepest = Math.max(deepest, ++depth);
      if (deepest > MAX_JSON_DEPTH) return deepest;
    } else if (ch === '}' || ch === ']') {
      depth--;
    }
  }
  return deepest;
}
