/** The parts of an ARN; AWS's own event samples put the region in the account slot, so both are kept as found. */
export interface ParsedArn {
  service: string;
  region: string;
  account: string;
  resource: string;
}

export function parseArn(arn: string): ParsedArn | undefined {
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  return { service: parts[2]!, region: parts[3]!, account: parts[4]!, resource: parts.slice(5).join(':') };
}

const regionPattern = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;

/** The region an ARN names, looking in the account slot too (a quirk of the documented EBS samples). */
export function arnRegion(arn: ParsedArn): string | undefined {
  if (regionPattern.test(arn.region)) return arn.region;
  if (regionPattern.test(arn.account)) return arn.account;
  return undefined;
}
