import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type DeployInput, type QuotaName, SimCloud, type Template, TemplateError, type TemplateResource } from '../src/index.js';

/**
 * The quotas and validations AWS applies when a template is deployed: each one refuses a template
 * over it with AWS's error code and message, and the refusal names the logical id, the quota, the
 * value and the limit. Sizes are built here independently of the simulation's own counting.
 */

const ACCOUNT = '999999999999';
const RAISED = '888888888888';
const REGION = 'eu-west-1';

let cloud: SimCloud;
beforeEach(() => {
  cloud = new SimCloud();
  cloud.addAccount({ id: ACCOUNT });
  cloud.addAccount({
    id: RAISED,
    quotas: { 'iam.trustPolicySize': 4096, 'iam.managedPoliciesPerRole': 20, 'events.eventPatternSize': 4096, 'events.rulesPerBus': 400 },
  });
});
afterEach(() => cloud.close());

let stacks = 0;
const deploy = (resources: Record<string, TemplateResource>, more: Partial<Template> & Partial<Omit<DeployInput, 'template'>> = {}) => {
  const { account = ACCOUNT, region = REGION, stackName = `stack${++stacks}`, lambdaCode, via, ...sections } = more;
  return cloud.cloudformation.deploy({
    account,
    region,
    stackName,
    template: { ...sections, Resources: resources },
    lambdaCode: lambdaCode ?? (() => async () => undefined),
    ...(via ? { via } : {}),
  });
};

interface Refusal {
  code: string;
  message: string;
  quota?: { quota: QuotaName; value: number; limit: number };
}

/** The deploy fails with AWS's code and message, naming the logical id (and the quota, the value and the limit). */
async function refused(attempt: Promise<unknown>, where: string, { code, message, quota }: Refusal): Promise<void> {
  const error = await attempt.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TemplateError);
  const failure = error as TemplateError;
  expect(failure.code).toBe(code);
  expect(failure.message).toContain(where);
  expect(failure.message).toContain(message);
  if (quota) {
    expect(failure.quota).toMatchObject(quota);
    expect(failure.message).toContain(`quota ${quota.quota} (`);
    if (typeof quota.value === 'number')
      expect(failure.message).toContain(`${quota.value.toLocaleString('en-US')} of ${quota.limit.toLocaleString('en-US')}`);
  } else expect(failure.quota).toBeUndefined();
}

/** IAM's count: the JSON without white space. */
const iamLength = (document: unknown) => JSON.stringify(document).replace(/\s/g, '').length;

/** A policy document of exactly `length` characters as IAM counts them (`extra` goes into its statement). */
function policyOfLength(length: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const make = (pad: string) => ({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::${pad}`, ...extra }],
  });
  const base = iamLength(make(''));
  if (base > length) throw new Error(`a policy needs at least ${base} characters`);
  return make('x'.repeat(length - base));
}

const lambdaTrust = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
};
const role = (properties: Record<string, unknown>): TemplateResource => ({
  Type: 'AWS::IAM::Role',
  Properties: { AssumeRolePolicyDocument: lambdaTrust, ...properties },
});
const inline = (name: string, document: unknown) => ({ PolicyName: name, PolicyDocument: document });

describe('IAM', () => {
  it('sums every inline policy of a role, also those other stacks put on it, against 10,240 characters', async () => {
    await deploy({ Fits: role({ RoleName: 'fits', Policies: [inline('a', policyOfLength(5120)), inline('b', policyOfLength(5120))] }) });
    await refused(
      deploy({ Over: role({ RoleName: 'over', Policies: [inline('a', policyOfLength(5120)), inline('b', policyOfLength(5121))] }) }),
      'Over (AWS::IAM::Role)',
      {
        code: 'LimitExceeded',
        message: 'Maximum policy size of 10240 bytes exceeded for role over',
        quota: { quota: 'iam.rolePolicySize', value: 10_241, limit: 10_240 },
      },
    );
    await refused(
      deploy({
        MorePolicy: { Type: 'AWS::IAM::Policy', Properties: { PolicyName: 'c', PolicyDocument: policyOfLength(200), Roles: ['fits'] } },
      }),
      'MorePolicy (AWS::IAM::Policy)',
      { code: 'LimitExceeded', message: 'for role fits', quota: { quota: 'iam.rolePolicySize', value: 10_440, limit: 10_240 } },
    );
    // Over the quota, the role keeps the policies it had.
    expect(Object.keys(cloud.iam.role(`arn:aws:iam::${ACCOUNT}:role/fits`)!.policies)).toEqual(['a', 'b']);
  });

  it('counts a policy as CloudFormation sends it: intrinsics resolved, white space (inside strings too) left out', async () => {
    // Exactly 10,240 as IAM counts it: `${AWS::Region}` (13 characters written) becomes eu-west-1 (9), and the
    // spaces of "a b c" do not count; counted as written, or with its spaces, the policy would be over.
    const written = policyOfLength(10_240, { Sid: 'Spaces', Condition: { StringEquals: { 'aws:PrincipalTag/team': 'a b c' } } });
    const statement = (written.Statement as Record<string, unknown>[])[0]!;
    const resource = String(statement.Resource);
    const withIntrinsics = {
      ...written,
      Statement: [{ ...statement, Resource: { 'Fn::Sub': `${resource.slice(0, -REGION.length)}\${AWS::Region}` } }],
    };
    const stack = await deploy({ R: role({ RoleName: 'resolved', Policies: [inline('p', withIntrinsics)] }) });
    expect(stack.resources.R).toBeDefined();
    expect(cloud.quotas.uses().find((u) => u.quota === 'iam.rolePolicySize' && u.subject.endsWith('role/resolved'))).toMatchObject({
      value: 10_240,
      limit: 10_240,
    });
  });

  it('limits a managed policy to 6,144 characters', async () => {
    const managed = (length: number, name: string): TemplateResource => ({
      Type: 'AWS::IAM::ManagedPolicy',
      Properties: { ManagedPolicyName: name, PolicyDocument: policyOfLength(length) },
    });
    await deploy({ Fits: managed(6144, 'fits') });
    await refused(deploy({ Over: managed(6145, 'over') }), 'Over (AWS::IAM::ManagedPolicy)', {
      code: 'LimitExceeded',
      message: 'Cannot exceed quota for PolicySize: 6144',
      quota: { quota: 'iam.managedPolicySize', value: 6145, limit: 6144 },
    });
  });

  it('limits a trust policy to 2,048 characters unless the account raised it', async () => {
    const trust = (length: number) => policyOfLength(length, { Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' });
    await refused(deploy({ Trusting: role({ RoleName: 't', AssumeRolePolicyDocument: trust(2049) }) }), 'Trusting (AWS::IAM::Role)', {
      code: 'LimitExceeded',
      message: 'Cannot exceed quota for ACLSizePerRole: 2048',
      quota: { quota: 'iam.trustPolicySize', value: 2049, limit: 2048 },
    });
    await deploy({ Trusting: role({ RoleName: 't', AssumeRolePolicyDocument: trust(4096) }) }, { account: RAISED });
    await refused(
      deploy({ Trusting: role({ RoleName: 'u', AssumeRolePolicyDocument: trust(4097) }) }, { account: RAISED }),
      'Trusting (AWS::IAM::Role)',
      { code: 'LimitExceeded', message: 'ACLSizePerRole: 4096', quota: { quota: 'iam.trustPolicySize', value: 4097, limit: 4096 } },
    );
  });

  it('attaches at most 10 managed policies to a role unless the account raised it', async () => {
    const policies = (n: number) =>
      Object.fromEntries(
        Array.from({ length: n }, (_, i) => [
          `Managed${i}`,
          { Type: 'AWS::IAM::ManagedPolicy', Properties: { ManagedPolicyName: `m${i}`, PolicyDocument: policyOfLength(200) } },
        ]),
      );
    const attached = (n: number) => ({
      ...policies(n),
      Attached: role({ RoleName: 'attached', ManagedPolicyArns: Array.from({ length: n }, (_, i) => ({ Ref: `Managed${i}` })) }),
    });
    await refused(deploy(attached(11)), 'Attached (AWS::IAM::Role)', {
      code: 'LimitExceeded',
      message: 'Cannot exceed quota for PoliciesPerRole: 10',
      quota: { quota: 'iam.managedPoliciesPerRole', value: 11, limit: 10 },
    });
    const stack = await deploy(attached(20), { account: RAISED });
    expect(cloud.iam.role(stack.resources.Attached!.attributes.Arn!)!.managedPolicies).toHaveLength(20);
  });

  it("checks the role's name, path, description and session length as CreateRole does", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [
        { RoleName: 'r'.repeat(65) },
        `Value '${'r'.repeat(65)}' at 'roleName' failed to satisfy constraint: Member must have length less than or equal to 64`,
      ],
      [
        { RoleName: 'no spaces' },
        "at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+",
      ],
      [{ Path: 'no-slashes' }, "at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern"],
      [
        { Description: 'd'.repeat(1001) },
        "at 'description' failed to satisfy constraint: Member must have length less than or equal to 1000",
      ],
      [
        { MaxSessionDuration: 43_201 },
        "Value '43201' at 'maxSessionDuration' failed to satisfy constraint: Member must have value less than or equal to 43200",
      ],
      [
        { Policies: [inline('p'.repeat(129), policyOfLength(200))] },
        "at 'policyName' failed to satisfy constraint: Member must have length less than or equal to 128",
      ],
    ];
    for (const [properties, message] of cases)
      await refused(deploy({ Named: role(properties) }), 'Named (AWS::IAM::Role): ValidationError: 1 validation error detected: Value', {
        code: 'ValidationError',
        message,
      });
  });
});

describe('CloudFormation: the template itself, refused before anything is created', () => {
  const topic = (name: string): TemplateResource => ({ Type: 'AWS::SNS::Topic', Properties: { TopicName: name } });
  const many = <T>(n: number, make: (i: number) => T): Record<string, T> =>
    Object.fromEntries(Array.from({ length: n }, (_, i) => [`X${i}`, make(i)]));

  it('limits the template to 51,200 bytes in the request and 1 MB from S3', async () => {
    const padded = (bytes: number): Template => {
      const base = { Description: '', Resources: { T: topic('t') } };
      const size = JSON.stringify(base, null, 2).length;
      return { ...base, Metadata: { Pad: 'x'.repeat(bytes - size - '"Metadata": {\n    "Pad": ""\n  },\n  '.length) } };
    };
    const body = padded(51_201);
    expect(JSON.stringify(body, null, 2).length).toBe(51_201);
    await refused(deploy(body.Resources, { ...body, via: 'TemplateBody' }), 'ValidationError', {
      code: 'ValidationError',
      message: "at 'templateBody' failed to satisfy constraint: Member must have length less than or equal to 51200",
      quota: { quota: 'cloudformation.templateBodySize', value: 51_201, limit: 51_200 },
    });
    await deploy(body.Resources, body);
    const s3 = padded(1_000_001);
    await refused(deploy(s3.Resources, s3), 'ValidationError', {
      code: 'ValidationError',
      message: 'Template may not exceed 1000000 bytes in size.',
      quota: { quota: 'cloudformation.templateS3Size', value: 1_000_001, limit: 1_000_000 },
    });
    expect(cloud.cloudformation.stacks()).toHaveLength(1);
  });

  it('allows 500 resources, 200 outputs and 200 parameters', async () => {
    await refused(
      deploy(many(501, (i) => topic(`t${i}`))),
      'Template format error: Number of resources, 501, is greater than maximum allowed, 500',
      { code: 'ValidationError', message: 'ValidationError', quota: { quota: 'cloudformation.resources', value: 501, limit: 500 } },
    );
    await refused(
      deploy({ T: topic('t') }, { Outputs: many(201, () => ({ Value: 'v' })) }),
      'Outputs count 201 is greater than max allowed 200',
      {
        code: 'ValidationError',
        message: 'Template format error',
        quota: { quota: 'cloudformation.outputs', value: 201, limit: 200 },
      },
    );
    await refused(
      deploy({ T: topic('t') }, { Parameters: many(201, () => ({ Type: 'String', Default: 'v' })) }),
      'Parameter count 201 is greater than max allowed 200',
      { code: 'ValidationError', message: 'Template format error', quota: { quota: 'cloudformation.parameters', value: 201, limit: 200 } },
    );
    expect(cloud.cloudformation.stacks()).toEqual([]);
  });

  it('takes alphanumeric logical ids only, and a description of 1,024 bytes at most', async () => {
    await refused(deploy({ 'My-Topic': topic('t') }), 'Template format error: Resource name My-Topic is non alphanumeric.', {
      code: 'ValidationError',
      message: 'ValidationError',
    });
    await refused(
      deploy({ T: topic('t') }, { Description: 'é'.repeat(513) }),
      "Template format error: 'Description' length is greater than 1024",
      {
        code: 'ValidationError',
        message: 'ValidationError',
      },
    );
  });
});

describe('Lambda', () => {
  const fnRole = role({ RoleName: 'fn', Policies: [inline('sqs', { Statement: [{ Effect: 'Allow', Action: 'sqs:*', Resource: '*' }] })] });
  let functions = 0;
  const fn = (properties: Record<string, unknown>): Record<string, TemplateResource> => ({
    Role: fnRole,
    Fn: {
      Type: 'AWS::Lambda::Function',
      Properties: {
        FunctionName: `fn${++functions}`,
        Handler: 'index.handler',
        Runtime: 'nodejs22.x',
        Role: { 'Fn::GetAtt': ['Role', 'Arn'] },
        ...properties,
      },
    },
  });
  /** Variables whose compact JSON (what Lambda measures) is exactly `bytes` long. */
  const variablesOf = (bytes: number) => ({ AA: 'a'.repeat(bytes - '{"AA":""}'.length) });

  it('measures the environment variables as the compact JSON of the map, against 4 KB', async () => {
    await deploy(fn({ Environment: { Variables: variablesOf(4096) } }));
    await refused(deploy(fn({ Environment: { Variables: variablesOf(4097) } })), 'Fn (AWS::Lambda::Function)', {
      code: 'InvalidParameterValueException',
      message:
        'Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: {"AA":"aaa',
      quota: { quota: 'lambda.environmentSize', value: 4097, limit: 4096 },
    });
  });

  it('checks the name, timeout, memory, handler, description and variable keys as CreateFunction does', async () => {
    const cases: [Record<string, unknown>, string, string][] = [
      [
        { FunctionName: 'f'.repeat(65) },
        'ValidationException',
        "at 'functionName' failed to satisfy constraint: Member must have length less than or equal to 64",
      ],
      [
        { FunctionName: 'no.dots' },
        'ValidationException',
        "at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9-_]+",
      ],
      [
        { Timeout: 901 },
        'ValidationException',
        "Value '901' at 'timeout' failed to satisfy constraint: Member must have value less than or equal to 900",
      ],
      [
        { MemorySize: 127 },
        'ValidationException',
        "Value '127' at 'memorySize' failed to satisfy constraint: Member must have value greater than or equal to 128",
      ],
      [
        { MemorySize: 10_241 },
        'ValidationException',
        "at 'memorySize' failed to satisfy constraint: Member must have value less than or equal to 10240",
      ],
      [
        { Handler: 'index handler' },
        'ValidationException',
        "at 'handler' failed to satisfy constraint: Member must satisfy regular expression pattern: [^\\s]+",
      ],
      [
        { Handler: `${'h'.repeat(122)}.handler` },
        'ValidationException',
        "at 'handler' failed to satisfy constraint: Member must have length less than or equal to 128",
      ],
      [
        { Description: 'd'.repeat(257) },
        'ValidationException',
        "at 'description' failed to satisfy constraint: Member must have length less than or equal to 256",
      ],
      [
        { Environment: { Variables: { AWS_REGION: 'x' } } },
        'InvalidParameterValueException',
        'Reserved keys used in this request: AWS_REGION',
      ],
      [
        { Environment: { Variables: { '1KEY': 'x' } } },
        'InvalidParameterValueException',
        'Environment variable key 1KEY must start with a letter',
      ],
    ];
    for (const [properties, code, message] of cases) await refused(deploy(fn(properties)), 'Fn (AWS::Lambda::Function)', { code, message });
  });

  it("refuses an SQS event source whose queue's visibility timeout is shorter than the function's timeout", async () => {
    const mapped = (visibility: number) => ({
      ...fn({ Timeout: 180 }),
      Queue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: `q${visibility}`, VisibilityTimeout: visibility } },
      Mapping: {
        Type: 'AWS::Lambda::EventSourceMapping',
        Properties: { FunctionName: { Ref: 'Fn' }, EventSourceArn: { 'Fn::GetAtt': ['Queue', 'Arn'] } },
      },
    });
    await refused(deploy(mapped(60)), 'Mapping (AWS::Lambda::EventSourceMapping)', {
      code: 'InvalidParameterValueException',
      message: 'Queue visibility timeout: 60 seconds is less than Function timeout: 180 seconds',
    });
    await deploy(mapped(180));
  });
});

describe('EventBridge', () => {
  const bus: TemplateResource = { Type: 'AWS::Events::EventBus', Properties: { Name: 'hub' } };
  const rule = (name: string, properties: Record<string, unknown> = {}): TemplateResource => ({
    Type: 'AWS::Events::Rule',
    Properties: { Name: name, EventBusName: 'hub', EventPattern: { source: ['app'] }, ...properties },
  });
  const rules = (from: number, n: number) =>
    Object.fromEntries(Array.from({ length: n }, (_, i) => [`Rule${from + i}`, rule(`r${from + i}`)]));

  it('gives a rule 5 targets at most', async () => {
    const targets = (n: number) => Array.from({ length: n }, (_, i) => ({ Id: `t${i}`, Arn: `arn:aws:sqs:${REGION}:${ACCOUNT}:q${i}` }));
    await refused(deploy({ Bus: bus, Six: { ...rule('six', { Targets: targets(6) }), DependsOn: 'Bus' } }), 'Six (AWS::Events::Rule)', {
      code: 'LimitExceededException',
      message: 'The requested resource exceeds the maximum number allowed.',
      quota: { quota: 'events.targetsPerRule', value: 6, limit: 5 },
    });
  });

  it('counts the rules of a bus across stacks against 300, unless the account raised it', async () => {
    await deploy({ Bus: bus });
    await deploy(rules(0, 300));
    await refused(deploy(rules(300, 1)), 'Rule300 (AWS::Events::Rule)', {
      code: 'LimitExceededException',
      message: 'The requested resource exceeds the maximum number allowed.',
      quota: { quota: 'events.rulesPerBus', value: 301, limit: 300 },
    });
    await deploy({ Bus: bus }, { account: RAISED });
    await deploy({ ...rules(0, 400) }, { account: RAISED });
  });

  it('limits an event pattern to 2,048 characters of compact JSON, unless the account raised it', async () => {
    const pattern = (length: number) => ({ source: ['x'.repeat(length - '{"source":[""]}'.length)] });
    await deploy({ Bus: bus, Fits: { ...rule('fits', { EventPattern: pattern(2048) }), DependsOn: 'Bus' } });
    await refused(deploy({ Over: rule('over', { EventPattern: pattern(2049) }) }), 'Over (AWS::Events::Rule)', {
      code: 'LimitExceededException',
      message: 'Event pattern is 2049 characters',
      quota: { quota: 'events.eventPatternSize', value: 2049, limit: 2048 },
    });
    await deploy({ Bus: bus, Fits: { ...rule('fits', { EventPattern: pattern(4096) }), DependsOn: 'Bus' } }, { account: RAISED });
  });

  it('limits the bus policy, every statement of it together, to 10,240 characters', async () => {
    const statement = (i: number, pad: number): TemplateResource => ({
      Type: 'AWS::Events::EventBusPolicy',
      Properties: {
        EventBusName: { Ref: 'Bus' },
        StatementId: `s${i}`,
        Statement: {
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
          Action: 'events:PutEvents',
          Resource: `arn:${'x'.repeat(pad)}`,
        },
      },
    });
    await refused(
      deploy({ Bus: bus, A: statement(1, 5000), B: { ...statement(2, 5200), DependsOn: 'A' } }),
      'B (AWS::Events::EventBusPolicy)',
      {
        code: 'PolicyLengthExceededException',
        message: 'Policy size would be larger than the maximum allowed.',
        quota: { quota: 'events.busPolicySize', value: expect.any(Number) as unknown as number, limit: 10_240 },
      },
    );
  });

  it('checks rule names and target ids as PutRule and PutTargets do', async () => {
    await refused(deploy({ Bus: bus, Bad: { ...rule('has space'), DependsOn: 'Bus' } }), 'Bad (AWS::Events::Rule)', {
      code: 'ValidationException',
      message:
        "Value 'has space' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+",
    });
    await refused(
      deploy({ Long: rule('ok', { Targets: [{ Id: 'i'.repeat(65), Arn: `arn:aws:sqs:${REGION}:${ACCOUNT}:q` }] }) }),
      'Long (AWS::Events::Rule)',
      {
        code: 'ValidationException',
        message: "at 'targets.1.member.id' failed to satisfy constraint: Member must have length less than or equal to 64",
      },
    );
  });
});

describe('SQS', () => {
  const queue = (name: string, properties: Record<string, unknown> = {}): TemplateResource => ({
    Type: 'AWS::SQS::Queue',
    Properties: { QueueName: name, ...properties },
  });
  const policy = (statements: Record<string, unknown>[]): TemplateResource => ({
    Type: 'AWS::SQS::QueuePolicy',
    Properties: { Queues: [{ Ref: 'Q' }], PolicyDocument: { Version: '2012-10-17', Statement: statements } },
  });
  const send = (extra: Record<string, unknown> = {}) => ({
    Effect: 'Allow',
    Principal: { Service: 'events.amazonaws.com' },
    Action: 'sqs:SendMessage',
    Resource: '*',
    ...extra,
  });

  it('checks the queue name and attributes as CreateQueue does', async () => {
    await refused(deploy({ Q: queue('has.dot') }), 'Q (AWS::SQS::Queue)', {
      code: 'InvalidParameterValue',
      message: 'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length',
    });
    await refused(deploy({ Q: queue('q', { VisibilityTimeout: 43_201 }) }), 'Q (AWS::SQS::Queue)', {
      code: 'InvalidAttributeValue',
      message: 'Invalid value for the parameter VisibilityTimeout.',
    });
    await refused(deploy({ Q: queue('q', { ReceiveMessageWaitTimeSeconds: 21 }) }), 'Q (AWS::SQS::Queue)', {
      code: 'InvalidAttributeValue',
      message: 'Invalid value for the parameter ReceiveMessageWaitTimeSeconds.',
    });
    await refused(
      deploy({
        D: queue('dlq'),
        Q: queue('q', { RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['D', 'Arn'] }, maxReceiveCount: 0 } }),
      }),
      'Q (AWS::SQS::Queue)',
      { code: 'InvalidParameterValue', message: 'Invalid value for maxReceiveCount: 0, valid values are from 1 to 1000 both inclusive.' },
    );
  });

  it("keeps a queue policy within SQS's policy quotas: 8,192 bytes, 20 statements, 50 principals, 10 conditions, 7 actions a statement", async () => {
    const cases: [Record<string, unknown>[], QuotaName, number, number, string][] = [
      [
        [send({ Resource: `arn:${'x'.repeat(8200)}` })],
        'sqs.policySize',
        expect.any(Number) as unknown as number,
        8192,
        'Submitted policy is over max allowed size.',
      ],
      [Array.from({ length: 21 }, (_, i) => send({ Sid: `s${i}` })), 'sqs.policyStatements', 21, 20, 'too many statements'],
      [
        [send({ Principal: { AWS: Array.from({ length: 51 }, (_, i) => String(100000000000 + i)) } })],
        'sqs.policyPrincipals',
        51,
        50,
        'too many principals',
      ],
      [
        [send({ Condition: { StringEquals: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`aws:PrincipalTag/k${i}`, 'v'])) } })],
        'sqs.policyConditions',
        11,
        10,
        'too many conditions',
      ],
      [
        [send({ Action: Array.from({ length: 8 }, (_, i) => `sqs:Action${i}`) })],
        'sqs.statementActions',
        8,
        7,
        'too many actions in a statement',
      ],
    ];
    for (const [i, [statements, quota, value, limit, message]] of cases.entries())
      await refused(deploy({ Q: queue(`q${i}`), P: policy(statements) }), 'P (AWS::SQS::QueuePolicy)', {
        code: 'InvalidAttributeValue',
        message,
        quota: { quota, value, limit },
      });
  });
});

describe('KMS', () => {
  const keyPolicy = (pad: number) => ({
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*', Sid: 'x'.repeat(pad) },
    ],
  });
  const key = (properties: Record<string, unknown>): TemplateResource => ({ Type: 'AWS::KMS::Key', Properties: properties });

  it('limits a key policy to 32,768 bytes', async () => {
    const bytes = (pad: number) => JSON.stringify(keyPolicy(pad)).length;
    const fits = 32_768 - bytes(0);
    await deploy({ K: key({ KeyPolicy: keyPolicy(fits) }) });
    await refused(deploy({ K: key({ KeyPolicy: keyPolicy(fits + 1) }) }), 'K (AWS::KMS::Key)', {
      code: 'LimitExceededException',
      message: 'a key policy can be at most 32768 bytes',
      quota: { quota: 'kms.keyPolicySize', value: 32_769, limit: 32_768 },
    });
  });

  it('checks alias names and PendingWindowInDays as the resource schema does', async () => {
    await refused(
      deploy({ K: key({}), A: { Type: 'AWS::KMS::Alias', Properties: { AliasName: 'alias/has space', TargetKeyId: { Ref: 'K' } } } }),
      'A (AWS::KMS::Alias)',
      {
        code: 'InvalidRequest',
        message: 'Model validation failed (#/AliasName: failed validation constraint for keyword [pattern])',
      },
    );
    await refused(deploy({ K: key({ PendingWindowInDays: 31 }) }), 'K (AWS::KMS::Key)', {
      code: 'InvalidRequest',
      message: 'Properties validation failed for resource K with message: #/PendingWindowInDays: 31 is not a whole number from 7 to 30',
    });
    await deploy({
      K: key({ PendingWindowInDays: 7 }),
      A: { Type: 'AWS::KMS::Alias', Properties: { AliasName: 'alias/a:b/c_d-e', TargetKeyId: { Ref: 'K' } } },
    });
  });
});

describe('DynamoDB', () => {
  const table = (name: string, indexes: number): TemplateResource => ({
    Type: 'AWS::DynamoDB::Table',
    Properties: {
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'g', AttributeType: 'S' },
      ],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      ...(indexes > 0
        ? {
            GlobalSecondaryIndexes: Array.from({ length: indexes }, (_, i) => ({
              IndexName: `index${i}`,
              KeySchema: [{ AttributeName: 'g', KeyType: 'HASH' }],
              Projection: { ProjectionType: 'KEYS_ONLY' },
            })),
          }
        : {}),
    },
  });

  it('gives a table 20 global secondary indexes at most, and checks its name', async () => {
    await deploy({ T: table('twenty', 20) });
    await refused(deploy({ T: table('many', 21) }), 'T (AWS::DynamoDB::Table)', {
      code: 'ValidationException',
      message: 'GlobalSecondaryIndex count exceeds the per-table limit of 20',
      quota: { quota: 'dynamodb.globalSecondaryIndexesPerTable', value: 21, limit: 20 },
    });
    await refused(deploy({ T: table('ab', 1) }), 'T (AWS::DynamoDB::Table)', {
      code: 'ValidationException',
      message: 'TableName must be at least 3 characters long and at most 255 characters long',
    });
  });
});

describe('the quotas in force', () => {
  it('takes a raised quota only where Service Quotas grants one, and no higher than AWS documents', () => {
    expect(() => cloud.addAccount({ id: '777777777777', quotas: { 'iam.rolePolicySize': 20_000 } as never })).toThrow(
      'iam.rolePolicySize is not a quota Service Quotas can raise',
    );
    expect(() => cloud.addAccount({ id: '777777777777', quotas: { 'iam.managedPoliciesPerRole': 21 } })).toThrow(
      'iam.managedPoliciesPerRole (Managed policies per role) can be raised from 10 to at most 20, not 21',
    );
    expect(cloud.quotas.limit('events.rulesPerBus', ACCOUNT, 'af-south-1')).toBe(100);
    expect(cloud.quotas.limit('events.rulesPerBus', RAISED, 'af-south-1')).toBe(400);
  });

  it('records, instead of refusing, an exceeded quota the cloud was told to tolerate', async () => {
    const tolerant = new SimCloud({ tolerateQuotas: ['iam.rolePolicySize'] });
    tolerant.addAccount({ id: ACCOUNT });
    await tolerant.cloudformation.deploy({
      account: ACCOUNT,
      region: REGION,
      stackName: 'tolerated',
      template: { Resources: { Big: role({ RoleName: 'big', Policies: [inline('p', policyOfLength(11_000))] }) } },
    });
    expect(tolerant.quotas.exceeded()).toEqual([
      {
        quota: 'iam.rolePolicySize',
        account: ACCOUNT,
        region: 'global',
        subject: `arn:aws:iam::${ACCOUNT}:role/big`,
        value: 11_000,
        limit: 10_240,
      },
    ]);
    await tolerant.close();
  });
});
