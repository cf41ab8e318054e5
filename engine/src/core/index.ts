export { ExchangeCore } from './exchange-core.js';
export type { ExchangeCoreOptions } from './exchange-core.js';
export * from './model.js';
