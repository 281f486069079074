import { ssmParameter } from './ssm-parameter.js';

/** The ssm-parameter kind: its module (what the hub does with one) and, beside it, its deployment facts. */
export const ssmParameterKind = { module: ssmParameter };
