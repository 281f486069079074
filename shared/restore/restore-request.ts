import { recoveryPointKey } from '../catalog/recovery-point.js';
import { ARTIFACT_KINDS, isArtifactKindName } from '../kinds/index.js';

/**
 * What an operator asks to restore: one recovery point, or a whole source account as of a time; with
 * `fromRegion`, from the vault copies in that vault region (the DR region) instead of the vault's own;
 * with `toRegion`, into the recovery account in that region (another vault region, or one the recovery
 * account's file lists), each copy copied across regions first, instead of the region restored from.
 */
export type RestoreRequest = ({ point: string } | { account: string; asOf: Date }) & { fromRegion?: string; toRegion?: string };

/** A restore that cannot start: the request names nothing restorable, or the recovery account is not set up. */
export class RestoreRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RestoreRequestError';
  }
}

/**
 * A recovery point named on the command line: its catalog key (`ART#kind#account#region#id`), or
 * `<kind>/<account>/<region>/<source id>`, where the source id may hold slashes (an SSM parameter
 * version such as `/orders/db/password:2`) and ends in `#<life>` for a point with a life (an SSM
 * version: `/orders/db/password:2#2026-01-01T00:00:00.000Z`; an RDS manual snapshot identifier reused
 * after a deletion: `prod-latest#2026-01-01T00:00:00.000Z`).
 * @throws RestoreRequestError for anything else
 *
 * @example
 * pointKeyOf('ebs-snapshot/111111111111/eu-west-1/snap-0123456789abcdef0'); // 'ART#ebs-snapshot#111111111111#eu-west-1#snap-0123456789abcdef0'
 */
export function pointKeyOf(reference: string): string {
  if (reference.startsWith('ART#')) return reference;
  const match = /^([a-z-]+)\/(\d{12})\/([a-z0-9-]+)\/(.+)$/.exec(reference);
  if (!match || !isArtifactKindName(match[1]!)) {
    throw new RestoreRequestError(
      `${JSON.stringify(reference)} names no recovery point: write <kind>/<account>/<region>/<source id>[#<life>] (kind one of ${ARTIFACT_KINDS.join(', ')}), or its catalog key ART#…`,
    );
  }
  return recoveryPointKey(match[1], match[2]!, match[3]!, match[4]!);
}
