/**
 * AWS's own documented sample events, per artifact kind: what each kind's rule must match, and
 * documented events it must not. Copied from the AWS documentation with the placeholders the
 * pages show filled in, quirks kept (the EBS samples put the region in the account slot of
 * their ARNs). Where a page documents only a neighbouring event, the sample is derived from it
 * by changing only the field the event table documents, and says so.
 *
 * Sources:
 *   EBS  https://docs.aws.amazon.com/ebs/latest/userguide/ebs-cloud-watch-events.html
 *        https://docs.aws.amazon.com/ebs/latest/userguide/ebs-snapshot-lock.html (lockSnapshot)
 *   AMI  https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/monitor-ami-events.html
 *   RDS  https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-cloudwatch-events.sample.html
 *        https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Events.Messages.html (event IDs)
 *   SSM  https://docs.aws.amazon.com/systems-manager/latest/userguide/monitoring-systems-manager-event-examples.html
 *        https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-working.html (failed create)
 */

type Sample = { name: string; event: Record<string, unknown> };
export interface KindSamples {
  matches: Sample[];
  doesNotMatch: Sample[];
}

const ebs = (detailType: string, detail: Record<string, unknown>, resources = ['arn:aws:ec2::us-west-2:snapshot/snap-01234567']) => ({
  version: '0',
  id: '01234567-0123-0123-0123-012345678901',
  'detail-type': detailType,
  source: 'aws.ec2',
  account: '012345678901',
  time: '2024-11-16T06:27:33Z',
  region: 'us-east-1',
  resources,
  detail,
});

const ami = (state: string, errorMessage = '') => ({
  version: '0',
  id: 'example-9f07-51db-246b-d8b8441bcdf0',
  'detail-type': 'EC2 AMI State Change',
  source: 'aws.ec2',
  account: '012345678901',
  time: '2024-11-16T06:27:33Z',
  region: 'us-east-1',
  resources: ['arn:aws:ec2:us-east-1::image/ami-0123456789example'],
  detail: { RequestId: 'example-9dcc-40a6-aa77-7ce457d5442b', ImageId: 'ami-0123456789example', State: state, ErrorMessage: errorMessage },
});

const rdsSnapshot = (eventId: string, category: string, message: string) => ({
  version: '0',
  id: '844e2571-85d4-695f-b930-0153b71dcb42',
  'detail-type': 'RDS DB Snapshot Event',
  source: 'aws.rds',
  account: '123456789012',
  time: '2018-10-06T12:26:13Z',
  region: 'us-east-1',
  resources: ['arn:aws:rds:us-east-1:123456789012:snapshot:rds:my-db-snapshot'],
  detail: {
    EventCategories: [category],
    SourceType: 'SNAPSHOT',
    SourceArn: 'arn:aws:rds:us-east-1:123456789012:snapshot:rds:my-db-snapshot',
    Date: '2018-10-06T12:26:13.882Z',
    Message: message,
    SourceIdentifier: 'rds:my-db-snapshot',
    EventID: eventId,
  },
});

const rdsClusterSnapshot = (eventId: string, message: string) => ({
  version: '0',
  id: '844e2571-85d4-695f-b930-0153b71dcb42',
  'detail-type': 'RDS DB Cluster Snapshot Event',
  source: 'aws.rds',
  account: '123456789012',
  time: '2018-10-06T12:26:13Z',
  region: 'us-east-1',
  resources: ['arn:aws:rds:us-east-1:123456789012:cluster-snapshot:rds:my-db-cluster-snapshot'],
  detail: {
    EventCategories: ['backup'],
    SourceType: 'CLUSTER_SNAPSHOT',
    SourceArn: 'arn:aws:rds:us-east-1:123456789012:cluster-snapshot:rds:my-db-cluster-snapshot',
    Date: '2018-10-06T12:26:13.882Z',
    SourceIdentifier: 'rds:my-db-cluster-snapshot',
    Message: message,
    EventID: eventId,
  },
});

const parameter = (id: string, operation: string, time: string) => ({
  version: '0',
  id,
  'detail-type': 'Parameter Store Change',
  source: 'aws.ssm',
  account: '123456789012',
  time,
  region: 'us-east-2',
  resources: ['arn:aws:ssm:us-east-2:123456789012:parameter/MyExampleParameter'],
  detail: { operation, name: 'MyExampleParameter', type: 'String', description: 'Sample Parameter' },
});

export const SAMPLE_EVENTS: Record<string, KindSamples> = {
  'ebs-snapshot': {
    matches: [
      {
        name: 'createSnapshot succeeded',
        event: ebs('EBS Snapshot Notification', {
          event: 'createSnapshot',
          result: 'succeeded',
          cause: '',
          'request-id': '',
          snapshot_id: 'arn:aws:ec2::us-west-2:snapshot/snap-01234567',
          source: 'arn:aws:ec2::us-west-2:volume/vol-01234567',
          startTime: '2024-11-16T06:27:33Z',
          endTime: '2024-11-16T06:37:33Z',
        }),
      },
      {
        name: 'createSnapshots succeeded (multi-volume: its own detail-type)',
        event: ebs(
          'EBS Multi-Volume Snapshots Completion Status',
          {
            event: 'createSnapshots',
            result: 'succeeded',
            cause: '',
            'request-id': '',
            startTime: '2024-11-16T06:27:33Z',
            endTime: '2024-11-16T06:37:33Z',
            snapshots: [
              { snapshot_id: 'arn:aws:ec2::us-east-1:snapshot/snap-01234567', source: 'arn:aws:ec2::us-east-1:volume/vol-01234567', status: 'completed' },
              { snapshot_id: 'arn:aws:ec2::us-east-1:snapshot/snap-012345678', source: 'arn:aws:ec2::us-east-1:volume/vol-012345678', status: 'completed' },
            ],
          },
          ['arn:aws:ec2::us-east-1:snapshot/snap-01234567', 'arn:aws:ec2::us-east-1:snapshot/snap-012345678'],
        ),
      },
      {
        name: 'createSnapshots failed (recorded as skipped by the handler)',
        event: ebs(
          'EBS Multi-Volume Snapshots Completion Status',
          {
            event: 'createSnapshots',
            result: 'failed',
            cause: 'Snapshot snap-01234567 is in status error',
            'request-id': '',
            startTime: '2024-11-16T06:27:33Z',
            endTime: '2024-11-16T06:37:33Z',
            snapshots: [
              { snapshot_id: 'arn:aws:ec2::us-east-1:snapshot/snap-01234567', source: 'arn:aws:ec2::us-east-1:volume/vol-01234567', status: 'error' },
              { snapshot_id: 'arn:aws:ec2::us-east-1:snapshot/snap-012345678', source: 'arn:aws:ec2::us-east-1:volume/vol-012345678', status: 'error' },
            ],
          },
          ['arn:aws:ec2::us-east-1:snapshot/snap-01234567', 'arn:aws:ec2::us-east-1:snapshot/snap-012345678'],
        ),
      },
      {
        name: 'copySnapshot succeeded (standard copy)',
        event: ebs('EBS Snapshot Notification', {
          event: 'copySnapshot',
          result: 'succeeded',
          cause: '',
          'request-id': '',
          snapshot_id: 'arn:aws:ec2::us-west-2:snapshot/snap-01234567',
          source: 'arn:aws:ec2::eu-west-1:snapshot/snap-76543210',
          startTime: '2024-11-16T06:27:33Z',
          endTime: '2024-11-16T06:37:33Z',
          incremental: 'true',
          transferType: 'standard',
        }),
      },
      {
        name: 'copySnapshot failed (recorded as skipped by the handler)',
        event: ebs('EBS Snapshot Notification', {
          event: 'copySnapshot',
          result: 'failed',
          cause: 'Source snapshot ID is not valid',
          'request-id': '',
          snapshot_id: 'arn:aws:ec2::us-west-2:snapshot/snap-01234567',
          source: 'arn:aws:ec2::eu-west-1:snapshot/snap-76543210',
          startTime: '2024-11-16T06:27:33Z',
          endTime: '2024-11-16T06:37:33Z',
        }),
      },
    ],
    doesNotMatch: [
      {
        name: 'shareSnapshot (someone else shared a snapshot with this account)',
        event: ebs('EBS Snapshot Notification', {
          event: 'shareSnapshot',
          result: 'succeeded',
          cause: '',
          'request-id': '',
          snapshot_id: 'arn:aws:ec2::us-west-2:snapshot/snap-01234567',
          source: '012345678901',
          startTime: '2024-11-16T06:27:33Z',
          endTime: '2024-11-16T06:37:33Z',
        }),
      },
      {
        name: 'lockSnapshot succeeded',
        event: ebs('EBS Snapshot Notification', {
          event: 'lockSnapshot',
          result: 'succeeded',
          snapshot_id: 'arn:aws:ec2::us-west-2:snapshot/snap-01234567890abcdef',
          source: '012345678901',
          lockState: 'compliance-cooloff',
        }),
      },
      {
        name: 'time-based copy missed its completion duration (another detail-type)',
        event: ebs('EBS Copy Snapshot Missed Completion Duration', {
          event: 'copySnapshot',
          missedCompletionDurationCause: 'Snapshot copy was not able to meet the specified completion duration because your snapshot copy operation throughput quota was exceeded.',
          snapshot_id: 'arn:aws:ec2:us-east-1:123456789012:snapshot/snap-01234567890abcedf',
          source: 'arn:aws:ec2:us-east-1:123456789012:snapshot/snap-00987654321fedcba',
          startTime: 'Sun Nov 24 22:32:55 UTC 2024',
          transferType: 'time-based',
        }),
      },
      {
        name: 'createVolume (a volume event)',
        event: ebs('EBS Volume Notification', { result: 'available', cause: '', event: 'createVolume', 'request-id': '01234567-0123-0123-0123-0123456789ab' }, [
          'arn:aws:ec2:us-east-1:012345678901:volume/vol-01234567',
        ]),
      },
    ],
  },
  ami: {
    matches: [
      { name: 'available', event: ami('available') },
      { name: 'failed (recorded as skipped)', event: ami('failed', 'Description of failure') },
      { name: 'deregistered (recorded as skipped; the vault copy is kept)', event: ami('deregistered') },
    ],
    doesNotMatch: [{ name: 'disabled', event: ami('disabled') }],
  },
  'rds-snapshot': {
    matches: [
      { name: 'manual snapshot created (the documented sample with EventID RDS-EVENT-0042)', event: rdsSnapshot('RDS-EVENT-0042', 'creation', 'Manual snapshot created') },
      { name: 'automated snapshot created (the documented sample with EventID RDS-EVENT-0091)', event: rdsSnapshot('RDS-EVENT-0091', 'creation', 'Automated snapshot created') },
    ],
    doesNotMatch: [
      { name: 'the documented sample: snapshot deleted (RDS-EVENT-0041)', event: rdsSnapshot('RDS-EVENT-0041', 'deletion', 'Deleted manual snapshot') },
      { name: 'manual snapshot being created (RDS-EVENT-0040), not finished', event: rdsSnapshot('RDS-EVENT-0040', 'creation', 'Creating manual snapshot') },
    ],
  },
  'rds-cluster-snapshot': {
    matches: [
      { name: 'manual cluster snapshot created (the documented sample with EventID RDS-EVENT-0075)', event: rdsClusterSnapshot('RDS-EVENT-0075', 'Manual cluster snapshot created') },
      { name: 'automated cluster snapshot created (the documented sample with EventID RDS-EVENT-0169)', event: rdsClusterSnapshot('RDS-EVENT-0169', 'Automated cluster snapshot created') },
    ],
    doesNotMatch: [{ name: 'the documented sample: manual cluster snapshot started (RDS-EVENT-0074)', event: rdsClusterSnapshot('RDS-EVENT-0074', 'Creating manual cluster snapshot') }],
  },
  'ssm-parameter': {
    matches: [
      { name: 'Create', event: parameter('6a7e4feb-b491-4cf7-a9f1-bf3703497718', 'Create', '2017-05-22T16:43:48Z') },
      { name: 'Update', event: parameter('9547ef2d-3b7e-4057-b6cb-5fdf09ee7c8f', 'Update', '2017-05-22T16:44:48Z') },
      { name: 'Delete', event: parameter('80e9b391-6a9b-413c-839a-453b528053af', 'Delete', '2017-05-22T16:45:48Z') },
      {
        name: 'Create that failed (the handler decides)',
        event: {
          version: '0',
          id: 'eed4a719-0fa4-6a49-80d8-8ac65EXAMPLE',
          'detail-type': 'Parameter Store Change',
          source: 'aws.ssm',
          account: '111122223333',
          time: '2020-05-26T22:04:42Z',
          region: 'us-east-2',
          resources: ['arn:aws:ssm:us-east-2:111122223333:parameter/golden-ami'],
          detail: { exception: 'Unable to Describe Resource', dataType: 'aws:ec2:image', name: 'golden-ami', type: 'String', operation: 'Create' },
        },
      },
    ],
    doesNotMatch: [
      {
        name: 'Run Command status change (another aws.ssm event)',
        event: {
          version: '0',
          id: '51c0891d-0e34-45b1-83d6-95db273d1602',
          'detail-type': 'EC2 Command Status-change Notification',
          source: 'aws.ssm',
          account: '123456789012',
          time: '2016-07-10T21:51:32Z',
          region: 'us-east-2',
          resources: ['arn:aws:ec2:us-east-2:123456789012:instance/i-abcd1111'],
          detail: { 'command-id': 'e8d3c0e4-71f7-4491-898f-c9b35bee5f3b', 'document-name': 'AWS-RunPowerShellScript', status: 'Success' },
        },
      },
    ],
  },
};
