/**
 * Operation subjects: the lock keys that let one operation at a time change a user, a device or a
 * certificate, across replicas (the unique `active_subject` column). Every feature composes them here.
 */
export function userSubject(username: string): string {
  return `user:${username}`;
}

export function deviceSubject(thingName: string): string {
  return `device:${thingName}`;
}

/** A certificate no device claims (drift's unattached certificates). */
export function certificateSubject(certificateId: string): string {
  return `certificate:${certificateId}`;
}

/** An AWS resource drift found that belongs to no user or device name of ours. */
export function driftSubject(name: string): string {
  return `drift:${name}`;
}

/** A site: its creation, its deletion and the registration of its devices. */
export function siteSubject(name: string): string {
  return `site:${name}`;
}
