import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type LocalDynamo, startLocalDynamo } from '@backup-hub/aws-sim';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatHtml } from '../../cli/audit/format-html.js';
import { createTables } from '../../drill/hub-tables.js';
import { AuditLog } from '../../shared/audit/audit-log.js';
import { AwsClients } from '../../shared/aws/clients.js';
import { Catalog } from '../../shared/catalog/catalog.js';
import { policyOf } from '../../shared/report/account-policy.js';
import { type AuditReport, buildAuditReport } from '../../shared/report/audit-report.js';
import { A, B, fixtureAccounts, SINCE, seedFixture, UNTIL } from '../report/fixture.js';
import { tempDirs } from '../temp-dirs.js';
import { chromiumAvailable, launchChromium } from './chromium.js';

/** The HTML report of the hand-built fixture, rendered in headless Chromium; the figures are the fixture's, computed by hand. */
const available = chromiumAvailable();

let dynamo: LocalDynamo;
const temp = tempDirs();
let browser: BrowserContext;
let report: AuditReport;
const context = {
  source: 'AWS, vault 999999999999: tables backup-hub-catalog and backup-hub-audit in eu-west-1',
  generatedAt: UNTIL,
  limit: 20,
};

/** Opens the page from a file, as an auditor would, and fails on any request that leaves it. */
async function open(html: string): Promise<{ page: Page; requests: string[] }> {
  const file = join(await temp.make('audit-html-'), 'report.html');
  await writeFile(file, html);
  const page = await browser.newPage();
  const requests: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  await page.goto(`file://${file}`);
  return { page, requests: requests.filter((url) => url !== `file://${file}`) };
}

describe.skipIf(!available)('the HTML audit report in headless Chromium', () => {
  beforeAll(async () => {
    dynamo = await startLocalDynamo();
    await createTables(dynamo.clientConfig, { catalog: 'catalog', audit: 'audit' });
    await seedFixture(dynamo, { catalog: 'catalog', audit: 'audit' });
    const db = new AwsClients({ services: { dynamodb: dynamo.clientConfig } }).dynamo('eu-west-1');
    report = await buildAuditReport(
      { accounts: [A, B], onlyTheseAccounts: false, since: SINCE, until: UNTIL },
      {
        catalog: new Catalog(db, 'catalog'),
        audit: new AuditLog(db, 'audit', () => new Date(UNTIL)),
        policy: (account) => policyOf(fixtureAccounts, account),
      },
    );
    browser = await launchChromium(await temp.make('chromium-profile-'));
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await dynamo?.close();
    await temp.remove();
  });

  it('shows the RPO chart per account, with segments sized by the hand-computed counts', async () => {
    const { page, requests } = await open(formatHtml(report, context));
    const chart = page.locator('#rpo-chart');
    expect(await chart.isVisible()).toBe(true);
    expect((await chart.boundingBox())!.width).toBeGreaterThan(300);
    const segments = await page.locator('#rpo-chart rect.segment').evaluateAll((rects) =>
      rects.map((r) => ({
        account: r.getAttribute('data-account'),
        status: r.getAttribute('data-status'),
        count: Number(r.getAttribute('data-count')),
        width: Math.round((r as SVGGraphicsElement).getBBox().width),
      })),
    );
    // A: 5 resources, 420 px: 2 met, 1 breached, 1 without a copy, 1 without a target. B: 2 resources: 1 met, 1 without a copy.
    expect(segments).toEqual([
      { account: A, status: 'met', count: 2, width: 168 },
      { account: A, status: 'breached', count: 1, width: 84 },
      { account: A, status: 'noCopy', count: 1, width: 84 },
      { account: A, status: 'noTarget', count: 1, width: 84 },
      { account: B, status: 'met', count: 1, width: 210 },
      { account: B, status: 'noCopy', count: 1, width: 210 },
    ]);
    expect(await page.locator('#rpo-chart text.bar-label').allTextContents()).toEqual(['50.0 % met (2 of 4)', '50.0 % met (1 of 2)']);
    expect(requests).toEqual([]);
  });

  it('shows the key numbers, the failures and an intact audit log', async () => {
    const { page } = await open(formatHtml(report, context));
    const figure = (key: string) => page.locator(`[data-figure="${key}"] .value`).textContent();
    expect({
      resources: await figure('resources'),
      protected: await figure('protected'),
      neverCopied: await figure('neverCopied'),
      rpoMet: await figure('rpoMet'),
      rpoBreached: await figure('rpoBreached'),
      pending: await figure('pending'),
      failures: await figure('failures'),
      rejections: await figure('rejections'),
    }).toEqual({
      resources: '7',
      protected: '5',
      neverCopied: '1',
      rpoMet: '3',
      rpoBreached: '1',
      pending: '1',
      failures: '1',
      rejections: '2',
    });
    expect(await page.locator('#failures tbody tr').allInnerTexts()).toEqual([expect.stringContaining('vault copy failed in AWS')]);
    expect(await page.locator('#not-met tbody td:nth-child(4)').allTextContents()).toEqual(['vol-2', 'vol-3', 'vol-8']);
    expect(await page.locator('#verdict').getAttribute('data-ok')).toBe('true');
    expect(await page.locator('#verdict').textContent()).toContain('audit log intact: 5 entries');
  });

  it('renders hostile text as text, and a broken log loudly', async () => {
    const hostile = '<img src=x onerror="document.title=\'pwned\'"><script>document.title="pwned"</script>';
    const tampered: AuditReport = {
      ...report,
      failures: [{ ...report.failures[0]!, reason: hostile }],
      auditLog: { ok: false, entries: 5, seq: 3, problem: 'edited', detail: 'entry #3 does not match its hash' },
    };
    const { page, requests } = await open(formatHtml(tampered, context));
    expect(await page.locator('#failures img, #failures script').count()).toBe(0);
    expect(await page.locator('#failures tbody').textContent()).toContain(hostile);
    expect(await page.title()).not.toBe('pwned');
    expect(await page.locator('#verdict.broken').textContent()).toContain('audit log BROKEN at entry #3 (edited)');
    expect(requests).toEqual([]);
  });
});
