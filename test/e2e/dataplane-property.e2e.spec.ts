/**
 * Random principals publish random topics to random filters through the local broker, and what
 * arrives must be exactly what the policies the service attached allow.
 *
 * Oracle: a model of the README's naming rules (a user may use topics and filters under `<user>/`,
 * a device those under `<user>/<device>/`) and MQTT's own filter matching, written here; it shares
 * no code with the broker, which evaluates the attached policy documents with src/policy/evaluator.ts
 * and matches filters with aedes.
 *
 * "Nothing else arrived" is checked with a fence: after the publisher's PUBACK (the broker has then
 * handed the message to every subscriber: deliveries here are QoS 0, written during the publish),
 * the subscriber publishes to its own fence topic; every message published before must be there first.
 */
import fc from 'fast-check';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Inbox } from '../dataplane/inbox.js';
import { startLocalService, type LocalService } from '../dataplane/local-service.js';
import { ServiceClient, type RegisteredDevice, type SignedInUser } from '../dataplane/service-client.js';
import { closeAllClients, closed, connected, subscribeCodes } from '../support/mqtt-clients.js';

interface Principal {
  label: string;
  /** The topic space the naming rules give it. */
  space: string;
  open: () => Promise<MqttClient>;
  client?: MqttClient;
  inbox?: Inbox;
}

/** MQTT 3.1.1 filter matching, section 4.7. */
function filterMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

/** A level separator after a non-empty start that lacks one. */
const slash = (start: string) => (start === '' || start.endsWith('/') ? start : `${start}/`);

describe('data plane property: what arrives is exactly what the policies allow', () => {
  let local: LocalService;
  let principals: Principal[];
  let users: string[];

  beforeAll(async () => {
    local = await startLocalService('pp');
    const service = new ServiceClient(local.target);
    const [u1, u2] = await Promise.all([service.createUser('u1'), service.createUser('u2')]);
    const devices = await Promise.all([
      service.registerDevice(u1.username, 'd1'),
      service.registerDevice(u1.username, 'd2'),
      service.registerDevice(u2.username, 'd1'),
    ]);
    users = [u1.username, u2.username];
    const user = (u: SignedInUser): Principal => ({ label: u.username, space: `${u.username}/`, open: () => service.openUser(u) });
    const device = (d: RegisteredDevice): Principal => ({ label: d.thingName, space: `${d.owner}/${d.name}/`, open: () => service.openDevice(d) });
    principals = [user(u1), user(u2), ...devices.map(device)];
    for (const p of principals) await reopen(p);
  });

  afterAll(async () => {
    await closeAllClients();
    await local?.stop();
  });

  async function reopen(p: Principal): Promise<void> {
    p.client = await connected(await p.open());
    p.inbox = new Inbox(p.client);
    expect(await subscribeCodes(p.client, `${p.space}fence`)).toEqual([0]);
  }

  it('for random subscriber, filter, publisher and topic', async () => {
    const level = () => fc.constantFrom(...users, 'pp-u1', 'd1', 'd2', 'x');
    // Half of the topics and filters start in some principal's space, so allowed deliveries are common too.
    const space = () => fc.constantFrom('', ...principals.map((p) => p.space), ...principals.map((p) => p.space.slice(0, -1)));
    const topic = fc.tuple(space(), fc.array(level(), { minLength: 1, maxLength: 3 })).map(([start, levels]) => slash(start) + levels.join('/'));
    const filter = fc
      .tuple(space(), fc.array(fc.oneof(level(), fc.constant('+')), { minLength: 0, maxLength: 2 }), fc.boolean())
      .map(([start, levels, hash]) => slash(start) + [...levels, ...(hash || levels.length === 0 ? ['#'] : [])].join('/'))
      .filter((f) => !f.includes('//') && !f.startsWith('/'));
    const index = fc.nat({ max: principals.length - 1 });
    /** A topic the filter matches: each `+` one level, `#` zero to two levels. */
    const instance = (f: string) =>
      fc
        .tuple(
          ...f
            .split('/')
            .map((part) => (part === '+' ? level() : part === '#' ? fc.array(level(), { maxLength: 2 }).map((l) => l.join('/')) : fc.constant(part))),
        )
        .map((parts) => parts.filter((part) => part !== '').join('/'));
    /** Subscriber, filter, publisher, topic: half the topics match the filter, half the publishers may publish the topic. */
    const world = index.chain((s) =>
      filter.chain((f) =>
        fc.oneof(topic, instance(f)).chain((t) => {
          const owners = principals.flatMap((p, i) => (t.startsWith(p.space) ? [i] : []));
          return fc.tuple(fc.constant(s), fc.constant(f), owners.length > 0 ? fc.oneof(index, fc.constantFrom(...owners)) : index, fc.constant(t));
        }),
      ),
    );
    let run = 0;
    const seen = { delivered: 0, withheld: 0, refusedPublish: 0, refusedSubscribe: 0 };
    await fc.assert(
      fc.asyncProperty(world, async ([s, f, p, t]) => {
        run += 1;
        const subscriber = principals[s]!;
        const publisher = principals[p]!;
        const maySubscribe = f.startsWith(subscriber.space);
        expect(await subscribeCodes(subscriber.client!, f)).toEqual([maySubscribe ? 0 : 0x80]);
        const mayPublish = t.startsWith(publisher.space);
        const payload = `m${run}`;
        if (mayPublish) {
          await publisher.client!.publishAsync(t, payload, { qos: 1 });
        } else {
          const cut = closed(publisher.client!);
          publisher.client!.publish(t, payload, { qos: 1 });
          await cut;
          await reopen(publisher);
        }
        const fence = { topic: `${subscriber.space}fence`, payload: `fence${run}` };
        await subscriber.client!.publishAsync(fence.topic, fence.payload, { qos: 1 });
        const arrived = (await subscriber.inbox!.before(fence)).filter((m) => m.payload === payload);
        const allowed = maySubscribe && mayPublish && filterMatches(f, t) && t.startsWith(subscriber.space);
        expect(arrived).toEqual(allowed ? [{ topic: t, payload }] : []);
        if (allowed) seen.delivered += 1;
        else if (!maySubscribe) seen.refusedSubscribe += 1;
        else if (!mayPublish) seen.refusedPublish += 1;
        else seen.withheld += 1;
        subscriber.inbox!.messages.length = 0;
        if (maySubscribe) await subscriber.client!.unsubscribeAsync(f);
      }),
      { numRuns: 30, seed: 20261201 },
    );
    // The runs cover deliveries as well as each kind of refusal, so the property is not vacuously true.
    expect(Object.values(seen).filter((count) => count > 0).length).toBeGreaterThanOrEqual(3);
    expect(seen.delivered).toBeGreaterThan(0);
  });
});
