import { DB_CLUSTER_SNAPSHOT } from '@backup-hub/aws-sim';
import { rdsSoak } from '../common/rds-soak.js';

export const soak = rdsSoak('rds-cluster-snapshot', DB_CLUSTER_SNAPSHOT, 0.1);
