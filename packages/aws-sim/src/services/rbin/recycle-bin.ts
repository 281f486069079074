import { randomBytes } from 'node:crypto';
import type { CloudCore } from '../../core/cloud-core.js';
import { AwsError } from '../../core/errors.js';

/** The resource types a retention rule can keep (EBS_VOLUME is not simulated). */
export type BinResourceType = 'EBS_SNAPSHOT' | 'EC2_IMAGE';

export type RuleLockState = 'locked' | 'pending_unlock' | 'unlocked';

export interface ResourceTag {
  key: string;
  value?: string;
}

/** One retention rule of an account's region (Recycle Bin API, RuleSummary and GetRule). */
export interface RetentionRule {
  readonly id: string;
  readonly account: string;
  readonly region: string;
  readonly resourceType: BinResourceType;
  description: string;
  retentionDays: number;
  /** Tag-level rule; none: a Region-level rule, which retains every resource of its type. */
  readonly resourceTags: ResourceTag[];
  readonly excludeResourceTags: ResourceTag[];
  /** Days an unlock waits before the rule is unlocked; set while locked or pending unlock. */
  unlockDelayDays?: number;
  /** When a pending unlock completes, in simulated ms. */
  unlockAt?: number;
}

/** A deleted snapshot or deregistered AMI kept by a rule, restorable until `until`. */
export interface BinnedResource<R = unknown> {
  readonly type: BinResourceType;
  readonly account: string;
  readonly region: string;
  readonly id: string;
  readonly ruleId: string;
  readonly binnedAt: number;
  readonly until: number;
  readonly resource: R;
}

const DAY_MS = 86_400_000;
const RETENTION_DAYS = { min: 1, max: 365 };
const UNLOCK_DELAY_DAYS = { min: 7, max: 30 };

/** Recycle Bin's documented errors: ValidationException, ResourceNotFoundException, ConflictException (reason INVALID_RULE_STATE). */
const validation = (message: string) => new AwsError('ValidationException', message);
const conflict = (message: string) => new AwsError('ConflictException', message, 409);

/**
 * Simulated Recycle Bin: retention rules per account and region, and what they keep. EC2 asks it,
 * when a snapshot is deleted or an AMI deregistered, whether a rule retains the resource. A locked
 * rule can be neither deleted nor changed; unlocking it takes its unlock delay (Amazon EBS User
 * Guide, "Lock Recycle Bin retention rules"); only Region-level rules can be locked.
 */
export class RecycleBin {
  readonly #rules = new Map<string, RetentionRule>();
  readonly #binned = new Map<string, BinnedResource>();

  constructor(private readonly cloud: CloudCore) {}

  /** @throws AwsError ValidationException */
  createRule(
    account: string,
    region: string,
    spec: {
      resourceType: string;
      retentionDays: number;
      description?: string;
      resourceTags?: ResourceTag[];
      excludeResourceTags?: ResourceTag[];
      unlockDelayDays?: number;
    },
  ): RetentionRule {
    if (spec.resourceType !== 'EBS_SNAPSHOT' && spec.resourceType !== 'EC2_IMAGE')
      throw validation(`ResourceType ${spec.resourceType} is not EBS_SNAPSHOT or EC2_IMAGE (EBS_VOLUME is not simulated).`);
    const rule: RetentionRule = {
      id: randomBytes(6).toString('hex').slice(0, 11),
      account,
      region,
      resourceType: spec.resourceType,
      description: spec.description ?? '',
      retentionDays: checkedRetention(spec.retentionDays),
      resourceTags: spec.resourceTags ?? [],
      excludeResourceTags: spec.excludeResourceTags ?? [],
    };
    if (spec.unlockDelayDays !== undefined) this.#lockChecked(rule, spec.unlockDelayDays);
    this.#rules.set(rule.id, rule);
    return rule;
  }

  /** @throws AwsError ResourceNotFoundException */
  rule(account: string, region: string, id: string): RetentionRule {
    const rule = this.#rules.get(id);
    if (!rule || rule.account !== account || rule.region !== region)
      throw new AwsError('ResourceNotFoundException', `Rule ${id} does not exist.`, 404);
    return rule;
  }

  rules(account: string, region: string, resourceType?: string): RetentionRule[] {
    return [...this.#rules.values()].filter(
      (r) => r.account === account && r.region === region && (resourceType === undefined || r.resourceType === resourceType),
    );
  }

  lockState(rule: RetentionRule): RuleLockState {
    if (rule.unlockDelayDays === undefined) return 'unlocked';
    if (rule.unlockAt === undefined) return 'locked';
    if (rule.unlockAt > this.cloud.clock.nowMs()) return 'pending_unlock';
    rule.unlockDelayDays = undefined;
    rule.unlockAt = undefined;
    return 'unlocked';
  }

  /** @throws AwsError ConflictException for a rule locked or pending unlock */
  deleteRule(account: string, region: string, id: string): void {
    const rule = this.rule(account, region, id);
    this.#refuseLocked(rule, 'deleted');
    this.#rules.delete(id);
  }

  /** @throws AwsError ConflictException for a rule locked or pending unlock */
  updateRule(account: string, region: string, id: string, change: { retentionDays?: number; description?: string }): RetentionRule {
    const rule = this.rule(account, region, id);
    if (change.retentionDays !== undefined) {
      this.#refuseLocked(rule, 'changed');
      rule.retentionDays = checkedRetention(change.retentionDays);
    }
    if (change.description !== undefined) rule.description = change.description;
    return rule;
  }

  /** @throws AwsError ValidationException for a tag-level rule or a delay out of range */
  lockRule(account: string, region: string, id: string, unlockDelayDays: number): RetentionRule {
    const rule = this.rule(account, region, id);
    if (this.lockState(rule) === 'locked') throw conflict(`Rule ${id} is already locked.`);
    this.#lockChecked(rule, unlockDelayDays);
    rule.unlockAt = undefined;
    return rule;
  }

  /** Starts the unlock delay; the rule stays locked until it has passed. */
  unlockRule(account: string, region: string, id: string): RetentionRule {
    const rule = this.rule(account, region, id);
    if (this.lockState(rule) !== 'locked') throw conflict(`Rule ${id} is not locked.`);
    rule.unlockAt = this.cloud.clock.nowMs() + rule.unlockDelayDays! * DAY_MS;
    return rule;
  }

  /**
   * Keeps a deleted resource when a rule of its account and region retains it (the longest rule wins).
   * @returns whether it was kept
   */
  keep<R>(type: BinResourceType, account: string, region: string, id: string, tags: Map<string, string>, resource: R): boolean {
    const rule = this.rules(account, region, type)
      .filter((r) => retains(r, tags))
      .sort((a, b) => b.retentionDays - a.retentionDays)[0];
    if (!rule) return false;
    const now = this.cloud.clock.nowMs();
    this.#binned.set(`${type}/${region}/${id}`, {
      type,
      account,
      region,
      id,
      ruleId: rule.id,
      binnedAt: now,
      until: now + rule.retentionDays * DAY_MS,
      resource,
    });
    return true;
  }

  /** What an account's region holds in the bin now (expired resources are gone for good). */
  binned(account: string, region: string, type: BinResourceType): BinnedResource[] {
    const now = this.cloud.clock.nowMs();
    return [...this.#binned.values()].filter((b) => b.account === account && b.region === region && b.type === type && b.until > now);
  }

  #lockChecked(rule: RetentionRule, days: number): void {
    if (rule.resourceTags.length > 0) throw validation('Only Region-level retention rules (without ResourceTags) can be locked.');
    if (!(Number.isInteger(days) && days >= UNLOCK_DELAY_DAYS.min && days <= UNLOCK_DELAY_DAYS.max))
      throw validation(`UnlockDelayValue must be ${UNLOCK_DELAY_DAYS.min} to ${UNLOCK_DELAY_DAYS.max} days, got ${days}.`);
    rule.unlockDelayDays = days;
  }

  #refuseLocked(rule: RetentionRule, what: string): void {
    const state = this.lockState(rule);
    if (state !== 'unlocked')
      throw conflict(`Rule ${rule.id} is ${state === 'locked' ? 'locked' : 'pending unlock'} (INVALID_RULE_STATE): it cannot be ${what}.`);
  }
}

function checkedRetention(days: number): number {
  if (!(Number.isInteger(days) && days >= RETENTION_DAYS.min && days <= RETENTION_DAYS.max))
    throw validation(`RetentionPeriodValue must be ${RETENTION_DAYS.min} to ${RETENTION_DAYS.max} days, got ${days}.`);
  return days;
}

/** A Region-level rule retains every resource of its type not excluded; a tag-level rule those with one of its tags. */
function retains(rule: RetentionRule, tags: Map<string, string>): boolean {
  const has = (t: ResourceTag) => tags.has(t.key) && (t.value === undefined || tags.get(t.key) === t.value);
  if (rule.resourceTags.length > 0) return rule.resourceTags.some(has);
  return !rule.excludeResourceTags.some(has);
}
