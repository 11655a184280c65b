export type CertificateStatus = 'ACTIVE' | 'INACTIVE' | 'REVOKED' | 'PENDING_TRANSFER' | 'REGISTER_INACTIVE' | 'PENDING_ACTIVATION';

export interface IssuedCertificate {
  certificateId: string;
  certificateArn: string;
  certificatePem: string;
  /** Only from CreateKeysAndCertificate, the one time AWS returns it. */
  privateKey?: string;
}

export interface ThingRef {
  thingName: string;
  thingArn: string;
}

/** A certificate as ListCertificates lists it. */
export interface CertificateSummary {
  certificateId: string;
  certificateArn: string;
  status: CertificateStatus;
  createdAt: Date;
}

export interface Page<T> {
  items: T[];
  nextToken?: string;
}

/**
 * AWS IoT Core's control plane, as the service uses it. Errors arrive as DomainError:
 * ResourceAlreadyExistsException → CONFLICT, ResourceNotFoundException → NOT_FOUND,
 * DeleteConflictException / CertificateStateException → CONFLICT (details.awsError says which),
 * InvalidRequestException → VALIDATION_FAILED, ThrottlingException → AWS_THROTTLED, LimitExceededException →
 * CONFLICT (a hard limit; POLICY_LIMIT on AttachPolicy), ServiceUnavailableException / InternalFailureException /
 * timeouts → AWS_UNAVAILABLE. The two certificate creations are never resent after a timeout or an AWS fault; their
 * AWS_UNAVAILABLE then carries details.outcome 'unknown': a certificate may exist that nobody received.
 */
export abstract class IotPort {
  /** DescribeEndpoint with endpointType iot:Data-ATS. */
  abstract dataEndpoint(): Promise<string>;

  abstract createPolicy(policyName: string, document: string): Promise<{ policyArn: string }>;
  /**
   * GetPolicy: the ARN, the default version's document (as AWS holds it, maybe hand-edited) and that version's id;
   * also how a policy that a lost answer created is recognised.
   */
  abstract getPolicy(policyName: string): Promise<{ policyArn: string; document: string; defaultVersionId: string }>;
  /** CreatePolicyVersion; at most 5 versions per policy (VersionsLimitExceededException → CONFLICT). */
  abstract createPolicyVersion(policyName: string, document: string, setAsDefault: boolean): Promise<{ versionId: string }>;
  /** Non-default versions must be deleted before DeletePolicy. */
  abstract listPolicyVersions(policyName: string): Promise<Array<{ versionId: string; isDefault: boolean }>>;
  abstract deletePolicyVersion(policyName: string, versionId: string): Promise<void>;
  /** SetDefaultPolicyVersion: makes an existing version the one in effect (how a new default is taken back). */
  abstract setDefaultPolicyVersion(policyName: string, versionId: string): Promise<void>;
  abstract deletePolicy(policyName: string): Promise<void>;
  /** target: a Cognito identity id or a certificate ARN. */
  abstract attachPolicy(policyName: string, target: string): Promise<void>;
  abstract detachPolicy(policyName: string, target: string): Promise<void>;
  abstract listPolicyTargets(policyName: string, nextToken?: string): Promise<Page<string>>;
  abstract listAttachedPolicies(target: string, nextToken?: string): Promise<Page<string>>;
  abstract listPolicies(nextToken?: string): Promise<Page<string>>;

  abstract createThing(thingName: string, attributes: Record<string, string>): Promise<ThingRef>;
  abstract deleteThing(thingName: string): Promise<void>;
  abstract listThings(nextToken?: string): Promise<Page<string>>;
  abstract attachThingPrincipal(thingName: string, principalArn: string): Promise<void>;
  abstract detachThingPrincipal(thingName: string, principalArn: string): Promise<void>;
  abstract listThingPrincipals(thingName: string, nextToken?: string): Promise<Page<string>>;

  /** CreateCertificateFromCsr with setAsActive: the private key stays on the device. */
  abstract createCertificateFromCsr(csrPem: string): Promise<IssuedCertificate>;
  /** CreateKeysAndCertificate with setAsActive. */
  abstract createKeysAndCertificate(): Promise<IssuedCertificate & { privateKey: string }>;
  abstract updateCertificateStatus(certificateId: string, status: 'ACTIVE' | 'INACTIVE' | 'REVOKED'): Promise<void>;
  /** Fails with CONFLICT while the certificate is ACTIVE or still attached. */
  abstract deleteCertificate(certificateId: string): Promise<void>;
  /** Newest first (ascendingOrder false), so a search for recent creations can stop early. */
  abstract listCertificates(nextToken?: string): Promise<Page<CertificateSummary>>;
  /** DescribeCertificate: the PEM, to tell by its public key which request a certificate answers. */
  abstract describeCertificate(certificateId: string): Promise<{ certificatePem: string; status: CertificateStatus }>;
}
