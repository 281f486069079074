import { DescribeKeyCommand, ListAliasesCommand } from '@aws-sdk/client-kms';
import { PermanentFailure } from '../pipeline/outcomes.js';
import { describeError, isDeterministicAwsError } from './aws-errors.js';
import type { AwsClients } from './clients.js';
import type { SourceSessions } from './source-sessions.js';

export interface KeyFacts {
  arn: string;
  awsManaged: boolean;
}

/**
 * Facts about the source accounts' KMS keys, read through the reader role and cached:
 * which key is the share key, and whether a key is AWS managed (and so cannot be shared).
 */
export class SourceKeys {
  readonly #cache = new Map<string, Promise<KeyFacts>>();
  readonly #aliases = new Map<string, Promise<string[]>>();

  constructor(
    private readonly aws: AwsClients,
    private readonly sessions: SourceSessions,
    private readonly shareKeyAlias: string,
  ) {}

  shareKey(account: string, region: string): Promise<KeyFacts> {
    return this.describe(account, region, this.shareKeyAlias);
  }

  describe(account: string, region: string, keyId: string): Promise<KeyFacts> {
    const cacheKey = `${account}|${region}|${keyId}`;
    let facts = this.#cache.get(cacheKey);
    if (!facts) {
      facts = this.#describe(account, region, keyId);
      this.#cache.set(cacheKey, facts);
      facts.catch(() => this.#cache.delete(cacheKey));
    }
    return facts;
  }

  /** The aliases of a key of a source account (ListAliases through the reader role), cached. */
  aliases(account: string, region: string, keyArn: string): Promise<string[]> {
    const cacheKey = `${account}|${region}|${keyArn}`;
    let aliases = this.#aliases.get(cacheKey);
    if (!aliases) {
      aliases = this.aws
        .kms(region, this.sessions.credentials(account))
        .send(new ListAliasesCommand({ KeyId: keyArn }))
        .then(({ Aliases = [] }) => Aliases.map((a) => a.AliasName!));
      this.#aliases.set(cacheKey, aliases);
      aliases.catch(() => this.#aliases.delete(cacheKey));
    }
    return aliases;
  }

  async #describe(account: string, region: string, keyId: string): Promise<KeyFacts> {
    try {
      const { KeyMetadata } = await this.aws.kms(region, this.sessions.credentials(account)).send(new DescribeKeyCommand({ KeyId: keyId }));
      return { arn: KeyMetadata!.Arn!, awsManaged: KeyMetadata!.KeyManager === 'AWS' };
    } catch (error) {
      if (!isDeterministicAwsError(error)) throw error;
      throw new PermanentFailure(
        `cannot describe KMS key ${keyId} in ${account}/${region}: ${describeError(error)} (is the source stack with the share key deployed there?)`,
        { cause: error },
      );
    }
  }
}
