import {
  DescribeEventBusCommand,
  DescribeRuleCommand,
  EventBridgeClient,
  ListRulesCommand,
  ListTargetsByRuleCommand,
  PutEventsCommand,
  PutPermissionCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { beforeEach, describe, expect, it } from 'vitest';
import { type EventEnvelope, SimCloud } from '../src/index.js';
import type { EventBridgeSim } from '../src/services/events/events.js';
import type { SqsSim } from '../src/services/sqs/sqs.js';
import { allowing, trustedBy } from './policies.js';

const VAULT = '999999999999';
const SOURCE = '111111111111';
const OUTSIDER = '222222222222';
const ORG = 'o-abc123';
const REGION = 'eu-west-1';
const HUB_BUS = `arn:aws:events:${REGION}:${VAULT}:event-bus/backup-hub`;
const HUB_RULE = `arn:aws:events:${REGION}:${VAULT}:rule/backup-hub/ebs`;
const QUEUE = `arn:aws:sqs:${REGION}:${VAULT}:ebs-copies`;
const EBS_PATTERN = { source: ['aws.ec2'], 'detail-type': ['EBS Snapshot Notification'], detail: { result: ['succeeded'] } };

let cloud: SimCloud;
let sqs: SqsSim;
let events: EventBridgeSim;

/** The vault as the design has it: an org-only hub bus, a rule per kind, a queue whose policy names that rule. */
function vault(queueSourceArn = HUB_RULE) {
  const orgOnly = {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: '*',
        Action: 'events:PutEvents',
        Resource: HUB_BUS,
        Condition: { StringEquals: { 'aws:PrincipalOrgID': ORG } },
      },
    ],
  };
  events.createBus(VAULT, REGION, 'backup-hub', JSON.stringify(orgOnly));
  sqs.createQueue(VAULT, REGION, 'ebs-copies', {
    policy: {
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: 'events.amazonaws.com' },
          Action: 'sqs:SendMessage',
          Resource: QUEUE,
          Condition: { ArnEquals: { 'aws:SourceArn': queueSourceArn } },
        },
      ],
    },
  });
  events.putRule(VAULT, REGION, { bus: 'backup-hub', name: 'ebs', pattern: EBS_PATTERN, targets: [{ id: 'queue', arn: QUEUE }] });
}

/** A source account forwarding its EBS events to the hub bus through a role. */
function sourceForwarding(account = SOURCE, role: { trusts?: string; withRole?: boolean } = {}) {
  const forwarder = cloud.iam.putRole({
    account,
    name: 'backup-hub-forwarder',
    trustPolicy: trustedBy(role.trusts ? { AWS: role.trusts } : { Service: 'events.amazonaws.com' }),
    policies: allowing('events:PutEvents'),
  });
  const target = { id: 'hub', arn: HUB_BUS, ...(role.withRole === false ? {} : { roleArn: forwarder.arn }) };
  return events.putRule(account, REGION, { name: 'to-backup-hub', pattern: EBS_PATTERN, targets: [target] });
}

const snapshotEvent = (account = SOURCE, result = 'succeeded') =>
  cloud.emitServiceEvent({
    'detail-type': 'EBS Snapshot Notification',
    source: 'aws.ec2',
    account,
    region: REGION,
    resources: [`arn:aws:ec2::${REGION}:snapshot/snap-0123`],
    detail: {
      event: 'createSnapshot',
      result,
      snapshot_id: `arn:aws:ec2::${REGION}:snapshot/snap-0123`,
      source: `arn:aws:ec2::${REGION}:volume/vol-a`,
    },
  });

const clientOf = (account: string) => new EventBridgeClient(cloud.clientConfig(cloud.adminCredentials(account), REGION));
const customEntry = (EventBusName: string) => ({
  Source: 'backup-hub.test',
  DetailType: 'EBS Snapshot Notification',
  Detail: '{"result":"succeeded"}',
  EventBusName,
});

beforeEach(() => {
  cloud = new SimCloud();
  cloud.addAccount({ id: VAULT, orgId: ORG });
  cloud.addAccount({ id: SOURCE, orgId: ORG });
  cloud.addAccount({ id: OUTSIDER });
  ({ sqs, events } = cloud);
});

describe('simulated EventBridge routing', () => {
  it('forwards an aws.ec2 event from a source default bus to the vault bus and into the queue, unchanged', () => {
    vault();
    const forward = sourceForwarding();
    const event = snapshotEvent();
    const [message] = sqs.messages(QUEUE);
    expect(JSON.parse(message!.body) as EventEnvelope).toEqual(event);
    expect(event.account).toBe(SOURCE);
    expect(events.deliveries).toEqual([
      expect.objectContaining({
        eventId: event.id,
        from: `arn:aws:events:${REGION}:${SOURCE}:event-bus/default`,
        rule: forward.arn,
        target: HUB_BUS,
        ok: true,
      }),
      expect.objectContaining({ eventId: event.id, from: HUB_BUS, rule: HUB_RULE, target: QUEUE, ok: true }),
    ]);
  });

  it('routes only events the rule pattern matches', () => {
    vault();
    sourceForwarding();
    snapshotEvent(SOURCE, 'failed');
    expect(sqs.depth(QUEUE)).toBe(0);
    expect(events.deliveries).toEqual([]);
  });

  it('records a failed delivery when the queue policy does not name the rule', () => {
    vault(`arn:aws:events:${REGION}:${VAULT}:rule/backup-hub/other`);
    sourceForwarding();
    const event = snapshotEvent();
    expect(sqs.depth(QUEUE)).toBe(0);
    expect(events.deliveries.at(-1)).toMatchObject({
      eventId: event.id,
      rule: HUB_RULE,
      target: QUEUE,
      ok: false,
      reason: expect.stringMatching(/^AccessDenied: .*sqs:SendMessage/),
    });
  });

  it('refuses a cross-account bus target without a role, or with a role EventBridge may not assume', () => {
    vault();
    sourceForwarding(SOURCE, { withRole: false });
    snapshotEvent();
    expect(events.deliveries.at(-1)).toMatchObject({ target: HUB_BUS, ok: false, reason: expect.stringMatching(/needs a RoleArn/) });
    sourceForwarding(SOURCE, { trusts: `arn:aws:iam::${SOURCE}:root` });
    snapshotEvent();
    expect(events.deliveries.at(-1)).toMatchObject({
      target: HUB_BUS,
      ok: false,
      reason: expect.stringMatching(/does not trust events\.amazonaws\.com/),
    });
    expect(sqs.depth(QUEUE)).toBe(0);
  });

  it('refuses a forward from an account outside the organisation the bus policy names', () => {
    vault();
    sourceForwarding(OUTSIDER);
    snapshotEvent(OUTSIDER);
    expect(events.deliveries).toEqual([
      expect.objectContaining({
        target: HUB_BUS,
        ok: false,
        reason: expect.stringMatching(/^AccessDeniedException: .*no resource-based policy allows/),
      }),
    ]);
    expect(sqs.depth(QUEUE)).toBe(0);
  });

  it('does not send an event a bus delivered on to a further bus', () => {
    vault();
    sourceForwarding();
    events.createBus(VAULT, REGION, 'audit');
    events.putRule(VAULT, REGION, {
      bus: 'backup-hub',
      name: 'copy-to-audit',
      pattern: { source: ['aws.ec2'] },
      targets: [{ id: 'audit', arn: `arn:aws:events:${REGION}:${VAULT}:event-bus/audit` }],
    });
    snapshotEvent();
    expect(events.deliveries.find((d) => d.target.endsWith('event-bus/audit'))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/another event bus delivered/),
    });
    expect(sqs.depth(QUEUE)).toBe(1);
  });

  it('delivers a drill forward with the same policy checks', () => {
    vault();
    const raw: EventEnvelope = {
      version: '0',
      id: 'drill-1',
      'detail-type': 'EBS Snapshot Notification',
      source: 'aws.ec2',
      account: SOURCE,
      time: '2026-01-01T00:00:00Z',
      region: REGION,
      resources: [],
      detail: { result: 'succeeded' },
    };
    expect(events.forward(HUB_BUS, raw, SOURCE)).toEqual({ delivered: true });
    expect(JSON.parse(sqs.messages(QUEUE)[0]!.body)).toEqual(raw);
    // Sent as a role of the account (the role its rule delivers with), it is from that account too.
    expect(events.forward(HUB_BUS, { ...raw, id: 'drill-as-role' }, `arn:aws:iam::${SOURCE}:role/forwarder`)).toEqual({ delivered: true });
    expect(events.deliveries).toContainEqual(expect.objectContaining({ eventId: 'drill-as-role', from: `account:${SOURCE}`, ok: true }));
    const refused = events.forward(HUB_BUS, { ...raw, id: 'drill-2' }, OUTSIDER);
    expect(refused).toMatchObject({ delivered: false, reason: expect.stringMatching(/AccessDeniedException/) });
    expect(events.deliveries.at(-1)).toMatchObject({ eventId: 'drill-2', from: `account:${OUTSIDER}`, ok: false });
    expect(sqs.depth(QUEUE)).toBe(2);
  });
});

describe('simulated EventBridge through the SDK', () => {
  it('routes PutEvents on another account bus only when the bus policy allows the caller', async () => {
    vault();
    // Updating the rule keeps its target (the queue whose policy names this rule).
    events.putRule(VAULT, REGION, { bus: 'backup-hub', name: 'ebs', pattern: { source: ['backup-hub.test'] } });
    const denied = await clientOf(OUTSIDER).send(new PutEventsCommand({ Entries: [customEntry(HUB_BUS)] }));
    expect(denied.FailedEntryCount).toBe(1);
    expect(denied.Entries![0]).toMatchObject({ ErrorCode: 'AccessDeniedException' });
    expect(sqs.depth(QUEUE)).toBe(0);
    const allowed = await clientOf(SOURCE).send(new PutEventsCommand({ Entries: [customEntry(HUB_BUS)] }));
    expect(allowed).toMatchObject({ FailedEntryCount: 0, Entries: [{ EventId: expect.any(String) }] });
    const delivered = JSON.parse(sqs.messages(QUEUE)[0]!.body) as EventEnvelope;
    expect(delivered).toMatchObject({
      id: allowed.Entries![0]!.EventId,
      account: SOURCE,
      region: REGION,
      source: 'backup-hub.test',
      detail: { result: 'succeeded' },
    });
  });

  it('refuses aws.* sources per entry and accepts the other entries', async () => {
    const result = await clientOf(SOURCE).send(
      new PutEventsCommand({
        Entries: [
          { Source: 'aws.ec2', DetailType: 'EBS Snapshot Notification', Detail: '{}' },
          customEntry('default'),
          { Source: 'x', DetailType: 'y', Detail: '[1]' },
        ],
      }),
    );
    expect(result.FailedEntryCount).toBe(2);
    expect(result.Entries).toEqual([
      { ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: 'Not authorized for the source.' },
      { EventId: expect.any(String) },
      { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' },
    ]);
  });

  it('opens a bus to another account with PutPermission', async () => {
    events.createBus(VAULT, REGION, 'open');
    const bus = `arn:aws:events:${REGION}:${VAULT}:event-bus/open`;
    expect((await clientOf(SOURCE).send(new PutEventsCommand({ Entries: [customEntry(bus)] }))).FailedEntryCount).toBe(1);
    await clientOf(VAULT).send(
      new PutPermissionCommand({ EventBusName: 'open', Action: 'events:PutEvents', Principal: SOURCE, StatementId: 'source' }),
    );
    expect((await clientOf(SOURCE).send(new PutEventsCommand({ Entries: [customEntry(bus)] }))).FailedEntryCount).toBe(0);
    const described = await clientOf(VAULT).send(new DescribeEventBusCommand({ Name: 'open' }));
    expect(JSON.parse(described.Policy!).Statement[0]).toMatchObject({ Sid: 'source', Principal: { AWS: `arn:aws:iam::${SOURCE}:root` } });
  });

  it('manages rules and targets', async () => {
    const client = clientOf(VAULT);
    await expect(client.send(new PutRuleCommand({ Name: 'bad', EventPattern: '{"source":"aws.ec2"}' }))).rejects.toMatchObject({
      name: 'InvalidEventPatternException',
    });
    const { RuleArn } = await client.send(new PutRuleCommand({ Name: 'ebs', EventPattern: JSON.stringify(EBS_PATTERN) }));
    expect(RuleArn).toBe(`arn:aws:events:${REGION}:${VAULT}:rule/ebs`);
    await client.send(
      new PutTargetsCommand({
        Rule: 'ebs',
        Targets: [
          { Id: 'q', Arn: QUEUE },
          { Id: 'r', Arn: QUEUE },
        ],
      }),
    );
    await client.send(new RemoveTargetsCommand({ Rule: 'ebs', Ids: ['r'] }));
    expect((await client.send(new ListTargetsByRuleCommand({ Rule: 'ebs' }))).Targets).toEqual([{ Id: 'q', Arn: QUEUE }]);
    expect(await client.send(new DescribeRuleCommand({ Name: 'ebs' }))).toMatchObject({
      Arn: RuleArn,
      State: 'ENABLED',
      EventBusName: 'default',
      EventPattern: JSON.stringify(EBS_PATTERN),
    });
    expect((await client.send(new ListRulesCommand({ NamePrefix: 'eb' }))).Rules?.map((r) => r.Name)).toEqual(['ebs']);
    await expect(client.send(new DescribeRuleCommand({ Name: 'nope' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });
});
