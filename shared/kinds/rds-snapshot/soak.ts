import { DB_SNAPSHOT } from '../../../sim/services/rds-snapshot.js';
import { rdsSoak } from '../common/rds-soak.js';

export const soak = rdsSoak('rds-snapshot', DB_SNAPSHOT, 0.15);
