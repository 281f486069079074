import type { SourceRecord } from '../config/source-registry.js';
import { PENDING_CAP } from '../core/copy-quota.js';
import type { ArtifactKindName } from '../kinds/index.js';

/** What the RPO check knows per source account, from its record. */
export interface SourceMonitoring {
  /** The account file's name, for the alarms' descriptions. */
  name: string;
  /** The RPO target of each kind that has one. */
  rpoHours: Partial<Record<ArtifactKindName, number>>;
  /** The "no events" alarm's hours. */
  silenceHours: number;
  /** Its pending points beyond this wait behind the other sources' (the over-cap alarm names it). */
  pendingCap: number;
}

export type RpoSettings = Record<string, SourceMonitoring>;

/** The RPO check's settings: every recorded source's targets and silence hours (the vault stack writes them from accounts/*.yml). */
export function rpoSettings(records: Map<string, SourceRecord>): RpoSettings {
  return Object.fromEntries(
    [...records].map(([account, record]) => [
      account,
      {
        name: record.name,
        rpoHours: Object.fromEntries(Object.entries(record.targets).map(([kind, t]) => [kind, t.rpoHours])),
        silenceHours: record.silenceHours,
        pendingCap: record.pendingCap ?? PENDING_CAP,
      },
    ]),
  );
}
