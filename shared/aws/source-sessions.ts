import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { Rejection } from '../core/errors.js';
import { describeError, isAwsError } from './aws-errors.js';
import { type AwsClients, type Credentials, stsClient } from './clients.js';

/** Refresh this long before expiry, so a long copy call never starts with dying credentials. */
const REFRESH_MARGIN_MS = 5 * 60_000;

export interface SourceSessionSettings {
  region: string;
  /** The role's name, the same in every account. */
  roleName: string;
  /** Required by the role's trust when it is another account's. */
  externalId?: string;
  /** Shown in the source account's CloudTrail as the session name. */
  sessionName: string;
  /** The function that opens the session: CloudTrail shows it on everything the session does (and a chained one). */
  sourceIdentity?: string;
  /** Whose credentials assume the role; the caller's own by default. */
  credentials?: Credentials;
  /** What to do when the role cannot be assumed (the source stack by default). */
  deployHint?: string;
}

/**
 * Credentials of one role in each account (a kind's reader role in the sources), assumed with the
 * ExternalId and the source identity and cached until shortly before they expire.
 *
 * @example
 * const sessions = new SourceSessions(aws, settings, () => new Date());
 * const ec2 = ec2Client(aws, 'eu-west-1', sessions.credentials('111111111111'));
 */
export class SourceSessions {
  readonly #providers = new Map<string, AwsCredentialIdentityProvider>();

  constructor(
    private readonly aws: AwsClients,
    private readonly settings: SourceSessionSettings,
    private readonly now: () => Date,
  ) {}

  /** A stable credential provider for the account's reader role (stable, so clients are reused). */
  credentials(account: string): AwsCredentialIdentityProvider {
    let provider = this.#providers.get(account);
    if (!provider) {
      provider = this.#cachingProvider(account);
      this.#providers.set(account, provider);
    }
    return provider;
  }

  #cachingProvider(account: string): AwsCredentialIdentityProvider {
    let cached: AwsCredentialIdentity | undefined;
    return async () => {
      const expiresAt = cached?.expiration?.getTime() ?? 0;
      if (!cached || expiresAt - REFRESH_MARGIN_MS <= this.now().getTime()) cached = await this.#assume(account);
      return cached;
    };
  }

  async #assume(account: string): Promise<AwsCredentialIdentity> {
    const { region, roleName, sessionName, externalId, sourceIdentity, credentials } = this.settings;
    const roleArn = `arn:aws:iam::${account}:role/${roleName}`;
    try {
      const { Credentials: c } = await stsClient(this.aws, region, credentials).send(
        new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: sessionName, ExternalId: externalId, SourceIdentity: sourceIdentity }),
      );
      if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error(`AssumeRole ${roleArn} returned no credentials`);
      return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration: c.Expiration };
    } catch (error) {
      if (isAwsError(error, 'AccessDenied')) {
        throw new Rejection(
          'reader-role-denied',
          `cannot assume ${roleArn} (${describeError(error)}): ${this.settings.deployHint ?? `deploy the source stack in ${account} and check its ExternalId and trusted vault roles`}`,
        );
      }
      throw error;
    }
  }
}
