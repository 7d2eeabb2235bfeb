/** The replication-tracking core: parse → change → merge → evaluate → statistics. Pure, no I/O. */
export * from './types';
export * from './keys';
export * from './parse';
export * from './record';
export * from './evaluate';
export * from './statistics';
export * from './report';
export * from './slo';
export * from './tracker';
export * from './time';
export * from './scan';
