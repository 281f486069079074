/** Numbers as the audit prints them: always with their unit. */

/** `1,234` */
export const count = (n: number): string => n.toLocaleString('en-US');

/** Hours up to two days, days beyond: `10.5 h`, `5.0 d`; `–` when there is none. */
export function age(hours: number | undefined): string {
  if (hours === undefined) return '–';
  return hours < 48 ? `${hours.toFixed(1)} h` : `${(hours / 24).toFixed(1)} d`;
}

/** A target as written in the account files: `12 h`, `14 d`; `–` when not set. */
export const target = (value: number | undefined, unit: 'h' | 'd'): string => (value === undefined ? '–' : `${count(value)} ${unit}`);

/** `87.5 %`; `–` when undefined. */
export const percent = (value: number | undefined): string => (value === undefined ? '–' : `${value.toFixed(1)} %`);

/** `2026-03-10 12:00 UTC` */
export const time = (iso: string | undefined): string => (iso === undefined ? '–' : `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`);
