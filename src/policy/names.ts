/**
 * Safe names, and the AWS names, client ids and topics composed from them.
 *
 * Usernames and device names end up inside IoT policy Resource ARNs, MQTT client ids and
 * topics, so the name set decides whether one principal's grant can match another's
 * resources. A safe name is 1-48 characters of lowercase ASCII letters, digits and hyphen,
 * starting with a letter or digit. That excludes:
 * - `*` and `?`: wildcards in policy Resource ARNs; a name `a*` would grant `a...` to anyone.
 * - `/`: the topic level separator; `alice/x` as a name would reach into alice's topics.
 * - `+` and `#`: MQTT topic filter wildcards (literal in policies, but meaningful to brokers).
 * - `:`: the ARN field separator, also forbidden in policy names.
 * - `.`: reserved for user client id suffixes (`alice.tablet`); see `userClientIds`.
 * - `_`: reserved as the separator of composed names (below).
 * - uppercase: Cognito user pools may be case-insensitive while topics are case-sensitive,
 *   so `Alice` and `alice` could be one account with two topic spaces.
 * - whitespace and everything non-ASCII.
 * 48 characters keeps `<prefix>_<user>_<device>` (at most 16+1+48+1+48 = 114) under the
 * 128-character limits of thing names, policy names and client ids.
 *
 * Composed names join parts with `_`. It is valid in thing names (`[a-zA-Z0-9:_-]`) and policy
 * names (`[\w+=,.@-]`) and never occurs inside a safe name or a resource prefix
 * (`^[a-z][a-z0-9]{0,15}$`, validated with the config), so composition is injective: user `a-b`
 * with device `c` and user `a` with device `b-c` give different names, and a user policy name
 * (one separator) never equals a device policy name (two).
 */
import { DomainError } from '../common/errors/domain-error.js';

export const NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,47}$/;
export const NAME_MAX_LENGTH = 48;
export const NAME_RULE = '1-48 characters: lowercase letters, digits and hyphens, starting with a letter or digit';

/** The resource prefix rule; config validates it at boot, composition re-checks it. */
export const PREFIX_PATTERN = /^[a-z][a-z0-9]{0,15}$/;

export const SEPARATOR = '_';

export type NameField = 'username' | 'name' | 'device name' | 'site name';

/** Why `value` is not a safe name, or undefined when it is one. */
export function nameProblem(value: string): string | undefined {
  if (value.length === 0) return 'must not be empty';
  if (value.length > NAME_MAX_LENGTH) return `must be at most ${NAME_MAX_LENGTH} characters`;
  const bad = [...value].find((ch) => !/^[a-z0-9-]$/.test(ch));
  if (bad !== undefined) return `must not contain ${JSON.stringify(bad)}`;
  if (value.startsWith('-')) return 'must start with a letter or digit';
  return undefined;
}

/** Returns `value` when it is a safe name; otherwise throws VALIDATION_FAILED. */
export function assertSafeName(field: NameField, value: unknown): string {
  if (typeof value === 'string' && NAME_PATTERN.test(value)) return value;
  throw new DomainError('VALIDATION_FAILED', `${field} is invalid: ${NAME_RULE}`, {
    field,
    rule: NAME_RULE,
  });
}

export function userPolicyName(prefix: string, username: string): string {
  return join(prefix, assertSafeName('username', username));
}

export function thingName(prefix: string, username: string, device: string): string {
  return join(prefix, assertSafeName('username', username), assertSafeName('device name', device));
}

/** Same text as the thing name: policies and things are separate AWS namespaces. */
export function devicePolicyName(prefix: string, username: string, device: string): string {
  return thingName(prefix, username, device);
}

/** The owner and device of one of our thing names, or undefined when it is not ours. */
export function parseThingName(prefix: string, name: string): { username: string; device: string } | undefined {
  const parts = splitOwn(prefix, name);
  if (parts?.length !== 2) return undefined;
  const [username, device] = parts as [string, string];
  return { username, device };
}

export type ParsedPolicyName =
  | { kind: 'user'; username: string; slot: number }
  | { kind: 'device'; username: string; device: string }
  | { kind: 'site-device'; site: string; device: string };

/**
 * A user holds up to MAX_POLICIES_PER_PRINCIPAL policies: slot 1 is `<prefix>_<user>` (the one
 * every user has), slots 2.. are `<prefix>_<user>.<slot>`. `.` is valid in policy names and outside
 * the safe set, so no slot name equals a device policy name or another user's.
 */
export function entitlementPolicyName(prefix: string, username: string, slot: number): string {
  if (!Number.isInteger(slot) || slot < 1 || slot > MAX_POLICIES_PER_PRINCIPAL) throw new Error(`policy slot ${slot} is out of range`);
  const base = userPolicyName(prefix, username);
  return slot === 1 ? base : `${base}.${slot}`;
}

/** AWS: at most 10 policies attached to one certificate or Cognito identity. */
export const MAX_POLICIES_PER_PRINCIPAL = 10;

/** Which of our policies `name` is, or undefined when it does not carry our prefix and shape. */
export function parsePolicyName(prefix: string, name: string): ParsedPolicyName | undefined {
  const site = parseSiteThingName(prefix, name);
  if (site) return { kind: 'site-device', ...site };
  const slotted = /^(.*)\.([2-9]|10)$/.exec(name);
  if (slotted) {
    const parts = splitOwn(prefix, slotted[1] as string);
    return parts?.length === 1 ? { kind: 'user', username: parts[0] as string, slot: Number(slotted[2]) } : undefined;
  }
  const parts = splitOwn(prefix, name);
  if (parts?.length === 1) return { kind: 'user', username: parts[0] as string, slot: 1 };
  if (parts?.length === 2) {
    const [username, device] = parts as [string, string];
    return { kind: 'device', username, device };
  }
  return undefined;
}

/**
 * The client ids a user may connect with, as policy resource patterns: exactly `username`,
 * and `username.*` for apps holding several connections (`alice.tablet`). Because `.` is
 * outside the safe set, `alice.*` never matches another user's id (`alice-b`, `alicex`), and
 * device client ids start with `<prefix>_`, which no safe username does.
 */
export function userClientIds(username: string): string[] {
  assertSafeName('username', username);
  return [username, `${username}.*`];
}

/** True when `clientId` is one `userClientIds(username)` grants (mirrors the policy exactly). */
export function isUserClientId(username: string, clientId: string): boolean {
  if (!NAME_PATTERN.test(username)) return false;
  return clientId === username || clientId.startsWith(`${username}.`);
}

/** A device connects with its thing name as client id, so thing policy variables resolve. */
export function deviceClientId(thing: string): string {
  return thing;
}

export function userTopicPrefix(username: string): string {
  return `${assertSafeName('username', username)}/`;
}

export function deviceTopicPrefix(username: string, device: string): string {
  return `${userTopicPrefix(username)}${assertSafeName('device name', device)}/`;
}

/**
 * Site devices live in their own namespace, `<prefix>-site_<site>_<device>`: the prefix never
 * holds `-`, so nothing of a user (`<prefix>_...`) starts this way, and site and user names may
 * repeat one another freely. Also the device's policy name and its client id.
 */
export function siteThingName(prefix: string, site: string, device: string): string {
  return join(`${prefix}${SITE_MARK}`, assertSafeName('site name', site), assertSafeName('device name', device));
}

/** The site and device of one of our site thing (or policy) names, or undefined. */
export function parseSiteThingName(prefix: string, name: string): { site: string; device: string } | undefined {
  if (!PREFIX_PATTERN.test(prefix)) return undefined;
  const head = `${prefix}${SITE_MARK}${SEPARATOR}`;
  if (!name.startsWith(head)) return undefined;
  const parts = name.slice(head.length).split(SEPARATOR);
  if (parts.length !== 2 || !parts.every((part) => NAME_PATTERN.test(part))) return undefined;
  const [site, device] = parts as [string, string];
  return { site, device };
}

/**
 * Site topics start with `_sites/`, a level no username can be (`_` is outside the safe set), so
 * they never meet a user's `<user>/...`. Members hear `_sites/<site>/...`; each device publishes
 * under `_sites/<site>/<device>/`; commands to it travel on `_sites/<site>/_cmd/<device>/`, a
 * subtree no device name can reach (`_cmd` is not a safe name), so an operator's right to send
 * commands never lets them publish as a device.
 */
export const SITE_TOPIC_ROOT = '_sites';

export function siteTopicPrefix(site: string): string {
  return `${SITE_TOPIC_ROOT}/${assertSafeName('site name', site)}/`;
}

export function siteDeviceTopicPrefix(site: string, device: string): string {
  return `${siteTopicPrefix(site)}${assertSafeName('device name', device)}/`;
}

/** Where operators publish commands for every device of the site. */
export function siteCommandsPrefix(site: string): string {
  return `${siteTopicPrefix(site)}${COMMANDS_LEVEL}/`;
}

/** Where one site device hears its commands. */
export function siteDeviceCommandsPrefix(site: string, device: string): string {
  return `${siteCommandsPrefix(site)}${assertSafeName('device name', device)}/`;
}

const SITE_MARK = '-site';
const COMMANDS_LEVEL = '_cmd';

function join(prefix: string, ...names: string[]): string {
  if (!PREFIX_PATTERN.test(prefix.endsWith(SITE_MARK) ? prefix.slice(0, -SITE_MARK.length) : prefix)) {
    // The prefix comes from validated config, so a bad one here is a programming error.
    throw new Error(`resource prefix ${JSON.stringify(prefix)} does not match ${PREFIX_PATTERN}`);
  }
  return [prefix, ...names].join(SEPARATOR);
}

/** The safe names after `<prefix>_`, or undefined when `name` is not ours. */
function splitOwn(prefix: string, name: string): string[] | undefined {
  const head = `${prefix}${SEPARATOR}`;
  if (!PREFIX_PATTERN.test(prefix) || !name.startsWith(head)) return undefined;
  const parts = name.slice(head.length).split(SEPARATOR);
  return parts.every((part) => NAME_PATTERN.test(part)) ? parts : undefined;
}
