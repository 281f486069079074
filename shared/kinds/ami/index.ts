import { ami } from './ami.js';

/** The ami kind: its module (what the hub does with one) and, beside it, its deployment facts. */
export const amiKind = { module: ami };
