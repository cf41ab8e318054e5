export { ReferenceCore } from './reference-core.js';
export type { FillView } from './reference-core.js';
export * from './command-generator.js';
export * from './reference-invariants.js';
export * from './seeded-random.js';
export * from './engine-process.js';
export * from './wait-for.js';
