import type { CertificateStatus, CertificateSummary, IssuedCertificate, Page, ThingRef } from '../aws/iot.port.js';
import type { IotState } from './iot-state.js';
import { parseCsr, type CertificateAuthority, type IssuedX509 } from './x509.js';

/** AWS IoT's registry rules for things, certificates and the links between them. */

const ATTRIBUTE_NAME = /^[a-zA-Z0-9_.,@/:#-]{1,128}$/;
const ATTRIBUTE_VALUE = /^[a-zA-Z0-9_.,@/:#=[\]-]{0,800}$/;
/** A thing without a thing type may carry at most three attributes. */
const MAX_UNTYPED_ATTRIBUTES = 3;
const STATUSES = new Set(['ACTIVE', 'INACTIVE', 'REVOKED']);
/** Later than any clock the tests use, for keys that sort newest first. */
const NEWEST = 9e15;

export class IotRegistry {
  constructor(
    private readonly state: IotState,
    private readonly clock: () => number,
    private readonly ca: CertificateAuthority,
  ) {}

  createThing(thingName: string, attributes: Record<string, string>): ThingRef {
    const api = 'CreateThing';
    this.state.checkThingName(api, thingName);
    this.checkAttributes(api, attributes);
    const existing = this.state.things.get(thingName);
    if (existing) {
      // Same name and same configuration succeeds again; anything else is a conflict.
      if (sameAttributes(existing.attributes, attributes)) return { thingName, thingArn: existing.thingArn };
      throw this.state.fail(api, 'ResourceAlreadyExistsException', `Thing ${thingName} already exists with different attributes`);
    }
    const thingArn = this.state.arn('thing', thingName);
    this.state.things.set(thingName, { thingName, thingArn, attributes: { ...attributes } });
    return { thingName, thingArn };
  }

  /** AWS answers success for a thing that does not exist, and refuses while principals are attached. */
  deleteThing(thingName: string): void {
    const api = 'DeleteThing';
    this.state.checkThingName(api, thingName);
    if (!this.state.things.has(thingName)) return;
    if ((this.state.thingPrincipals.get(thingName)?.size ?? 0) > 0) {
      throw this.state.fail(api, 'InvalidRequestException', `Cannot delete. Thing ${thingName} is still attached to one or more principals`);
    }
    this.state.things.delete(thingName);
    this.state.thingPrincipals.delete(thingName);
  }

  listThings(token?: string): Page<string> {
    return this.state.page('ListThings', [...this.state.things.keys()], (n) => n, token);
  }

  attachPrincipal(thingName: string, principal: string): void {
    const api = 'AttachThingPrincipal';
    this.state.thing(api, thingName);
    this.state.checkPrincipal(api, principal);
    const principals = this.state.thingPrincipals.get(thingName) ?? new Set<string>();
    principals.add(principal);
    this.state.thingPrincipals.set(thingName, principals);
  }

  /** Detaching a principal that is not attached succeeds; an unknown thing does not. */
  detachPrincipal(thingName: string, principal: string): void {
    this.state.thing('DetachThingPrincipal', thingName);
    const principals = this.state.thingPrincipals.get(thingName);
    principals?.delete(principal);
    if (principals?.size === 0) this.state.thingPrincipals.delete(thingName);
  }

  principals(thingName: string, token?: string): Page<string> {
    const api = 'ListThingPrincipals';
    this.state.thing(api, thingName);
    return this.state.page(api, [...(this.state.thingPrincipals.get(thingName) ?? [])], (p) => p, token);
  }

  certificateFromCsr(csrPem: string): IssuedCertificate {
    const api = 'CreateCertificateFromCsr';
    let parsed;
    try {
      parsed = parseCsr(csrPem);
    } catch (error) {
      throw this.state.fail(api, 'InvalidRequestException', `The certificate signing request is not valid: ${(error as Error).message}`);
    }
    return this.register(this.ca.issue(parsed.subject, parsed.spki, new Date(this.clock())));
  }

  keysAndCertificate(): IssuedCertificate & { privateKey: string } {
    const issued = this.ca.issueKeysAndCertificate(new Date(this.clock()));
    return { ...this.register(issued), privateKey: issued.privateKey };
  }

  updateStatus(certificateId: string, status: string): void {
    const api = 'UpdateCertificate';
    const certificate = this.state.certificate(api, certificateId);
    if (!STATUSES.has(status)) throw this.state.fail(api, 'InvalidRequestException', `Invalid certificate status ${status}`);
    if (certificate.status === 'REVOKED' && status !== 'REVOKED') {
      throw this.state.fail(api, 'CertificateStateException', 'A revoked certificate cannot change status');
    }
    certificate.status = status as CertificateStatus;
  }

  /** AWS's delete order: not ACTIVE (CertificateStateException), then detached everywhere (DeleteConflictException). */
  deleteCertificate(certificateId: string): void {
    const api = 'DeleteCertificate';
    const certificate = this.state.certificate(api, certificateId);
    if (certificate.status === 'ACTIVE') {
      throw this.state.fail(api, 'CertificateStateException', `Certificate must be deactivated (not ACTIVE) before deletion. Id: ${certificateId}`);
    }
    if (this.state.isThingPrincipal(certificate.certificateArn) || this.state.hasPolicies(certificate.certificateArn)) {
      throw this.state.fail(api, 'DeleteConflictException', `Certificate ${certificateId} is still attached to a thing or policy`);
    }
    this.state.certificates.delete(certificateId);
  }

  /** Newest first, as ListCertificates with ascendingOrder false answers. */
  listCertificates(token?: string): Page<CertificateSummary> {
    const items = [...this.state.certificates.values()].map(({ certificateId, certificateArn, status, createdAt }) => ({
      certificateId,
      certificateArn,
      status,
      createdAt: new Date(createdAt),
    }));
    // Keyed newest first: the later the creation, the smaller the key.
    const newestFirst = (c: CertificateSummary) => `${String(NEWEST - c.createdAt.getTime()).padStart(16, '0')}:${c.certificateId}`;
    return this.state.page('ListCertificates', items, newestFirst, token);
  }

  private register(issued: IssuedX509): IssuedCertificate {
    const { certificateId, certificatePem } = issued;
    const certificateArn = this.state.arn('cert', certificateId);
    this.state.certificates.set(certificateId, { certificateId, certificateArn, certificatePem, status: 'ACTIVE', createdAt: this.clock() });
    return { certificateId, certificateArn, certificatePem };
  }

  private checkAttributes(api: string, attributes: Record<string, string>): void {
    const entries = Object.entries(attributes);
    if (entries.length > MAX_UNTYPED_ATTRIBUTES) {
      throw this.state.fail(api, 'InvalidRequestException', `A thing without a thing type can have at most ${MAX_UNTYPED_ATTRIBUTES} attributes`);
    }
    for (const [name, value] of entries) {
      if (!ATTRIBUTE_NAME.test(name) || typeof value !== 'string' || !ATTRIBUTE_VALUE.test(value)) {
        throw this.state.fail(api, 'InvalidRequestException', `Invalid thing attribute ${JSON.stringify(name)}`);
      }
    }
  }
}

function sameAttributes(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => b[key] === a[key]);
}
