import type { ServiceEvent, VolumeEncryption } from '@backup-hub/aws-sim';
import type { LocalHub } from '../drill/local-hub.js';
import { TAG } from '../shared/kinds/common/provenance-tags.js';
import type { ArtifactKindName } from '../shared/kinds/index.js';

/** One vault copy as the simulated service holds it: the source artifact it copies, and the copy slot it kept busy. */
export interface VaultCopy {
  kind: ArtifactKindName;
  /** The vault region it is in (the vault's, or its DR region): copy quotas count per destination region. */
  region: string;
  /** `<account>/<region>/<source id>`: two copies with the same key in one vault region are a duplicate. */
  source: string;
  startMs: number;
  endMs: number;
}

/** An artifact created for the soak, and the ways an event can announce it. */
export interface SoakArtifact {
  /** The event AWS sends in the owner's account once the artifact is ready, built by the simulated service itself. */
  announce(): ServiceEvent;
  /** Lets another account see the artifact (how the kind is shared), so that its forged claim meets a foreign owner, not a missing artifact. */
  shareWith?(account: string): void;
  /** The announcement naming the artifact in another region, when the kind's event carries a region of its own. */
  inRegion?(region: string): ServiceEvent;
  /** The event AWS sends when making the artifact failed, when the kind has one. */
  failed?(): ServiceEvent;
  /**
   * Changes the artifact once the burst has settled and returns the event announcing the change: a
   * parameter deleted and created again, whose new life must be copied beside the old one.
   */
  afterBurst?(): ServiceEvent;
}

/** How the soak makes and announces artifacts of one kind (its folder's soak.ts), and finds their vault copies. */
export interface SoakKind {
  kind: ArtifactKindName;
  /** Weight of this kind among the input events (the weights of all kinds add up to 1). */
  share: number;
  /** Whether the vault's copies of this kind count against the soak's copy quota Q (EC2 and RDS limit copies in progress per destination region; SSM copies are synchronous writes). */
  quotaBound: boolean;
  /** Creates the artifact silently in the owner's account, as if taken before the burst. */
  create(hub: LocalHub, owner: string, region: string, pick: Picker): SoakArtifact;
  vaultCopies(hub: LocalHub): VaultCopy[];
}

export type Picker = <T>(from: readonly T[]) => T;

export const ENCRYPTIONS: VolumeEncryption[] = ['none', 'cmk', 'aws-managed'];
/** Volume sizes, and with them EC2 copy durations, vary (the sim's copy time grows with size). */
export const SIZES_GIB = [8, 30, 100, 250, 500];

/** The source artifact a vault copy's provenance tags name. */
export const sourceOf = (tags: Map<string, string>) =>
  [TAG.sourceAccount, TAG.sourceRegion, TAG.sourceId].map((t) => tags.get(t)).join('/');

export function replaceInEvent(event: ServiceEvent, from: string, to: string): ServiceEvent {
  return JSON.parse(JSON.stringify(event).replaceAll(from, to)) as ServiceEvent;
}
