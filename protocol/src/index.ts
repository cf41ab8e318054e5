export * from './assert.js';
export * from './commands.js';
export * from './events.js';
export * from './ids.js';
export * from './ladder.js';
export * from './limits.js';
export * from './money.js';
export * from './reject-codes.js';
