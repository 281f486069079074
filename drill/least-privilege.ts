import { fileURLToPath } from 'node:url';
import type { AuthorizationMode, CallRecord, StatementRef, Template } from '@backup-hub/aws-sim';
import type { Statement } from '../accounts/stack/cloudformation.js';
import { POLICIES } from '../accounts/stack/condition-keys.js';
import { renderTemplate } from '../accounts/stack/render.js';
import { buildService } from '../accounts/stack/service.js';
import { type AccountsConfig, DEFAULT_ACCOUNTS_DIR, loadAccounts } from '../shared/config/accounts.js';
import { isAttackCall } from './attack.js';
import { readDrillFile } from './drill-file.js';
import { refusedCalls } from './drill-report.js';
import { LOCAL_STAGE, type LocalHub, type StackRef } from './local-hub.js';
import { runDrill } from './run-drill.js';

/** The drills whose calls prove each statement: the default one, and one that prunes, holds and restores. */
export const LEAST_PRIVILEGE_DRILLS = ['default-drill.json', 'least-privilege-drill.json'].map((f) =>
  fileURLToPath(new URL(f, import.meta.url)),
);

/** One statement of one policy in the rendered stacks. */
export interface PlacedStatement {
  /** `<account file>[-<region>]/<logical id> <document>`. */
  policy: string;
  sid: string;
  effect: 'Allow' | 'Deny';
  /** How the simulated cloud names it in its decisions (a queue policy once per queue). */
  refs: string[];
  reason?: string;
  /** The stack it is in, and where, to remove it for real. */
  where: { folder: string; logicalId: string; document: string; index: number };
}

export interface LeastPrivilegeReport {
  statements: number;
  needed: number;
  unneeded: { sid: string; policy: string; reason?: string }[];
  /** Calls refused in the full default drill: none when the stacks grant what the hub does. */
  deniedCalls: number;
}

const refKey = (r: Pick<StatementRef, 'type' | 'policy' | 'sid'>) => `${r.type}|${r.policy}|${r.sid}`;

/**
 * Every statement of every role, key, bus, queue and bucket policy in the stacks a hub deployed, named as
 * the simulated cloud names it in its decisions, with the reason the model gives for keeping it.
 */
export function placedStatements(hub: LocalHub, accounts: AccountsConfig): PlacedStatement[] {
  return hub.stacks.flatMap(({ account, region, folder, deployed }) => {
    const model = buildService(accounts, account.name, { stage: LOCAL_STAGE, region });
    const reasonOf = (logicalId: string, document: string, sid: string) =>
      model.reasons.find((r) => r.logicalId === logicalId && r.document === document && r.sid === sid)?.reason;
    const arn = (logicalId: string) => deployed.resources[logicalId]?.attributes.Arn ?? '';
    return Object.entries(model.resources.Resources).flatMap(([logicalId, resource]) => {
      if (!deployed.resources[logicalId]) return []; // left out by a false condition
      const properties = resource.Properties ?? {};
      return (POLICIES[resource.Type]?.(properties) ?? []).flatMap(([document, policy]) =>
        ([] as Statement[]).concat(policy.Statement).map((statement, index) => {
          const sid = statement.Sid ?? String(index + 1);
          const roleArn = `arn:aws:iam::${account.id}:role/${String(properties.RoleName)}`;
          const refs =
            resource.Type === 'AWS::IAM::Role'
              ? [
                  document === 'trust policy'
                    ? refKey({ type: 'trust policy', policy: roleArn, sid })
                    : refKey({ type: 'identity', policy: `${roleArn}#${document.slice('policy '.length)}`, sid }),
                ]
              : resource.Type === 'AWS::KMS::Key'
                ? [refKey({ type: 'key policy', policy: arn(logicalId), sid })]
                : resource.Type === 'AWS::Events::EventBusPolicy'
                  ? [refKey({ type: 'bus policy', policy: arn(refOf(properties.EventBusName)), sid: String(properties.StatementId) })]
                  : resource.Type === 'AWS::S3::BucketPolicy'
                    ? [refKey({ type: 'bucket policy', policy: arn(refOf(properties.Bucket)), sid })]
                    : (properties.Queues as { Ref: string }[]).map((q) => refKey({ type: 'queue policy', policy: arn(q.Ref), sid }));
          const reason =
            statement.Effect === 'Deny' ? 'a Deny takes access away: no call needs it to be allowed' : reasonOf(logicalId, document, sid);
          return {
            policy: `${folder}/${logicalId} ${document}`,
            sid,
            effect: statement.Effect,
            refs,
            ...(reason ? { reason } : {}),
            where: { folder, logicalId, document, index },
          };
        }),
      );
    });
  });
}

const refOf = (value: unknown) => (value as { Ref: string }).Ref;

/** One drill's calls, and its statements as that drill's cloud names them (a key's ARN differs from one deployment to the next). */
export interface LeastPrivilegeRun {
  calls: CallRecord[];
  placed: PlacedStatement[];
}

/**
 * Which statements some call needs: a statement is needed when, in some drill, a call it allowed
 * would have been refused without it (the decision's `decisive` statements). Statements no call
 * needs are listed, with the model's reason to keep them if it gives one. `statements` are the
 * first run's: every run deploys the same stacks, so they name the same statements.
 */
export function leastPrivilege(statements: PlacedStatement[], runs: LeastPrivilegeRun[], deniedCalls: number): LeastPrivilegeReport {
  const where = (s: PlacedStatement) => `${s.policy}|${s.sid}`;
  const needed = new Set(
    runs.flatMap((run) => {
      const decisive = new Set(run.calls.flatMap((c) => c.authorizations.flatMap((a) => (a.allowed ? a.decisive.map(refKey) : []))));
      return run.placed.filter((s) => s.refs.some((r) => decisive.has(r))).map(where);
    }),
  );
  const unneeded = statements
    .filter((s) => !needed.has(where(s)))
    .map((s) => ({ sid: s.sid, policy: s.policy, ...(s.reason ? { reason: s.reason } : {}) }));
  return { statements: statements.length, needed: statements.length - unneeded.length, unneeded, deniedCalls };
}

export interface CheckOptions {
  accountsDir?: string;
  /** How the simulated cloud decides (the library by default; `differential` checks the fast path against it too). */
  authorization?: AuthorizationMode;
  /** Looks at each drill's simulated cloud once it has settled. */
  inspect?: (hub: LocalHub) => void;
  /** Each stack's template instead of the rendered one (a statement removed, say). */
  template?: (stack: StackRef) => Template;
  progress?: (line: string) => void;
}

/**
 * Runs the least-privilege drills on stacks rendered from the account files and reports which
 * statements some call needs. `deniedCalls` counts the calls refused in the default drill.
 */
export async function checkLeastPrivilege(options: CheckOptions = {}): Promise<LeastPrivilegeReport & { placed: PlacedStatement[] }> {
  const accounts = loadAccounts(options.accountsDir ?? DEFAULT_ACCOUNTS_DIR);
  const runs: LeastPrivilegeRun[] = [];
  let deniedCalls = 0;
  for (const [i, file] of LEAST_PRIVILEGE_DRILLS.entries()) {
    options.progress?.(`running ${file}`);
    await runDrill(await readDrillFile(file), {
      name: file,
      accountsDir: options.accountsDir,
      ...(options.template ? { template: options.template } : {}),
      ...(options.authorization ? { authorization: options.authorization } : {}),
      inspect(hub) {
        options.inspect?.(hub);
        const calls = [...hub.cloud.calls, ...hub.cloud.serviceRequests].filter((c) => !isAttackCall(c));
        runs.push({ calls, placed: placedStatements(hub, accounts) });
        if (i === 0) deniedCalls = refusedCalls(calls, hub.lostAccounts).length;
      },
    });
  }
  const placed = runs[0]?.placed ?? [];
  return { ...leastPrivilege(placed, runs, deniedCalls), placed };
}

/** The rendered template of a stack with one statement taken out (for `--verify`). */
export function withoutStatement(accounts: AccountsConfig, statement: PlacedStatement): (stack: StackRef) => Template {
  return (stack) => {
    const template = renderTemplate(buildService(accounts, stack.account.name, { stage: LOCAL_STAGE, region: stack.region })) as Template;
    if (stack.folder !== statement.where.folder) return template;
    const resource = template.Resources[statement.where.logicalId]!;
    const [, policy] = POLICIES[resource.Type]!(resource.Properties ?? {}).find(([document]) => document === statement.where.document)!;
    if (Array.isArray(policy.Statement) && policy.Statement.length > 1) policy.Statement.splice(statement.where.index, 1);
    // A bus, queue or bucket policy of one statement goes whole; a role's inline policy of one statement too.
    else if (['AWS::Events::EventBusPolicy', 'AWS::SQS::QueuePolicy', 'AWS::S3::BucketPolicy'].includes(resource.Type))
      delete template.Resources[statement.where.logicalId];
    else if (statement.where.document.startsWith('policy ')) {
      const properties = resource.Properties as { Policies: { PolicyName: string }[] };
      properties.Policies = properties.Policies.filter((p) => `policy ${p.PolicyName}` !== statement.where.document);
    } else throw new Error(`${statement.policy} has this statement only, and cannot be left empty`);
    return template;
  };
}
