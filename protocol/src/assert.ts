// Assertions for bugs. A failed assertion is a programming error: it throws and the process
// crashes, and the journal replays. Domain rejections are never assertions; they are values.

export class AssertionError extends Error {
  override name = 'AssertionError';
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}

export function assertNever(value: never): never {
  throw new AssertionError(`unexpected value: ${JSON.stringify(value)}`);
}
