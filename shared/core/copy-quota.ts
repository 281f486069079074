/**
 * Names one concurrent-copy quota: AWS counts copies of a kind per destination account and
 * region. The vault's own copies use the vault's; the re-encryption of an artifact in its
 * source uses that source's.
 */
export function copyQuotaKey(kind: string, account: string, region: string): string {
  return `${kind}:${account}:${region}`;
}
