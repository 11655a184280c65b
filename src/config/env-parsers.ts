/**
 * Small, strict readers for environment variables. Each failure names the variable,
 * so a malformed deployment stops at boot with a message an operator can act on.
 */
export type Env = Record<string, string | undefined>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

export class EnvReader {
  readonly problems: string[] = [];

  constructor(private readonly env: Env) {}

  /** Unset and empty both mean "not given". */
  raw(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  }

  string(name: string, options: { pattern?: RegExp; rule?: string; minLength?: number } = {}): string | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    if (options.minLength !== undefined && value.length < options.minLength) {
      return this.fail(name, `must be at least ${options.minLength} characters`);
    }
    if (options.pattern && !options.pattern.test(value)) {
      return this.fail(name, options.rule ?? `must match ${options.pattern}`);
    }
    return value;
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
      return this.fail(name, `must be an integer from ${min} to ${max}, got "${value}"`) ?? fallback;
    }
    return parsed;
  }

  bool(name: string, fallback: boolean): boolean {
    const value = this.raw(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if (['true', '1', 'yes'].includes(value)) return true;
    if (['false', '0', 'no'].includes(value)) return false;
    return this.fail(name, `must be true or false, got "${value}"`) ?? fallback;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(value)) {
      return this.fail(name, `must be one of ${allowed.join(', ')}, got "${value}"`) ?? fallback;
    }
    return value as T;
  }

  url(name: string, protocols: string[]): string | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    try {
      const parsed = new URL(value);
      if (!protocols.includes(parsed.protocol)) {
        return this.fail(name, `must be a ${protocols.join(' or ')} URL`);
      }
      return value;
    } catch {
      return this.fail(name, 'must be a valid URL');
    }
  }

  list(name: string, item?: (value: string) => string | undefined): string[] {
    const value = this.raw(name);
    if (value === undefined) return [];
    const items = value
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part !== '');
    for (const entry of items) {
      const problem = item?.(entry);
      if (problem) this.fail(name, problem);
    }
    return items;
  }

  /**
   * Which proxies' X-Forwarded-For to believe: unset or false (none: the socket's address is the
   * client), or the load balancers' addresses/CIDRs. `true` is refused: it would let any client
   * choose its own address and walk around per-address limits.
   */
  trustProxy(name: string): false | string[] {
    const value = this.raw(name);
    if (value === undefined || value.toLowerCase() === 'false') return false;
    return this.list(name, (entry) =>
      /^[\d.:a-fA-F]+(\/\d{1,3})?$/.test(entry) ? undefined : `must be false or proxy addresses/CIDRs, got "${entry}"`,
    );
  }

  /** `Name=number,Name=number`, for per-API overrides. */
  numberMap(name: string, min: number, max: number): Record<string, number> {
    const result: Record<string, number> = {};
    for (const pair of this.list(name)) {
      const [key, raw] = pair.split('=').map((part) => part.trim());
      const parsed = Number(raw);
      if (!key || !Number.isFinite(parsed) || parsed < min || parsed > max) {
        this.fail(name, `entries must look like Name=number (${min}..${max}), got "${pair}"`);
        continue;
      }
      result[key] = parsed;
    }
    return result;
  }

  private fail(name: string, rule: string): undefined {
    this.problems.push(`${name} ${rule}`);
    return undefined;
  }
}
