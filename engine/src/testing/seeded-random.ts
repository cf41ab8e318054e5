// The seeded PRNG of tests, seeded flows and benchmarks (shared with the demo's simulated prices).

export { mulberry32 } from '@playchacha/protocol';
