// Counts bcrypt comparisons made in this process (the test server runs in it), to tell how many
// passwords were actually judged.
import bcrypt from 'bcrypt';

export interface ComparisonCounter {
  count: number;
  restore(): void;
}

export function countComparisons(): ComparisonCounter {
  const original = bcrypt.compare;
  const counter: ComparisonCounter = {
    count: 0,
    restore: () => Object.assign(bcrypt, { compare: original }),
  };
  Object.assign(bcrypt, {
    compare: (...args: Parameters<typeof original>) => {
      counter.count += 1;
      return (original as (...a: unknown[]) => unknown).apply(bcrypt, args);
    },
  });
  return counter;
}
