import { DB_SNAPSHOT } from '@backup-hub/aws-sim';
import { rdsSoak } from '../common/rds-soak.js';

export const soak = rdsSoak('rds-snapshot', DB_SNAPSHOT, 0.15);
