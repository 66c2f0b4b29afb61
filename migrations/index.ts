// Every migration, in order; the data source loads this list instead of scanning the disk.
import { InitialSchema1763769600000 } from './1763769600000-initial-schema.ts';

export const migrations = [InitialSchema1763769600000];
