import type { AccountsConfig } from '../config/accounts.js';
import type { Finding } from './finding.js';

/** The findings as a reader at 3 a.m. takes them in: by account and region, ✓ or ✗, each ✗ with its fix; a count at the end. */
export function doctorTable(findings: Finding[], accounts: AccountsConfig): string {
  const lines: string[] = [];
  let place = '';
  for (const f of findings) {
    const here = `${f.account} (${accounts.account(f.account).id}) ${f.region}`;
    if (here !== place) lines.push(`${lines.length ? '\n' : ''}${here}`);
    place = here;
    lines.push(`  ${f.ok ? '✓' : '✗'} ${f.check}`);
    if (!f.ok) lines.push(`      fix: ${f.fix}`);
  }
  const failed = findings.filter((f) => !f.ok).length;
  lines.push(
    '',
    failed === 0
      ? `all ${findings.length} checks ✓: the deployment is as the account files say`
      : `${failed} of ${findings.length} checks ✗: fix them in the order above, then run doctor again`,
  );
  return lines.join('\n');
}
