import type { Account } from '../config/accounts.js';
import { access } from './checks/access.js';
import { alarms } from './checks/alarms.js';
import { busPolicy } from './checks/bus-policy.js';
import { catalog } from './checks/catalog.js';
import { dryRun } from './checks/dry-run.js';
import { keys } from './checks/keys.js';
import { permissions } from './checks/permissions.js';
import { queues } from './checks/queues.js';
import { rules } from './checks/rules.js';
import { stack } from './checks/stack.js';
import { trust } from './checks/trust.js';
import type { Finding } from './finding.js';
import { type Check, type DoctorScope, targetsOf } from './scope.js';

/** The checks, in the order a reader fixes things: reach the account, the stack, then what flows through it. */
export const CHECKS: readonly Check[] = [stack, rules, queues, busPolicy, trust, permissions, dryRun, keys, catalog, alarms];

/**
 * Checks a deployment without changing anything: every stack of the account files (or one
 * account's), each with every check. An account the credentials do not reach is named once, and
 * its other checks are left out.
 *
 * @example
 * const findings = await runDoctor({ accounts, stage: 'prod', access });
 * const healthy = findings.every((f) => f.ok);
 */
export async function runDoctor(scope: DoctorScope, only?: Account): Promise<Finding[]> {
  const findings: Finding[] = [];
  const unreached = new Set<string>();
  for (const target of targetsOf(scope, only)) {
    const reached = await access(scope, target);
    findings.push(...reached);
    if (reached.some((f) => !f.ok)) unreached.add(target.account.name);
    if (unreached.has(target.account.name)) continue;
    for (const check of CHECKS) findings.push(...(await check(scope, target)));
  }
  return findings;
}
