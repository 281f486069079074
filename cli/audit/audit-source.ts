import type { S3Client } from '@aws-sdk/client-s3';
import type { AnchorStore, AnchorVerifier } from '../../shared/audit/anchor.js';
import type { AuditLog } from '../../shared/audit/audit-log.js';
import type { Catalog } from '../../shared/catalog/catalog.js';
import type { SourceInventory } from '../../shared/catalog/source-inventory.js';
import type { StoreFacts } from '../../shared/config-capture/store.js';
import type { VaultLock } from '../../shared/retention/vault-lock.js';

/** Where the audit reads: the vault's tables on AWS, or a local drill's folder. */
export interface AuditSource {
  catalog: Catalog;
  /** What the inventory sweep saw in the sources (the `unprotected` table). */
  inventory: SourceInventory;
  audit: AuditLog;
  /** The vault lock in force, kept in the catalog table. */
  lock: VaultLock;
  /** The source accounts the vault copies from. */
  accounts: string[];
  /** The as-of time when none is given, and why. */
  defaultUntil: Date;
  untilNote: string;
  /** The signed anchors and the key that signed them; none where they are not kept (a local drill's folder). */
  anchors?: { store: AnchorStore; verifier(): Promise<AnchorVerifier> };
  /** The vault store's configuration captures and the source regions captured; none where they are not kept (a local drill's folder). */
  captures?: { s3: S3Client; vault: StoreFacts; sources: { account: string; region: string }[] };
  /** One line for the report's header. */
  description: string;
  close(): Promise<void>;
}

/** `--local` cannot read the folder (missing, unfinished, in use), or this install lacks what it needs: the message says which. */
export class LocalSourceError extends Error {
  override name = 'LocalSourceError';
}
