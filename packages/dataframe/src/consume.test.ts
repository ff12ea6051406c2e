import { describe, expect, it } from 'vitest';
import { consumingTasks } from './consume.ts';

describe('consumingTasks', () => {
  const cases: { name: string; tasks: string[][]; freeable: string[]; expected: boolean[] }[] = [
    { name: 'a reduce side: every block read once, all freed after the stage', tasks: [['a0', 'b0'], ['a1', 'b1']], freeable: ['a0', 'a1', 'b0', 'b1'], expected: [true, true] },
    { name: 'a broadcast side read by every task', tasks: [['big0', 'small'], ['big1', 'small']], freeable: ['big0', 'big1', 'small'], expected: [false, false] },
    { name: 'a skew split: one side repeated in two pieces, the others alone', tasks: [['l0a', 'r0'], ['l0b', 'r0'], ['l1', 'r1']], freeable: ['l0a', 'l0b', 'l1', 'r0', 'r1'], expected: [false, false, true] },
    { name: 'blocks another stage still reads (or a cache keeps) are not freeable', tasks: [['c0'], ['c1']], freeable: [], expected: [false, false] },
    { name: 'one input freeable, the other kept', tasks: [['x0', 'cache0']], freeable: ['x0'], expected: [false] },
    { name: 'a task with no inputs (a scan) consumes nothing', tasks: [[]], freeable: [], expected: [false] },
    { name: 'the same block twice in one task', tasks: [['d0', 'd0']], freeable: ['d0'], expected: [false] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(consumingTasks(c.tasks.map((inputs) => ({ inputs })), c.freeable)).toEqual(c.expected);
    });
  }
});
