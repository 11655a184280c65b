/**
 * Compiled Action and Resource patterns for the evaluator. Each pattern string is parsed
 * once and cached (bounded, oldest evicted first), because the evaluator runs in tight
 * property-test loops and, potentially, per request.
 *
 * A Resource pattern is split into tokens: `*` (any sequence), text (`?` is one character,
 * everything else literal), escapes `${*}` `${?}` `${$}` (literal characters) and policy
 * variables. The RegExp is built from the tokens with variable values escaped, rather than by
 * substituting text and re-parsing it, so neither an escape nor a value (a client id `a*`)
 * can ever act as a wildcard.
 */

type Token = { kind: 'star' } | { kind: 'text'; source: string } | { kind: 'variable'; name: string };

/** Looks up a policy variable's value; undefined means "no value", and the pattern then fails. */
export type VariableLookup = (name: string) => string | undefined;

export class ResourcePattern {
  private readonly fixed: RegExp | undefined;

  constructor(private readonly tokens: Token[]) {
    // Without variables the RegExp never changes: build it once.
    const constant = tokens.every((token) => token.kind !== 'variable');
    this.fixed = constant ? anchored(regexSource(tokens, () => undefined)!) : undefined;
  }

  matches(resource: string, lookup: VariableLookup): boolean {
    if (this.fixed) return this.fixed.test(resource);
    const source = regexSource(this.tokens, lookup);
    return source !== undefined && anchored(source).test(resource);
  }
}

const MAX_CACHED = 2000;
const actions = new Map<string, RegExp>();
const resources = new Map<string, ResourcePattern>();
const regexps = new Map<string, RegExp>();

/** An Action pattern (`iot:Pub*`) as a case-insensitive RegExp. */
export function compileAction(pattern: string): RegExp {
  return cached(actions, pattern, () => new RegExp(`^${regexSource(globTokens(pattern), () => undefined)}$`, 'isu'));
}

export function compileResource(pattern: string): ResourcePattern {
  return cached(resources, pattern, () => new ResourcePattern(parseResource(pattern)));
}

const ESCAPES: Record<string, string> = { '*': '*', '?': '?', $: '$' };

function parseResource(pattern: string): Token[] {
  const tokens: Token[] = [];
  let rest = pattern;
  while (rest !== '') {
    const start = rest.indexOf('${');
    const end = start < 0 ? -1 : rest.indexOf('}', start + 2);
    if (end < 0) {
      // No (complete) variable left: the rest is wildcard text, `${` included literally.
      tokens.push(...globTokens(rest));
      break;
    }
    tokens.push(...globTokens(rest.slice(0, start)));
    const name = rest.slice(start + 2, end);
    const escaped = ESCAPES[name];
    tokens.push(escaped !== undefined ? { kind: 'text', source: escapeRegExp(escaped) } : { kind: 'variable', name });
    rest = rest.slice(end + 1);
  }
  return tokens;
}

/** `*` → star tokens (runs collapse to one), `?` → any one character, the rest literal. */
function globTokens(text: string): Token[] {
  const tokens: Token[] = [];
  text.split(/\*+/).forEach((piece, index) => {
    if (index > 0) tokens.push({ kind: 'star' });
    if (piece !== '') tokens.push({ kind: 'text', source: piece.split('?').map(escapeRegExp).join('.') });
  });
  return tokens;
}

/**
 * The RegExp source for the tokens, or undefined when a variable has no value. The text
 * between stars has a fixed length, so a glob matches iff each chunk can be placed at its
 * leftmost position after the previous one (leftmost leaves the most room for the rest).
 * Every star but the last is therefore compiled as "jump to the leftmost next chunk" inside a
 * lookahead, which JavaScript never backtracks into, then consumed by a backreference. A naive
 * `.*a.*a.*a.*b` takes seconds on a 120-character ARN; this stays linear per star.
 */
function regexSource(tokens: Token[], lookup: VariableLookup): string | undefined {
  const chunks = [''];
  for (const token of tokens) {
    if (token.kind === 'star') {
      chunks.push('');
      continue;
    }
    const source = token.kind === 'text' ? token.source : valueSource(lookup(token.name));
    if (source === undefined) return undefined;
    chunks[chunks.length - 1] += source;
  }
  if (chunks.length === 1) return chunks[0];
  const last = chunks.pop();
  const [first, ...middle] = chunks;
  return first + middle.map((chunk, i) => `(?=(.*?${chunk}))(?:\\${i + 1})`).join('') + `.*${last}`;
}

function valueSource(value: string | undefined): string | undefined {
  return value === undefined ? undefined : escapeRegExp(value);
}

function anchored(source: string): RegExp {
  return cached(regexps, source, () => new RegExp(`^${source}$`, 'su'));
}

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}

function cached<V>(cache: Map<string, V>, key: string, create: () => V): V {
  let value = cache.get(key);
  if (value === undefined) {
    if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value as string);
    value = create();
    cache.set(key, value);
  }
  return value;
}
