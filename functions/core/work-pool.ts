/**
 * A fixed pool of worker loops fed by one producer: no closure, promise or set entry per item, and
 * the producer is held back while more than `ahead` items wait, so memory stays at a page or two.
 */
export async function runPool<T>(
  size: number,
  ahead: number,
  produce: (push: (items: readonly T[]) => Promise<void>) => Promise<void>,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let queue: T[] = [];
  let head = 0;
  let producing = true;
  const idle: Array<() => void> = [];
  let roomFor: (() => void) | null = null;

  const wakeAll = () => {
    for (const wake of idle.splice(0)) wake();
  };
  const push = async (items: readonly T[]) => {
    if (head > 1024 && head * 2 > queue.length) {
      queue = queue.slice(head);
      head = 0;
    }
    for (const item of items) queue.push(item);
    wakeAll();
    if (queue.length - head > ahead) await new Promise<void>((resolve) => (roomFor = resolve));
  };
  const worker = async () => {
    for (;;) {
      if (head < queue.length) {
        const item = queue[head] as T;
        queue[head++] = undefined as T;
        if (roomFor && queue.length - head <= ahead) {
          const resume: () => void = roomFor;
          roomFor = null;
          resume();
        }
        await work(item);
      } else if (!producing) {
        return;
      } else {
        await new Promise<void>((resolve) => idle.push(resolve));
      }
    }
  };

  const workers = Array.from({ length: size }, worker);
  try {
    await produce(push);
  } finally {
    producing = false;
    wakeAll();
    await Promise.all(workers);
  }
}
