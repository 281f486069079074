import type { ServiceEvent } from '../../core/cloud-core.js';
import { type RdsFamily, type SimRdsSnapshot, snapshotArn } from './snapshot.js';

/**
 * The "snapshot created" event RDS sends when a snapshot becomes available, in the shape of
 * AWS's documented sample (RDS User Guide, "Amazon RDS event examples", rds-cloudwatch-events.sample.html):
 * `EventCategories`, `SourceType`, `SourceArn`, `Date`, `Message`, `SourceIdentifier`, `EventID`,
 * with the snapshot ARN in `resources`. Event ids and messages: USER_Events.Messages.html.
 */
export function snapshotCreatedEvent(family: RdsFamily, snapshot: SimRdsSnapshot, at: Date): ServiceEvent {
  const arn = snapshotArn(family, snapshot);
  const { eventId, message } = family.created[snapshot.type];
  return {
    'detail-type': family.detailType,
    source: 'aws.rds',
    account: snapshot.owner,
    region: snapshot.region,
    resources: [arn],
    detail: {
      EventCategories: [family.eventCategory],
      SourceType: family.sourceType,
      SourceArn: arn,
      Date: at.toISOString(),
      Message: message,
      SourceIdentifier: snapshot.id,
      EventID: eventId,
    },
  };
}

/**
 * The event RDS sends when a DB snapshot copy finishes, in the copy's account and region (RDS User
 * Guide, USER_Events.Messages, "DB snapshot events", category `notification`): RDS-EVENT-0197
 * "Finished copy of snapshot name in region name" for a local copy, RDS-EVENT-0060 "Finished copy of
 * snapshot name from region name in number minutes" for a cross-Region one. `SourceArn` and
 * `SourceIdentifier` name the new copy. DB cluster snapshots have no such event in that table.
 */
export function snapshotCopiedEvent(family: RdsFamily, copy: SimRdsSnapshot, sourceRegion: string, at: Date): ServiceEvent {
  const arn = snapshotArn(family, copy);
  const local = sourceRegion === copy.region;
  const minutes = Math.round((at.getTime() - copy.createdAt.getTime()) / 60_000);
  return {
    'detail-type': family.detailType,
    source: 'aws.rds',
    account: copy.owner,
    region: copy.region,
    resources: [arn],
    detail: {
      EventCategories: ['notification'],
      SourceType: family.sourceType,
      SourceArn: arn,
      Date: at.toISOString(),
      Message: local
        ? `Finished copy of snapshot ${copy.id} in region ${copy.region}.`
        : `Finished copy of snapshot ${copy.id} from region ${sourceRegion} in ${minutes} minutes.`,
      SourceIdentifier: copy.id,
      EventID: local ? 'RDS-EVENT-0197' : 'RDS-EVENT-0060',
    },
  };
}
