export { ExchangeCore } from './exchange-core.js';
export type { CoreSnapshot, ExchangeCoreOptions } from './exchange-core.js';
export * from './model.js';
