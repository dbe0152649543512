// A refusal checked whole: the error `run` throws is an instance of `type`, and its message is
// exactly `message` (a test of one word of it would let a wrong message through).
import { expect } from 'vitest';

export function expectRefusal(run: () => unknown, type: abstract new (...args: never[]) => Error, message: string): void {
  let error: unknown;
  try {
    run();
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(type);
  expect((error as Error).message).toBe(message);
}

/** expectRefusal for a promise: it rejects with an instance of `type` whose message is exactly `message`. */
export async function expectRejection(pending: Promise<unknown>, type: abstract new (...args: never[]) => Error, message: string): Promise<void> {
  const error = await pending.then(() => undefined, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(type);
  expect((error as Error).message).toBe(message);
}
