import { DB_CLUSTER_SNAPSHOT, DB_SNAPSHOT } from '@backup-hub/aws-sim';
import type { RecoveryPoint } from '../shared/catalog/recovery-point.js';
import { TAG } from '../shared/kinds/common/provenance-tags.js';
import type { ArtifactKindName } from '../shared/kinds/index.js';
import type { LocalHub } from './local-hub.js';

/** Something the hub shared with the vault, or made, in a source account, and has not undone. */
export interface ResidueEntry {
  account: string;
  region: string;
  kind: ArtifactKindName;
  id: string;
  what: 'shared-with-vault' | 'intermediate';
  /** The recovery point it belongs to (its catalog key), when the catalog names one. */
  point?: string;
}

interface Held {
  owner: string;
  region: string;
  id: string;
  shared: boolean;
  /** The intermediate-of tag: the source artifact it re-encrypts. */
  intermediateOf?: string;
  /** An RDS snapshot's creation time, its life. */
  life?: string;
}

/**
 * What each source account still holds of the hub's, from the simulated services themselves: its
 * snapshots, AMIs and DB (cluster) snapshots shared with the vault, and the intermediates the hub made
 * there (tagged intermediate-of). After a drill has settled, only points still in progress may have any.
 */
export function residueOf(hub: LocalHub, points: readonly RecoveryPoint[]): ResidueEntry[] {
  const vault = hub.config.vaultAccountId;
  const sources = new Set(hub.accounts.vault.allowedSources);
  const pointOf = (kind: ArtifactKindName, account: string, region: string, sourceId: string, life?: string) =>
    points.find(
      (p) =>
        p.kind === kind &&
        p.account === account &&
        p.region === region &&
        p.sourceId === sourceId &&
        (life === undefined || p.life === undefined || p.life === life),
    )?.pk;
  const entries = (kind: ArtifactKindName, held: Held[]): ResidueEntry[] =>
    held
      .filter((h) => sources.has(h.owner))
      .flatMap((h) => {
        const intermediate = h.intermediateOf !== undefined;
        if (!intermediate && !h.shared) return [];
        // An AMI intermediate's snapshots are the AMI's, whatever the resource.
        const of = h.intermediateOf?.startsWith('ami-') ? 'ami' : kind;
        return [
          {
            account: h.owner,
            region: h.region,
            kind: of,
            id: h.id,
            what: intermediate ? ('intermediate' as const) : ('shared-with-vault' as const),
            point: pointOf(of, h.owner, h.region, h.intermediateOf ?? h.id, intermediate ? undefined : h.life),
          },
        ];
      });
  return [
    ...entries(
      'ebs-snapshot',
      hub.ec2.snapshots().map((s) => ({ ...s, shared: s.sharedWith.has(vault), intermediateOf: s.tags.get(TAG.intermediateOf) })),
    ),
    ...entries(
      'ami',
      hub.ec2.images.store
        .all()
        .filter((i) => i.state !== 'deregistered')
        .map((i) => ({ ...i, shared: i.launchPermissions.has(vault), intermediateOf: i.tags.get(TAG.intermediateOf) })),
    ),
    ...(['rds-snapshot', 'rds-cluster-snapshot'] as const).flatMap((kind) =>
      entries(
        kind,
        hub.rds.snapshots(kind === 'rds-snapshot' ? DB_SNAPSHOT : DB_CLUSTER_SNAPSHOT).map((s) => ({
          ...s,
          shared: s.sharedWith.has(vault),
          intermediateOf: s.tags.get(TAG.intermediateOf),
          life: s.createdAt.toISOString(),
        })),
      ),
    ),
  ];
}
