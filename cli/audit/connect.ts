import { auditAnchorLocation, NAMES } from '../../accounts/stack/names.js';
import { AnchorStore, anchorVerifier } from '../../shared/audit/anchor.js';
import { AuditLog } from '../../shared/audit/audit-log.js';
import { AwsClients, kmsClient, s3Client } from '../../shared/aws/clients.js';
import { Catalog } from '../../shared/catalog/catalog.js';
import { SourceInventory } from '../../shared/catalog/source-inventory.js';
import type { AccountsConfig } from '../../shared/config/accounts.js';
import { VaultLock } from '../../shared/retention/vault-lock.js';
import { type AuditSource, LocalSourceError } from './audit-source.js';

/**
 * The vault's catalog and audit log on AWS, through the standard credential chain (AWS_PROFILE,
 * SSO, environment, instance or task role) and the region of the vault's account file.
 *
 * @example
 * const source = openAwsSource({ region: 'eu-west-1' }, loadAccounts());
 */
export function openAwsSource(
  options: { region?: string; catalogTable?: string; auditTable?: string },
  config: AccountsConfig,
): AuditSource {
  const region = options.region ?? config.vault.regions[0]!;
  const catalogTable = options.catalogTable ?? NAMES.catalogTable;
  const auditTable = options.auditTable ?? NAMES.auditTable;
  const aws = new AwsClients({ defaults: { retryMode: 'adaptive', maxAttempts: 8 } });
  const db = aws.dynamo(region);
  const anchors = auditAnchorLocation(config.vault, region);
  const [s3, kms] = [s3Client(aws, region), kmsClient(aws, region)];
  return {
    catalog: new Catalog(db, catalogTable),
    inventory: new SourceInventory(db, catalogTable),
    audit: new AuditLog(db, auditTable, () => new Date()),
    lock: new VaultLock(db, auditTable),
    accounts: config.vault.allowedSources,
    defaultUntil: new Date(),
    untilNote: 'now',
    anchors: { store: new AnchorStore(s3, anchors.bucket, anchors.owner), verifier: () => anchorVerifier(kms, anchors.keyId) },
    captures: {
      s3,
      vault: { account: config.vault.id, region },
      sources: config.sources.flatMap((source) => source.regions.map((r) => ({ account: source.id, region: r }))),
    },
    description: `AWS, vault ${config.vault.id}: tables ${catalogTable} and ${auditTable} in ${region}, anchors in s3://${anchors.bucket}`,
    close: async () => {
      for (const client of [db, s3, kms]) client.destroy();
    },
  };
}

/**
 * A local drill's catalog and audit log (`--local`), loaded only when asked for: it runs on the
 * simulator's DynamoDB, a development dependency that `npm ci --omit=dev` leaves out.
 * @throws LocalSourceError when the development dependencies are not installed, or the folder cannot be read
 */
export async function openLocalSource(dir: string): Promise<AuditSource> {
  let local: typeof import('./local-source.js');
  try {
    local = await import('./local-source.js');
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw error;
    throw new LocalSourceError(
      `--local reads a drill's folder with the simulated cloud's DynamoDB, which only a development install has (${(error as Error).message.split('\n')[0]}). Run \`npm ci\` (without --omit=dev) in the repository, or audit the deployed vault without --local.`,
    );
  }
  return local.openLocalSource(dir);
}
