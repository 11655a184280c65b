/**
 * What deleting a site needs from devices, without the sites module depending on how devices work.
 */
export abstract class SiteDeviceCleanup {
  /** Deletes every device of the site (certificates, things, policies, rows) in AWS's order; re-runnable. */
  abstract deleteSiteDevices(site: { id: string; name: string }): Promise<void>;
}
