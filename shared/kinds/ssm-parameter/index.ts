import { manifest } from './manifest.js';
import { ssmParameter } from './ssm-parameter.js';

/** The ssm-parameter kind: its module (what the hub does with one) and its manifest (how it is deployed). */
export const ssmParameterKind = { module: ssmParameter, manifest };
