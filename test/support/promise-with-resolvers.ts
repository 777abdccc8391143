/**
 * aws-local-stepfunctions 3 calls Promise.withResolvers, which Node 22 has and Node 20 (which
 * `npm test` must run on) has not: the same thing, for the tests that interpret a state machine.
 */
const withResolvers = <T>() => {
  let resolve!: (value: T | PromiseLike<T>) => void;
  let reject!: (reason?: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

const PromiseClass = Promise as unknown as { withResolvers?: typeof withResolvers };
PromiseClass.withResolvers ??= withResolvers;
