/**
 * The heap limits Lambda's Node.js bootstrap gives a function of `memoryMb`: a tenth of the memory
 * for the young generation (two semi-spaces), the rest for the old space. V8 sizes the garbage it
 * lets pile up before a full collection from these limits: in a process free to grow to gigabytes
 * it lets the old space reach up to 4 times what is live first, under a Lambda's limits far less.
 */
export function lambdaHeapFlags(memoryMb: number): string[] {
  const newSpace = Math.floor(memoryMb / 10);
  return [`--max-old-space-size=${memoryMb - newSpace}`, `--max-semi-space-size=${Math.floor(newSpace / 2)}`];
}
