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
