import { AwsError } from './errors.js';

/** One AWS quota the simulation enforces, as the service's quota page gives it. */
export interface QuotaDefinition {
  /** As AWS names it. */
  title: string;
  /** The default; `regions` lists the Regions whose default differs. */
  default: number;
  regions?: Record<string, number>;
  unit: string;
  /** Set when Service Quotas can raise it: its quota code and the highest value AWS documents, where known. */
  adjustable?: { code?: string; max?: number };
  doc: string;
}

const IAM_QUOTAS = 'https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html';
const CFN_QUOTAS = 'https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html';
const EB_QUOTAS = 'https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html';
const SQS_POLICY_QUOTAS = 'https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-policies.html';

/**
 * The quotas the simulated services enforce when resources are created. Sizes of IAM policies are
 * counted as IAM counts them: the JSON after CloudFormation resolved it, without white space.
 */
export const QUOTAS = {
  'iam.rolePolicySize': {
    title: 'Role policy size (all inline policies of a role together)',
    default: 10_240,
    unit: 'characters',
    doc: IAM_QUOTAS,
  },
  'iam.managedPolicySize': { title: 'Managed policy size', default: 6_144, unit: 'characters', doc: IAM_QUOTAS },
  'iam.trustPolicySize': {
    title: 'Role trust policy length',
    default: 2_048,
    unit: 'characters',
    adjustable: { code: 'L-C07B4B0D', max: 4_096 },
    doc: IAM_QUOTAS,
  },
  'iam.managedPoliciesPerRole': {
    title: 'Managed policies per role',
    default: 10,
    unit: 'policies',
    adjustable: { code: 'L-0DA4ABF3', max: 20 },
    doc: IAM_QUOTAS,
  },
  'cloudformation.templateBodySize': { title: 'Template body size in a request', default: 51_200, unit: 'bytes', doc: CFN_QUOTAS },
  // "1 MB" on the quotas page; cfn-lint (E1002) reads it as 1,000,000 bytes, the stricter reading.
  'cloudformation.templateS3Size': {
    title: 'Template body size in an Amazon S3 object',
    default: 1_000_000,
    unit: 'bytes',
    doc: CFN_QUOTAS,
  },
  'cloudformation.resources': { title: 'Resources per template', default: 500, unit: 'resources', doc: CFN_QUOTAS },
  'cloudformation.outputs': { title: 'Outputs per template', default: 200, unit: 'outputs', doc: CFN_QUOTAS },
  'cloudformation.parameters': { title: 'Parameters per template', default: 200, unit: 'parameters', doc: CFN_QUOTAS },
  'lambda.environmentSize': {
    title: 'Environment variables (all of a function together)',
    default: 4_096,
    unit: 'bytes',
    doc: 'https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html',
  },
  'events.targetsPerRule': { title: 'Targets per rule', default: 5, unit: 'targets', doc: EB_QUOTAS },
  'events.rulesPerBus': {
    title: 'Rules per event bus',
    default: 300,
    regions: { 'af-south-1': 100, 'eu-south-1': 100 },
    unit: 'rules',
    adjustable: {},
    doc: EB_QUOTAS,
  },
  'events.eventPatternSize': {
    title: 'Event pattern size',
    default: 2_048,
    unit: 'characters',
    adjustable: { max: 4_096 },
    doc: EB_QUOTAS,
  },
  'events.busPolicySize': {
    title: 'Event bus resource policy size',
    default: 10_240,
    unit: 'characters',
    adjustable: {},
    doc: EB_QUOTAS,
  },
  'sqs.policySize': { title: 'Queue policy size', default: 8_192, unit: 'bytes', doc: SQS_POLICY_QUOTAS },
  'sqs.policyStatements': { title: 'Statements per queue policy', default: 20, unit: 'statements', doc: SQS_POLICY_QUOTAS },
  'sqs.policyPrincipals': { title: 'Principals per queue policy', default: 50, unit: 'principals', doc: SQS_POLICY_QUOTAS },
  'sqs.policyConditions': { title: 'Conditions per queue policy', default: 10, unit: 'conditions', doc: SQS_POLICY_QUOTAS },
  'sqs.statementActions': { title: 'Actions per queue policy statement', default: 7, unit: 'actions', doc: SQS_POLICY_QUOTAS },
  'kms.keyPolicySize': {
    title: 'Key policy document size',
    default: 32_768,
    unit: 'bytes',
    doc: 'https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html',
  },
  'dynamodb.globalSecondaryIndexesPerTable': {
    title: 'Global secondary indexes per table',
    default: 20,
    unit: 'indexes',
    adjustable: {},
    doc: 'https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html',
  },
} as const satisfies Record<string, QuotaDefinition>;

export type QuotaName = keyof typeof QUOTAS;
/** The quotas Service Quotas can raise: the only ones an account may declare raised. */
export type AdjustableQuotaName = { [N in QuotaName]: (typeof QUOTAS)[N] extends { adjustable: object } ? N : never }[QuotaName];
/** An account's raised quotas (what Service Quotas granted it). */
export type RaisedQuotas = Partial<Record<AdjustableQuotaName, number>>;

export const ADJUSTABLE_QUOTAS = (Object.keys(QUOTAS) as QuotaName[]).filter(
  (name): name is AdjustableQuotaName => 'adjustable' in QUOTAS[name],
);

/** One measured use of a quota: which resource, how much, and the limit in force for its account and Region. */
export interface QuotaUse {
  quota: QuotaName;
  account: string;
  region: string;
  /** What is measured: a role, policy, function, rule, queue, key or table (ARN or name), or a template. */
  subject: string;
  value: number;
  limit: number;
}

/** An AWS error for a quota exceeded, carrying the measured use so a deploy can say what to change. */
export class QuotaExceededError extends AwsError {
  constructor(
    code: string,
    message: string,
    readonly use: QuotaUse,
    status = 400,
  ) {
    super(code, message, status);
  }
}

/**
 * The quotas in force per account and Region (the defaults, or what an account's Service Quotas
 * raised), and every use measured against them. A quota the cloud was told to tolerate is recorded
 * when exceeded instead of refusing: for measuring a hub whose fix is under way, never for proving
 * it fits.
 */
export class QuotaBook {
  readonly #raised = new Map<string, RaisedQuotas>();
  readonly #uses = new Map<string, QuotaUse>();
  readonly #tolerated: ReadonlySet<QuotaName>;
  readonly #exceeded: QuotaUse[] = [];

  constructor(tolerate: readonly QuotaName[] = []) {
    this.#tolerated = new Set(tolerate);
  }

  /**
   * Records what an account's Service Quotas raised.
   * @throws Error for a quota that cannot be raised, or a value below its default or above AWS's documented maximum
   */
  raise(account: string, raised: RaisedQuotas): void {
    for (const [name, value] of Object.entries(raised) as [QuotaName, number][]) {
      const quota: QuotaDefinition = QUOTAS[name];
      if (!quota?.adjustable) throw new Error(`${name} is not a quota Service Quotas can raise (${ADJUSTABLE_QUOTAS.join(', ')} are)`);
      const max = quota.adjustable.max;
      if (!Number.isInteger(value) || value < quota.default || (max !== undefined && value > max))
        throw new Error(
          `${name} (${quota.title}) can be raised from ${quota.default} to ${max === undefined ? 'a higher whole number' : `at most ${max}`}, not ${value}`,
        );
    }
    this.#raised.set(account, { ...raised });
  }

  /** The limit in force for an account in a Region. */
  limit(name: QuotaName, account: string, region: string): number {
    const quota: QuotaDefinition = QUOTAS[name];
    return (this.#raised.get(account) as Record<string, number> | undefined)?.[name] ?? quota.regions?.[region] ?? quota.default;
  }

  /**
   * Measures a use against the limit in force and keeps it (the latest per subject).
   * @throws the error `refuse` builds, when the use is over the limit and the quota is not tolerated
   */
  check(use: Omit<QuotaUse, 'limit'>, refuse: (limit: number) => AwsError): void {
    const limit = this.limit(use.quota, use.account, use.region);
    const measured = { ...use, limit };
    this.#uses.set(`${use.quota}|${use.account}|${use.region}|${use.subject}`, measured);
    if (use.value <= limit) return;
    if (this.#tolerated.has(use.quota)) {
      this.#exceeded.push(measured);
      return;
    }
    const error = refuse(limit);
    throw new QuotaExceededError(error.code, error.message, measured, error.status);
  }

  /** Every use measured, the latest per subject. */
  uses(): QuotaUse[] {
    return [...this.#uses.values()];
  }

  /** The uses over their limit that were tolerated instead of refused. */
  exceeded(): QuotaUse[] {
    return [...this.#exceeded];
  }
}

/** `1,234` */
export const count = (n: number) => n.toLocaleString('en-US');

/** How a use stands against its quota, for the person deploying: "IAM Role policy size …: 11,292 of 10,240 characters (fixed)". */
export function describeUse(use: QuotaUse): string {
  const quota: QuotaDefinition = QUOTAS[use.quota];
  const raise = quota.adjustable
    ? `adjustable through Service Quotas${quota.adjustable.code ? ` (${quota.adjustable.code})` : ''}${quota.adjustable.max === undefined ? '' : ` up to ${count(quota.adjustable.max)}`}`
    : 'fixed: the template must use less';
  return `quota ${use.quota} (${quota.title}): ${count(use.value)} of ${count(use.limit)} ${quota.unit} for ${use.subject}; ${raise}; ${quota.doc}`;
}
