import { Logger } from '@aws-lambda-powertools/logger';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { MAX_RECEIVE_COUNT, NAMES, SOURCES_PATH } from '../accounts/stack/names.js';
import { describeError } from '../shared/aws/aws-errors.js';
import { AwsClients, stsClient } from '../shared/aws/clients.js';
import { LegalHoldRefused } from '../shared/catalog/catalog.js';
import { type AccountsConfig, AccountsConfigError, loadAccounts } from '../shared/config/accounts.js';
import type { HubConfig } from '../shared/config/hub-config.js';
import { RetireRefused } from '../shared/monitoring/retire.js';
import { RestoreRequestError } from '../shared/restore/restore-request.js';
import { createHubContext } from '../shared/runtime/create-hub-context.js';
import type { HubContext } from '../shared/runtime/hub-context.js';

/**
 * The vault's configuration for an operator command, from the account files: what the functions
 * get from their environment, with the vault key named by its alias; `tablesRegion` reads and writes the
 * catalog and audit log in that region's replica (a restore from the DR region).
 */
export function operatorConfig(accounts: AccountsConfig, options: { tablesRegion?: string } = {}): HubConfig {
  const { vault } = accounts;
  const region = vault.regions[0]!;
  return {
    vaultAccountId: vault.id,
    vaultRegion: region,
    vaultKeyArn: `arn:aws:kms:${region}:${vault.id}:${NAMES.vaultKeyAlias}`,
    catalogTable: NAMES.catalogTable,
    auditTable: NAMES.auditTable,
    readerRoleName: NAMES.readerRole,
    externalId: vault.externalId,
    shareKeyAlias: NAMES.shareKeyAlias,
    sourcesPath: SOURCES_PATH,
    maxReceiveCount: MAX_RECEIVE_COUNT,
    ...(vault.drRegion ? { drRegion: vault.drRegion } : {}),
    ...(options.tablesRegion ? { tablesRegion: options.tablesRegion } : {}),
  };
}

/** What an operator command runs on; tests pass the simulated cloud's. */
export interface OperatorDeps {
  /** The account files (accounts/ of this repository by default). */
  accounts(dir?: string): AccountsConfig;
  /** The hub context for the vault, with the caller's credentials. */
  context(config: HubConfig): HubContext;
  print(line: string): void;
  error(line: string): void;
}

/** Real AWS: the standard credential chain (AWS_PROFILE, environment, SSO, instance roles), the SDK's adaptive retry. */
export const awsOperatorDeps: OperatorDeps = {
  accounts: (dir) => loadAccounts(dir),
  context: (config) =>
    createHubContext({
      config,
      aws: new AwsClients({ defaults: { retryMode: 'adaptive', maxAttempts: 8 } }),
      logger: new Logger({ serviceName: 'backup-hub', logLevel: 'WARN' }),
    }),
  print: (line) => console.log(line),
  error: (line) => console.error(line),
};

/**
 * What to tell the operator about an error an operator command expects (a bad request, bad account
 * files, missing credentials or permissions), or undefined for a genuine bug, which the dispatcher reports.
 */
export function explain(error: unknown, role: string): string | undefined {
  if (
    error instanceof RestoreRequestError ||
    error instanceof AccountsConfigError ||
    error instanceof LegalHoldRefused ||
    error instanceof RetireRefused
  )
    return error.message;
  if (error instanceof Error && error.name === 'CredentialsProviderError') {
    return `no AWS credentials for the vault (${error.message}): set AWS_PROFILE to a profile of the vault account that assumes ${role}, or export its credentials`;
  }
  if (error instanceof Error && /^(AccessDenied|AccessDeniedException|UnauthorizedOperation)$/.test(error.name)) {
    return `the vault refused a call (${describeError(error)}): run with credentials that assumed ${role}`;
  }
  return undefined;
}

/** Who an operator command records in the audit log: `--by`, or the caller's AWS identity. */
export async function operatorName(ctx: HubContext, by: string | undefined): Promise<string> {
  return by ?? (await stsClient(ctx.aws, ctx.config.vaultRegion).send(new GetCallerIdentityCommand({}))).Arn!;
}
