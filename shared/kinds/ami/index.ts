import { ami } from './ami.js';
import { manifest } from './manifest.js';

/** The ami kind: its module (what the hub does with one) and its manifest (how it is deployed). */
export const amiKind = { module: ami, manifest };
