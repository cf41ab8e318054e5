export { ReferenceCore } from './reference-core.js';
export type { FillView } from './reference-core.js';
export * from './command-generator.js';
export * from './reference-invariants.js';
