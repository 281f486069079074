import { DescribeKeyCommand, ListAliasesCommand } from '@aws-sdk/client-kms';
import type { SourceRegistry } from '../config/source-registry.js';
import { PermanentFailure } from '../core/errors.js';
import { describeError, isDeterministicAwsError } from './aws-errors.js';
import { type AwsClients, kmsClient } from './clients.js';
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
    /** The sources' records: their account files and customerKeyAliases. */
    private readonly sources: Pick<SourceRegistry, 'source'>,
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

  /**
   * Refuses a customer managed key the reader role may not use: the reader uses only keys whose
   * alias the source's account file lists (customerKeyAliases), so a copy would fail later with a
   * bare AccessDenied; this names the alias to list instead. AWS managed keys and the share key
   * need no alias.
   * @throws PermanentFailure naming the alias to add and the account file to add it to
   */
  async requireListed(account: string, region: string, what: string, key: KeyFacts | undefined): Promise<void> {
    if (!key || key.awsManaged) return;
    const listed = await this.sources.source(account);
    const aliases = await this.aliases(account, region, key.arn);
    if (aliases.some((alias) => alias === this.shareKeyAlias || listed?.customerKeyAliases.includes(alias))) return;
    const file = `accounts/${listed ? `${listed.name}.yml` : `<the account file of ${account}>`}`;
    throw new PermanentFailure(
      `${what} is encrypted under ${key.arn}, ${aliases.length ? `whose aliases (${aliases.join(', ')}) are` : 'which has no alias, so it is'} not in customerKeyAliases, and the reader role may not use it: ` +
        (aliases.length
          ? `add alias ${aliases[0]} to customerKeyAliases in ${file}`
          : `give the key an alias, add it to customerKeyAliases in ${file}`) +
        ', and redeploy the source stack',
    );
  }

  /** The aliases of a key of a source account (ListAliases through the reader role), cached. */
  aliases(account: string, region: string, keyArn: string): Promise<string[]> {
    const cacheKey = `${account}|${region}|${keyArn}`;
    let aliases = this.#aliases.get(cacheKey);
    if (!aliases) {
      aliases = kmsClient(this.aws, region, this.sessions.credentials(account))
        .send(new ListAliasesCommand({ KeyId: keyArn }))
        .then(({ Aliases = [] }) => Aliases.map((a) => a.AliasName!));
      this.#aliases.set(cacheKey, aliases);
      aliases.catch(() => this.#aliases.delete(cacheKey));
    }
    return aliases;
  }

  async #describe(account: string, region: string, keyId: string): Promise<KeyFacts> {
    try {
      const { KeyMetadata } = await kmsClient(this.aws, region, this.sessions.credentials(account)).send(
        new DescribeKeyCommand({ KeyId: keyId }),
      );
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
