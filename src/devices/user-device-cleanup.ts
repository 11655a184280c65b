/**
 * What deleting a user needs from devices, without the users module depending on how devices work.
 */
export abstract class UserDeviceCleanup {
  /** Deletes every device of the user (certificates, things, policies, rows) in AWS's order; re-runnable. */
  abstract deleteAllOfUser(username: string): Promise<void>;
}
