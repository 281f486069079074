import { describe, expect, it } from 'vitest';
import { type EventPattern, InvalidEventPatternError, matchesPattern, validatePattern } from '../src/services/events/event-pattern.js';

/** The sample event of the Event Ruler README (the engine EventBridge documents). */
const ec2Event = {
  version: '0',
  id: 'ddddd4-aaaa-7777-4444-345dd43cc333',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '012345679012',
  time: '2017-10-02T16:24:49Z',
  region: 'us-east-1',
  resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000'],
  detail: {
    'c-count': 5,
    'd-count': 3,
    'x-limit': 301.8,
    'source-ip': '10.0.0.33',
    'instance-id': 'i-000000aaaaaa00000',
    state: 'running',
  },
};

const matches = (pattern: EventPattern, event: unknown = ec2Event) => matchesPattern(pattern, event);

describe('event pattern matching', () => {
  it('matches exact values, with the listed values as alternatives and all fields required', () => {
    expect(matches({ 'detail-type': ['EC2 Instance State-change Notification'], detail: { state: ['initializing', 'running'] } })).toBe(
      true,
    );
    expect(matches({ source: ['aws.ec2'], detail: { state: ['stopped'] } })).toBe(false);
    expect(matches({ source: ['aws.ec2'], detail: { missing: ['x'] } })).toBe(false);
    expect(matches({ source: ['AWS.EC2'] })).toBe(false);
  });

  it('matches an array in the event when it intersects the pattern values (AWS docs example)', () => {
    const pattern = {
      resources: [
        'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
        'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f',
        'arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f',
      ],
    };
    const event = {
      resources: [
        'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate',
        'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
      ],
    };
    expect(matches(pattern, event)).toBe(true);
    expect(matches(pattern, { resources: [event.resources[0]] })).toBe(false);
  });

  it('keeps fields of one array element together (array-consistent matching)', () => {
    const event = {
      employees: [
        [
          { firstName: 'John', lastName: 'Doe' },
          { firstName: 'Anna', lastName: 'Smith' },
        ],
        [{ firstName: 'Peter', lastName: 'Jones' }],
      ],
    };
    expect(matches({ employees: { firstName: ['Anna'] } }, event)).toBe(true);
    expect(matches({ employees: { firstName: ['Anna'], lastName: ['Smith'] } }, event)).toBe(true);
    expect(matches({ employees: { firstName: ['Anna'], lastName: ['Jones'] } }, event)).toBe(false);
  });

  it('compares types strictly and numbers by value', () => {
    expect(matches({ detail: { 'c-count': [5] } })).toBe(true);
    expect(matches({ detail: { 'c-count': ['5'] } })).toBe(false);
    expect(matches({ detail: { 'x-limit': [3.018e2] } })).toBe(true);
    expect(matches({ a: [null], b: [''], c: [true] }, { a: null, b: '', c: true })).toBe(true);
    expect(matches({ c: ['true'] }, { c: true })).toBe(false);
  });

  it('supports prefix, suffix and equals-ignore-case, alone and combined', () => {
    expect(matches({ time: [{ prefix: '2017-10-02' }] })).toBe(true);
    expect(matches({ time: [{ prefix: '2017-10-03' }] })).toBe(false);
    expect(matches({ source: [{ suffix: 'ec2' }] })).toBe(true);
    expect(matches({ 'detail-type': [{ 'equals-ignore-case': 'ec2 instance STATE-CHANGE notification' }] })).toBe(true);
    expect(matches({ detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } }, { detail: { service: 'eventbridge' } })).toBe(
      true,
    );
    expect(matches({ FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] }, { FileName: 'photo.PNG' })).toBe(true);
    expect(matches({ detail: { 'c-count': [{ prefix: '5' }] } })).toBe(false);
  });

  it('supports wildcards with escapes', () => {
    expect(matches({ source: [{ wildcard: 'Simple*Service' }] }, { source: 'SimpleQueueService' })).toBe(true);
    expect(matches({ source: [{ wildcard: 'Simple*Service' }] }, { source: 'SimpleQueue' })).toBe(false);
    expect(matches({ path: [{ wildcard: 'a\\*b' }] }, { path: 'a*b' })).toBe(true);
    expect(matches({ path: [{ wildcard: 'a\\*b' }] }, { path: 'axxb' })).toBe(false);
    expect(matches({ path: [{ wildcard: 'dir/*.png' }] }, { path: 'dir/x.y.png' })).toBe(true);
  });

  it('supports anything-but with values, lists, prefix, suffix, ignore-case and wildcard', () => {
    expect(matches({ detail: { state: [{ 'anything-but': 'initializing' }] } })).toBe(true);
    expect(matches({ detail: { state: [{ 'anything-but': 'running' }] } })).toBe(false);
    expect(matches({ detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } })).toBe(true);
    expect(matches({ detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } })).toBe(true);
    expect(matches({ detail: { 'x-limit': [{ 'anything-but': 301.8 }] } })).toBe(false);
    expect(matches({ detail: { state: [{ 'anything-but': { prefix: 'init' } }] } })).toBe(true);
    expect(matches({ detail: { state: [{ 'anything-but': { prefix: 'run' } }] } })).toBe(false);
    expect(matches({ FileName: [{ 'anything-but': { suffix: '.png' } }] }, { FileName: 'a.png' })).toBe(false);
    expect(matches({ state: [{ 'anything-but': { 'equals-ignore-case': ['Initializing', 'stopped'] } }] }, { state: 'INITIALIZING' })).toBe(
      false,
    );
    expect(matches({ FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] }, { FilePath: '/usr/lib/x' })).toBe(false);
    expect(matches({ FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] }, { FilePath: '/usr/bin/x' })).toBe(true);
  });

  it('never matches a missing field with anything-but', () => {
    expect(matches({ detail: { absent: [{ 'anything-but': 'x' }] } })).toBe(false);
  });

  it('supports numeric comparisons and ranges on JSON numbers only', () => {
    expect(
      matches({
        detail: {
          'c-count': [{ numeric: ['>', 0, '<=', 5] }],
          'd-count': [{ numeric: ['<', 10] }],
          'x-limit': [{ numeric: ['=', 3.018e2] }],
        },
      }),
    ).toBe(true);
    expect(matches({ detail: { 'c-count': [{ numeric: ['>', 0, '<', 5] }] } })).toBe(false);
    expect(matches({ detail: { 'd-count': [{ numeric: ['>=', 3] }] } })).toBe(true);
    expect(matches({ v: [{ numeric: ['>', 1] }] }, { v: '2' })).toBe(false);
  });

  it('supports IPv4 and IPv6 CIDR blocks', () => {
    expect(matches({ detail: { 'source-ip': [{ cidr: '10.0.0.0/24' }] } })).toBe(true);
    expect(matches({ detail: { 'source-ip': [{ cidr: '10.0.1.0/24' }] } })).toBe(false);
    expect(matches({ ip: [{ cidr: '2001:db8::/32' }] }, { ip: '2001:db8::1' })).toBe(true);
    expect(matches({ ip: [{ cidr: '2001:db8::/32' }] }, { ip: '2001:db9::1' })).toBe(false);
  });

  it('tests exists on leaf values only', () => {
    expect(matches({ detail: { 'c-count': [{ exists: true }] } })).toBe(true);
    expect(matches({ detail: { 'c-count': [{ exists: false }] } })).toBe(false);
    expect(matches({ detail: { 'no-such-field': [{ exists: false }] } })).toBe(true);
    expect(matches({ detail: { 'c-count': [{ exists: false }] } }, { detail: { 'c-count': { c1: 100 } } })).toBe(true);
    expect(matches({ detail: { 'c-count': [{ exists: true }] } }, { detail: { 'c-count': { c1: 100 } } })).toBe(false);
    expect(matches({ detail: { x: [{ exists: false }] } }, { source: 'no detail at all' })).toBe(true);
  });

  it('matches the Event Ruler complex example', () => {
    const pattern = {
      time: [{ prefix: '2017-10-02' }],
      detail: {
        state: [{ 'anything-but': 'initializing' }],
        'c-count': [{ numeric: ['>', 0, '<=', 5] }],
        'd-count': [{ numeric: ['<', 10] }],
        'x-limit': [{ 'anything-but': [100, 200, 300] }],
        'source-ip': [{ cidr: '10.0.0.0/8' }],
      },
    };
    expect(matches(pattern)).toBe(true);
    expect(matches(pattern, { ...ec2Event, detail: { ...ec2Event.detail, state: 'initializing' } })).toBe(false);
  });

  it('supports $or, nested and inside objects', () => {
    const pattern = {
      source: ['aws.cloudwatch'],
      $or: [
        { metricName: ['CPUUtilization', 'ReadLatency'] },
        { metricType: ['MetricType'], namespace: ['AWS/EC2', 'AWS/ES'] },
        { scope: ['Service'] },
      ],
    };
    expect(matches(pattern, { source: 'aws.cloudwatch', metricName: 'ReadLatency' })).toBe(true);
    expect(matches(pattern, { source: 'aws.cloudwatch', metricType: 'MetricType', namespace: 'AWS/ES' })).toBe(true);
    expect(matches(pattern, { source: 'aws.cloudwatch', metricType: 'MetricType' })).toBe(false);
    expect(matches(pattern, { source: 'aws.ec2', scope: 'Service' })).toBe(false);
    const nested = { detail: { $or: [{ 'c-count': [{ numeric: ['>', 10] }] }, { 'd-count': [{ numeric: ['<', 10] }] }] } };
    expect(matches(nested)).toBe(true);
  });

  it('matches the EBS snapshot notification the hub listens for (AWS sample event)', () => {
    const pattern = {
      source: ['aws.ec2'],
      'detail-type': ['EBS Snapshot Notification'],
      detail: { event: ['createSnapshot', 'copySnapshot'], result: ['succeeded'] },
    };
    const sample = {
      version: '0',
      id: '01234567-0123-0123-0123-012345678901',
      'detail-type': 'EBS Snapshot Notification',
      source: 'aws.ec2',
      account: '012345678901',
      time: 'yyyy-mm-ddThh:mm:ssZ',
      region: 'us-east-1',
      resources: ['arn:aws:ec2::us-west-2:snapshot/snap-01234567'],
      detail: {
        event: 'createSnapshot',
        result: 'succeeded',
        cause: '',
        request_id: '',
        snapshot_id: 'arn:aws:ec2::us-west-2:snapshot/snap-01234567',
        source: 'arn:aws:ec2::us-west-2:volume/vol-01234567',
        startTime: 'yyyy-mm-ddThh:mm:ssZ',
        endTime: 'yyyy-mm-ddThh:mm:ssZ',
      },
    };
    expect(matches(pattern, sample)).toBe(true);
    expect(matches(pattern, { ...sample, detail: { ...sample.detail, result: 'failed' } })).toBe(false);
    expect(matchesPattern(JSON.stringify(pattern), sample)).toBe(true);
  });
});

describe('event pattern validation', () => {
  const invalid: [string, unknown, RegExp][] = [
    ['a bare string value', { source: 'aws.ec2' }, /source: must be an object or an array/],
    ['an empty pattern', {}, /empty objects/],
    ['an empty value list', { source: [] }, /source: empty arrays/],
    ['an upper bound before a lower one', { n: [{ numeric: ['<', 5, '>', 1] }] }, /lower bound/],
    ['an inverted range', { n: [{ numeric: ['>', 5, '<', 1] }] }, /below the upper bound/],
    ['a mixed anything-but list', { s: [{ 'anything-but': ['a', 1] }] }, /only strings or only numbers/],
    ['consecutive wildcards', { s: [{ wildcard: 'a**b' }] }, /consecutive/],
    ['a bad escape', { s: [{ wildcard: 'a\\b' }] }, /backslash/],
    ['two operators in one object', { s: [{ prefix: 'a', suffix: 'b' }] }, /only one key/],
    ['an unknown operator', { s: [{ contains: 'a' }] }, /unrecognized match type contains/],
    ['a single $or branch', { $or: [{ a: ['1'] }] }, /at least 2/],
    ['a non-boolean exists', { s: [{ exists: 'yes' }] }, /true or false/],
    ['a bad CIDR', { ip: [{ cidr: '10.0.0.0/33' }] }, /CIDR/],
    ['an array inside a value list', { s: [['a']] }, /match value/],
  ];

  it.each(invalid)('rejects %s', (_, pattern, message) => {
    expect(() => validatePattern(pattern as EventPattern)).toThrow(InvalidEventPatternError);
    expect(() => validatePattern(pattern as EventPattern)).toThrow(message);
  });

  it('rejects JSON text that does not parse, and names the path of a nested problem', () => {
    expect(() => validatePattern('{"source": [')).toThrow(/not valid JSON/);
    expect(() => validatePattern({ detail: { state: [{ numeric: ['~', 1] }] } })).toThrow(/detail\.state\[0\]/);
  });

  it('accepts the documented operators', () => {
    expect(() =>
      validatePattern({
        source: ['aws.ec2', { prefix: 'aws.' }],
        detail: {
          n: [{ numeric: ['>=', 0, '<', 10] }],
          ip: [{ cidr: '10.0.0.0/8' }],
          gone: [{ exists: false }],
          s: [{ 'anything-but': { prefix: 'x' } }],
        },
      }),
    ).not.toThrow();
  });
});
