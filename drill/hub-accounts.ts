import yaml from 'js-yaml';
import { type AccountsConfig, parseAccounts } from '../shared/config/accounts.js';
import type { RetentionSettings } from '../shared/retention/retention-settings.js';

/** The accounts of a local hub, said briefly: what drills and tests name instead of account files. */
export interface HubAccountsSpec {
  /** `drRegion`: the vault's second region, where every vault copy is copied too. */
  vault: { account: string; region: string; drRegion?: string; orgId?: string };
  sources: {
    account: string;
    regions: string[];
    orgId?: string;
    customerKeyAliases?: string[];
    /** The parameters the vault may copy; every one (`paths: ['/']`) unless given. */
    ssmParameters?: { paths?: string[]; tagged?: boolean };
    /** Its fair share of the vault's copy slots (the account file's `pendingCap`). */
    pendingCap?: number;
  }[];
  /** Clean accounts the vault may restore into: in the vault's region, and in `regions` too when given. */
  recovery?: { account: string; regions?: string[] }[];
  /** The account keeping the audit log's signed anchors, when not the vault. */
  logArchive?: { account: string };
  /** What the pruner enforces; without it nothing is ever pruned. */
  retention?: RetentionSettings;
}

/**
 * The alias of the customer managed key a local hub's sources protect their data with (the
 * simulated cloud names its `cmk` keys so, see deployLocalHub); every source file lists it unless
 * the spec gives the source's own list.
 */
export const LOCAL_CUSTOMER_KEY_ALIAS = 'alias/app-data';

/** Not a secret: every simulated reader role requires it, as the vault file's `externalId` does on AWS. */
export const LOCAL_EXTERNAL_ID = 'backup-hub-local-drill';
/** Account files require an RPO target beside each retention; the local hubs' tests do not read it. */
const RPO_HOURS = 24;
/** The vault file names who may assume the operator roles; a local hub's operators take the roles directly. */
const localOperator = (vault: string) => `arn:aws:iam::${vault}:role/backup-hub-local-operator`;

/**
 * The account files a brief spec stands for, validated as `accounts/*.yml` are (so a spec the files
 * would refuse is refused here too): the vault (its lock from `retention.lockDays`), one source file
 * per source (its retention per kind), one recovery file per recovery account.
 */
export function accountsFor(spec: HubAccountsSpec): AccountsConfig {
  const { vault, retention } = spec;
  const targetsOf = (account: string) =>
    Object.fromEntries(
      Object.entries(retention?.accounts[account] ?? {}).map(([kind, policy]) => [kind, { ...policy, rpoHours: RPO_HOURS }]),
    );
  const files: Record<string, unknown>[] = [
    {
      name: 'vault',
      id: vault.account,
      role: 'vault',
      regions: [vault.region],
      ...(vault.drRegion ? { drRegion: vault.drRegion } : {}),
      ...(vault.orgId ? { organizationId: vault.orgId } : {}),
      externalId: LOCAL_EXTERNAL_ID,
      allowedSources: spec.sources.map((s) => s.account),
      operators: { restore: [localOperator(vault.account)], legalHold: [localOperator(vault.account)] },
      deployRole: `arn:aws:iam::${vault.account}:role/backup-hub-deploy`,
      ...(retention?.lockDays ? { lock: { minRetentionDays: retention.lockDays } } : {}),
      ...(spec.logArchive ? { auditAnchors: { account: spec.logArchive.account } } : {}),
    },
    ...spec.sources.map((s) => ({
      name: `source-${s.account}`,
      id: s.account,
      role: 'source',
      regions: s.regions,
      vault: vault.account,
      customerKeyAliases: s.customerKeyAliases ?? [LOCAL_CUSTOMER_KEY_ALIAS],
      ssmParameters: s.ssmParameters ?? { paths: ['/'] },
      ...(s.pendingCap ? { pendingCap: s.pendingCap } : {}),
      targets: targetsOf(s.account),
    })),
    ...(spec.recovery ?? []).map((r) => ({
      name: `recovery-${r.account}`,
      id: r.account,
      role: 'recovery',
      regions: r.regions ?? [vault.region],
      vault: vault.account,
    })),
    ...(spec.logArchive
      ? [{ name: 'log-archive', id: spec.logArchive.account, role: 'log-archive', regions: [vault.region], vault: vault.account }]
      : []),
  ];
  return parseAccounts(
    files.map(({ name, ...body }) => ({ file: `${name}.yml`, text: yaml.dump(body) })),
    '(local hub)',
  );
}
