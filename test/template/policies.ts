import { expect } from 'vitest';
import { list, type PlacedStatement, statements, type Template } from './stack.js';

/**
 * The only actions allowed on `Resource: "*"` in an identity policy, and why AWS leaves no choice.
 * Every such statement is narrowed by a condition instead (checked below).
 */
export const RESOURCE_STAR_ONLY: Record<string, string> = {
  'ec2:DescribeSnapshots':
    'EC2 Describe* actions support no resource-level permissions (Service Authorization Reference for Amazon EC2: no resource type); narrowed by aws:RequestedRegion',
  'ec2:DescribeImages':
    'EC2 Describe* actions support no resource-level permissions (Service Authorization Reference for Amazon EC2: no resource type); narrowed by aws:RequestedRegion',
  'ec2:DescribeLockedSnapshots':
    'DescribeLockedSnapshots supports no resource-level permissions (Service Authorization Reference for Amazon EC2: no resource type); narrowed by aws:RequestedRegion',
  'ec2:DescribeVpcs':
    'EC2 Describe* actions support no resource-level permissions (Service Authorization Reference for Amazon EC2: no resource type); narrowed by aws:RequestedRegion',
  'ec2:DescribeSubnets':
    'EC2 Describe* actions support no resource-level permissions (Service Authorization Reference for Amazon EC2: no resource type); narrowed by aws:RequestedRegion',
  'ec2:DescribeRouteTables':
    'EC2 Describe* actions support no resource-level permissions (Service Authorization Reference for Amazon EC2: no resource type); narrowed by aws:RequestedRegion',
  'ec2:DescribeSecurityGroups':
    'EC2 Describe* actions support no resource-level permissions (Service Authorization Reference for Amazon EC2: no resource type); narrowed by aws:RequestedRegion',
  'ec2:DescribeInstances':
    'EC2 Describe* actions support no resource-level permissions (Service Authorization Reference for Amazon EC2: no resource type); narrowed by aws:RequestedRegion',
  'ec2:DescribeVolumes':
    'EC2 Describe* actions support no resource-level permissions (Service Authorization Reference for Amazon EC2: no resource type); narrowed by aws:RequestedRegion',
  'ec2:DescribeLaunchTemplates':
    'EC2 Describe* actions support no resource-level permissions (Service Authorization Reference for Amazon EC2: no resource type); narrowed by aws:RequestedRegion',
  'ec2:DescribeLaunchTemplateVersions':
    'EC2 Describe* actions support no resource-level permissions (Service Authorization Reference for Amazon EC2: no resource type); narrowed by aws:RequestedRegion',
  'ssm:DescribeParameters':
    'DescribeParameters supports no resource-level permissions (Service Authorization Reference for Systems Manager: no resource type); narrowed by aws:RequestedRegion',
  'kms:ListAliases':
    'ListAliases supports no resource-level permission (Service Authorization Reference for AWS KMS: no resource type); narrowed by aws:RequestedRegion',
};

/** In a KMS key policy `Resource: "*"` means the key the policy is attached to (KMS developer guide, key policies). */
export const isKeyPolicy = (s: PlacedStatement) => s.property === 'KeyPolicy';

/** The policy rules every stack must keep; each failure names the resource and statement. */
export function expectLeastPrivilege(template: Template): void {
  // Deny statements (the deployment bucket's TLS-only rule) only take access away.
  const all = statements(template).filter((s) => s.statement.Effect === 'Allow');
  expect(all.length).toBeGreaterThan(10);
  const where = (s: PlacedStatement) => `${s.logicalId} ${s.property} ${s.statement.Sid ?? JSON.stringify(s.statement)}`;

  // No action "*" nor a whole service ("ec2:*"); no inverted elements, which grant everything else.
  expect(statements(template).every((s) => s.statement.Effect === 'Allow' || s.statement.Effect === 'Deny')).toBe(true);
  const wildcards = all.filter((s) => list(s.statement.Action).some((a) => a === '*' || /^[\w-]+:\*$/.test(a))).map(where);
  expect(wildcards, 'statements granting * or a whole service').toEqual([]);
  const inverted = all
    .filter((s) => s.statement.NotAction !== undefined || s.statement.NotResource !== undefined || s.statement.NotPrincipal !== undefined)
    .map(where);
  expect(inverted, 'statements with NotAction/NotResource/NotPrincipal').toEqual([]);

  // Resource "*" only in key policies (where it means this key) or for actions AWS only grants that way, and then with a condition.
  const starred = all.filter((s) => list(s.statement.Resource).includes('*') && !isKeyPolicy(s));
  const unjustified = starred.filter((s) => !list(s.statement.Action).every((a) => a in RESOURCE_STAR_ONLY)).map(where);
  expect(unjustified, 'Resource "*" for actions that support resource-level permissions').toEqual([]);
  const unconditioned = starred.filter((s) => !s.statement.Condition).map(where);
  expect(unconditioned, 'Resource "*" statements without a narrowing condition').toEqual([]);

  // kms:CreateGrant only for grants a named AWS service (EC2, RDS, in any region) creates on the caller's behalf.
  const grants = all.filter((s) => list(s.statement.Action).includes('kms:CreateGrant'));
  const throughEc2OrRds = (via: unknown) =>
    via !== undefined && list(via as string | string[]).every((v) => /^(ec2|rds)\.[a-z0-9*-]+\.amazonaws\.com$/.test(v));
  const loose = grants
    .filter(
      (s) =>
        s.statement.Condition?.Bool?.['kms:GrantIsForAWSResource'] !== 'true' ||
        !throughEc2OrRds(s.statement.Condition?.StringEquals?.['kms:ViaService'] ?? s.statement.Condition?.StringLike?.['kms:ViaService']),
    )
    .map(where);
  expect(loose, 'kms:CreateGrant without kms:GrantIsForAWSResource and kms:ViaService').toEqual([]);

  // Nobody is trusted as "*" without a condition.
  const open = all.filter((s) => JSON.stringify(s.statement.Principal ?? null).includes('"*"') && !s.statement.Condition).map(where);
  expect(open, 'statements open to any principal').toEqual([]);
}

/** Every SQS queue is encrypted, and every queue but a dead-letter queue redrives to one in this stack. */
export function expectQueuesHaveDlqAndEncryption(template: Template): void {
  const queues = Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::SQS::Queue');
  expect(queues.length).toBeGreaterThan(0);
  const deadLetterIds = new Set(
    queues.flatMap(([, r]) => {
      const target = (r.Properties?.RedrivePolicy as { deadLetterTargetArn?: { 'Fn::GetAtt'?: string[] } } | undefined)
        ?.deadLetterTargetArn?.['Fn::GetAtt']?.[0];
      return target ? [target] : [];
    }),
  );
  for (const [id, queue] of queues) {
    const p = queue.Properties ?? {};
    expect(p.SqsManagedSseEnabled === true || p.KmsMasterKeyId !== undefined, `${id} is encrypted`).toBe(true);
    if (deadLetterIds.has(id)) continue;
    const redrive = p.RedrivePolicy as { deadLetterTargetArn: { 'Fn::GetAtt': string[] }; maxReceiveCount: number } | undefined;
    expect(redrive, `${id} has a RedrivePolicy`).toBeDefined();
    const dlq = redrive!.deadLetterTargetArn['Fn::GetAtt'][0]!;
    expect(template.Resources[dlq]?.Type, `${id} redrives to a queue of this stack`).toBe('AWS::SQS::Queue');
    expect(redrive!.maxReceiveCount).toBeGreaterThanOrEqual(5);
  }
}
