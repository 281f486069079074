import type { AccountRpo } from '../../shared/report/rpo.js';
import { escapeHtml } from './html.js';
import { count, percent } from './units.js';

const SEGMENTS = [
  { key: 'met', label: 'met', color: '#2e7d32' },
  { key: 'breached', label: 'breached', color: '#c62828' },
  { key: 'noCopy', label: 'no copy', color: '#ef6c00' },
  { key: 'noTarget', label: 'no target', color: '#9e9e9e' },
] as const;

const ROW = 30;
const LABEL = 130;
const BAR = 420;
const WIDTH = LABEL + BAR + 190;

/**
 * RPO compliance per account as an inline SVG bar chart: one bar per account, split into its
 * resources that meet the RPO, breach it, have no copy, or have no target; the figures are also
 * written beside each bar (and in each segment's tooltip) so the chart reads without colour.
 *
 * @example
 * rpoChart(report.rpo); // '<svg role="img" aria-label="RPO compliance per account" …>…</svg>'
 */
export function rpoChart(accounts: readonly AccountRpo[]): string {
  const height = ROW * accounts.length + 40;
  const bars = accounts.map((a, row) => {
    const y = row * ROW + 6;
    let x = LABEL;
    const segments = SEGMENTS.filter((s) => a[s.key] > 0).map((s) => {
      const width = (BAR * a[s.key]) / a.resources;
      const rect = `<rect class="segment" data-account="${escapeHtml(a.account)}" data-status="${s.key}" data-count="${a[s.key]}" x="${x.toFixed(1)}" y="${y}" width="${width.toFixed(1)}" height="${ROW - 10}" fill="${s.color}"><title>${escapeHtml(`${a.account}: ${count(a[s.key])} ${s.label}`)}</title></rect>`;
      x += width;
      return rect;
    });
    const summary = `${percent(a.compliancePercent)} met (${count(a.met)} of ${count(a.resources - a.noTarget)})`;
    return [
      `<text x="${LABEL - 8}" y="${y + 15}" text-anchor="end">${escapeHtml(a.account)}</text>`,
      ...segments,
      `<text class="bar-label" data-account="${escapeHtml(a.account)}" x="${LABEL + BAR + 8}" y="${y + 15}">${escapeHtml(summary)}</text>`,
    ].join('');
  });
  const legend = SEGMENTS.map(
    (s, i) =>
      `<rect x="${LABEL + i * 105}" y="${height - 24}" width="12" height="12" fill="${s.color}"/><text x="${LABEL + i * 105 + 17}" y="${height - 14}">${s.label}</text>`,
  ).join('');
  return `<svg id="rpo-chart" role="img" aria-label="RPO compliance per account" xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="13">${bars.join('')}${legend}</svg>`;
}
