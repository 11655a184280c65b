import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DomainError } from '../../../src/common/errors/domain-error.js';
import {
  NAME_PATTERN,
  NAME_RULE,
  assertSafeName,
  deviceClientId,
  devicePolicyName,
  deviceTopicPrefix,
  entitlementPolicyName,
  parseSiteThingName,
  siteCommandsPrefix,
  siteDeviceCommandsPrefix,
  siteDeviceTopicPrefix,
  siteThingName,
  siteTopicPrefix,
  isUserClientId,
  nameProblem,
  parsePolicyName,
  parseThingName,
  thingName,
  userClientIds,
  userPolicyName,
  userTopicPrefix,
} from '../../../src/policy/names.js';

const name48 = 'a'.repeat(48);

describe('safe names', () => {
  it.each(['a', '0', 'alice', 'scanner-1', '1-a', 'a-', name48])('accepts %j', (value) => {
    expect(nameProblem(value)).toBeUndefined();
    expect(assertSafeName('username', value)).toBe(value);
  });

  it.each([
    ['wildcard *', 'a*'],
    ['wildcard ?', 'a?'],
    ['topic level /', 'a/b'],
    ['MQTT +', 'a+'],
    ['MQTT #', 'a#'],
    ['ARN colon', 'a:b'],
    ['client id dot', 'a.b'],
    ['space', 'a b'],
    ['tab', 'a\tb'],
    ['newline', 'a\n'],
    ['uppercase', 'Alice'],
    ['separator _', 'a_b'],
    ['empty', ''],
    ['49 characters', 'a'.repeat(49)],
    ['leading hyphen', '-a'],
    ['non-ASCII', 'ålice'],
  ])('rejects %s (%j) with the rule in the message', (_label, value) => {
    expect(nameProblem(value)).toEqual(expect.any(String));
    const error = catchError(() => assertSafeName('device name', value));
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({
      code: 'VALIDATION_FAILED',
      message: `device name is invalid: ${NAME_RULE}`,
      details: { field: 'device name', rule: NAME_RULE },
    });
  });

  it.each([undefined, null, 42, ['alice'], { toString: () => 'alice' }])('rejects non-string %j', (value) => {
    expect(() => assertSafeName('name', value)).toThrow(DomainError);
  });

  it('nameProblem agrees with NAME_PATTERN on arbitrary strings', () => {
    const chars = fc.constantFrom(...'ab0-_.*/+#: A\u00e5'.split(''));
    fc.assert(
      fc.property(fc.string({ unit: chars, maxLength: 52 }), (value) => {
        expect(nameProblem(value) === undefined).toBe(NAME_PATTERN.test(value));
      }),
    );
  });
});

describe('composed names', () => {
  it('composes with the prefix and "_"', () => {
    expect(userPolicyName('iotp', 'alice')).toBe('iotp_alice');
    expect(thingName('iotp', 'alice', 'scanner1')).toBe('iotp_alice_scanner1');
    expect(devicePolicyName('iotp', 'alice', 'scanner1')).toBe('iotp_alice_scanner1');
    expect(deviceClientId('iotp_alice_scanner1')).toBe('iotp_alice_scanner1');
  });

  it('keeps user a-b + device c apart from user a + device b-c', () => {
    expect(thingName('iotp', 'a-b', 'c')).not.toBe(thingName('iotp', 'a', 'b-c'));
    expect(devicePolicyName('iotp', 'a-b', 'c')).not.toBe(devicePolicyName('iotp', 'a', 'b-c'));
  });

  it('rejects unsafe parts and a bad prefix instead of composing them', () => {
    expect(() => thingName('iotp', 'a_b', 'c')).toThrow(DomainError);
    expect(() => userPolicyName('iotp', 'alice/x')).toThrow(DomainError);
    expect(() => userPolicyName('Iot_p', 'alice')).toThrow(/resource prefix/);
  });

  it('parses its own names back and ignores foreign ones', () => {
    expect(parseThingName('iotp', 'iotp_a-b_c')).toEqual({ username: 'a-b', device: 'c' });
    expect(parsePolicyName('iotp', 'iotp_alice')).toEqual({ kind: 'user', username: 'alice', slot: 1 });
    expect(parsePolicyName('iotp', 'iotp_alice_scanner1')).toEqual({
      kind: 'device',
      username: 'alice',
      device: 'scanner1',
    });
    for (const foreign of ['iot_alice', 'iotpx_alice', 'iotp_', 'iotp_alice_', 'iotp_a_b_c', 'iotp_Alice', 'other']) {
      expect(parsePolicyName('iotp', foreign)).toBeUndefined();
    }
    expect(parseThingName('iotp', 'iotp_alice')).toBeUndefined();
    expect(parseThingName('iot', 'iotp_alice_scanner1')).toBeUndefined();
  });

  it('round-trips, and user and device policy names never collide', () => {
    const name = fc.stringMatching(/^[ab01][ab01-]{0,5}$/);
    fc.assert(
      fc.property(name, name, name, (user, owner, device) => {
        expect(parseThingName('iotp', thingName('iotp', owner, device))).toEqual({ username: owner, device });
        expect(parsePolicyName('iotp', userPolicyName('iotp', user))).toEqual({ kind: 'user', username: user, slot: 1 });
        expect(userPolicyName('iotp', user)).not.toBe(devicePolicyName('iotp', owner, device));
      }),
    );
  });
});

describe('sites', () => {
  const name = fc.stringMatching(/^[ab01][ab01-]{0,4}$/);

  it('composes site thing names in their own namespace and parses them back', () => {
    expect(siteThingName('iotp', 'dock', 'reader-1')).toBe('iotp-site_dock_reader-1');
    expect(parseSiteThingName('iotp', 'iotp-site_dock_reader-1')).toEqual({ site: 'dock', device: 'reader-1' });
    expect(parsePolicyName('iotp', 'iotp-site_dock_reader-1')).toEqual({ kind: 'site-device', site: 'dock', device: 'reader-1' });
    expect(parsePolicyName('iotp', 'iotp_alice.2')).toEqual({ kind: 'user', username: 'alice', slot: 2 });
    for (const foreign of ['iotp_alice.1', 'iotp_alice.11', 'iotp_a_b.2', 'iotpx-site_a_b', 'iotp-site_a', 'iotp-site_a_b_c']) {
      expect(parsePolicyName('iotp', foreign)).toBeUndefined();
    }
    expect(entitlementPolicyName('iotp', 'alice', 1)).toBe('iotp_alice');
    expect(() => entitlementPolicyName('iotp', 'alice', 11)).toThrow();
  });

  it('never lets two principals share a policy name, a client id or a topic space, whatever the names', () => {
    fc.assert(
      fc.property(name, name, name, name, fc.integer({ min: 1, max: 10 }), (user, owner, site, device, slot) => {
        const names = [entitlementPolicyName('iotp', user, slot), devicePolicyName('iotp', owner, device), siteThingName('iotp', site, device)];
        expect(new Set(names).size).toBe(3);
        expect(parsePolicyName('iotp', names[0]!)).toEqual({ kind: 'user', username: user, slot });
        expect(parsePolicyName('iotp', names[2]!)).toEqual({ kind: 'site-device', site, device });
        // A user's client ids (`user`, `user.*`) never take a device's or a site device's.
        expect(isUserClientId(user, thingName('iotp', owner, device))).toBe(false);
        expect(isUserClientId(user, siteThingName('iotp', site, device))).toBe(false);
        // Topic spaces: a user's subtree holds its own devices' and nothing of any site; a site's holds its devices' only.
        const spaces = [
          userTopicPrefix(user),
          deviceTopicPrefix(owner, device),
          siteTopicPrefix(site),
          siteDeviceTopicPrefix(site, device),
          siteDeviceCommandsPrefix(site, device),
        ];
        const [userSpace, userDevice, siteSpace, siteDevice, commands] = spaces as [string, string, string, string, string];
        for (const space of [siteSpace, siteDevice, commands]) {
          expect(space.startsWith(userSpace) || userSpace.startsWith(space)).toBe(false);
          expect(space.startsWith(userDevice) || userDevice.startsWith(space)).toBe(false);
        }
        expect(siteDevice.startsWith(siteSpace) && commands.startsWith(siteCommandsPrefix(site))).toBe(true);
        // A device's own subtree and its commands are apart: publishing as the device never reaches the command space.
        expect(commands.startsWith(siteDevice) || siteDevice.startsWith(commands)).toBe(false);
        expect(siteDeviceTopicPrefix(site, device).startsWith(siteCommandsPrefix(site))).toBe(false);
      }),
    );
  });

  it('keeps two sites and two site devices apart', () => {
    fc.assert(
      fc.property(name, name, name, name, (a, b, d, e) => {
        fc.pre(a !== b || d !== e);
        expect(siteThingName('iotp', a, d)).not.toBe(siteThingName('iotp', b, e));
        expect(siteDeviceTopicPrefix(a, d).startsWith(siteDeviceTopicPrefix(b, e))).toBe(false);
        if (a !== b) expect(siteTopicPrefix(a).startsWith(siteTopicPrefix(b))).toBe(false);
      }),
    );
  });
});

describe('client ids and topics', () => {
  it('grants a user its name and name.<suffix> as client ids', () => {
    expect(userClientIds('alice')).toEqual(['alice', 'alice.*']);
    expect(isUserClientId('alice', 'alice')).toBe(true);
    expect(isUserClientId('alice', 'alice.tab')).toBe(true);
  });

  it.each([
    ['alice', 'alice-b'],
    ['alice', 'alicex'],
    ['al', 'alice'],
    ['alice', 'bob'],
    ['alice', 'iotp_alice_scanner1'],
    ['a.b', 'a.b'],
  ])('isUserClientId(%j, %j) is false', (username, clientId) => {
    expect(isUserClientId(username, clientId)).toBe(false);
  });

  it('builds topic prefixes that end at a level boundary', () => {
    expect(userTopicPrefix('alice')).toBe('alice/');
    expect(deviceTopicPrefix('alice', 'scanner1')).toBe('alice/scanner1/');
    expect(() => deviceTopicPrefix('alice', '#')).toThrow(DomainError);
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}
