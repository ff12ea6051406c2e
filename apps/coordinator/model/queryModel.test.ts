import { describe, expect, it } from 'vitest';
import type { QueryRecord, StageReport } from '@shoal/dataframe';
import { QueryBook, failedStage, resultRows, stageTree, summarize } from './queryModel.ts';

const report = (stage: number, name: string, patch: Partial<StageReport> = {}): StageReport => ({ query: 1, stage, name, state: 'done', tasks: 2, tasksDone: 2, rowsOut: 10, bytesOut: 100, bytesIn: 0, ms: 5, taskMs: 4, keptBlocks: 0, phaseMs: { load: 0, run: 0, export: 0 }, notes: [], ...patch });

/** scan (0) and scan (1) → join (2, reads 0 by shuffle and 1 by all) → sort (3, reads 2 by shuffle). */
const joinQuery = (patch: Partial<QueryRecord> = {}): QueryRecord => ({
  id: 1,
  action: 'collect',
  explain: '== Physical Plan ==',
  stages: [report(0, 'scan'), report(1, 'scan'), report(2, 'join', { bytesIn: 300 }), report(3, 'sort', { rowsOut: 3 })],
  state: 'done',
  ms: 40,
  graph: {
    root: 3,
    stages: [
      { id: 0, name: 'scan', reads: [], output: 'hash' },
      { id: 1, name: 'scan', reads: [], output: 'single' },
      { id: 2, name: 'join', reads: [{ stage: 0, mode: 'shuffle' }, { stage: 1, mode: 'all' }], output: 'sample' },
      { id: 3, name: 'sort', reads: [{ stage: 2, mode: 'shuffle' }], output: 'single' },
    ],
  },
  ...patch,
});

describe('stageTree', () => {
  it('hangs each stage under the stage that reads it, with the read mode on the edge', () => {
    const [root, ...others] = stageTree(joinQuery());
    expect(others).toEqual([]);
    expect(root).toMatchObject({ id: 3, mode: null, output: 'single', failed: false });
    expect(root!.children.map((c) => [c.id, c.mode])).toEqual([[2, 'shuffle']]);
    expect(root!.children[0]!.children.map((c) => [c.id, c.mode, c.output])).toEqual([
      [0, 'shuffle', 'hash'],
      [1, 'all', 'single'],
    ]);
  });

  it('draws a stage read twice once, then as a reference', () => {
    const record = joinQuery({ graph: { root: 2, stages: [{ id: 0, name: 'scan', reads: [], output: 'single' }, { id: 1, name: 'x', reads: [{ stage: 0, mode: 'pointwise' }], output: 'single' }, { id: 2, name: 'union', reads: [{ stage: 0, mode: 'concat' }, { stage: 1, mode: 'concat' }], output: 'single' }] } });
    const [root] = stageTree(record);
    const [first, second] = root!.children;
    expect([first!.id, first!.repeat]).toEqual([0, false]);
    expect([second!.children[0]!.id, second!.children[0]!.repeat]).toEqual([0, true]);
  });

  it('shows stages that have not reported yet as waiting nodes without a report', () => {
    const [root] = stageTree(joinQuery({ state: 'running', stages: [report(0, 'scan', { state: 'running', tasksDone: 1 })] }));
    expect(root!.report).toBeNull();
    expect(root!.children[0]!.children[0]!.report).toMatchObject({ state: 'running', tasksDone: 1 });
  });

  it('marks the failed stage: the error names it, else the stage in state failed', () => {
    const failed = joinQuery({ state: 'failed', error: { code: 'ERR_ENGINE', message: 'boom (stage 2 "join", partition 1)', stage: 2 } });
    expect(failedStage(failed)).toBe(2);
    expect(stageTree(failed)[0]!.children[0]!.failed).toBe(true);
    const unnamed = joinQuery({ state: 'failed', error: { code: 'ERR_READ_FAILED', message: 'x' }, stages: [report(0, 'scan', { state: 'failed', error: 'x' })] });
    expect(failedStage(unnamed)).toBe(0);
    expect(failedStage(joinQuery())).toBeNull();
  });

  it('lists reported stages flat for a record without a graph', () => {
    const { graph: _graph, ...bare } = joinQuery();
    expect(stageTree(bare as QueryRecord).map((n) => [n.id, n.children.length])).toEqual([[0, 0], [1, 0], [2, 0], [3, 0]]);
  });
});

describe('QueryBook', () => {
  it('tells the same query id in two jobs apart and replaces updates in place', () => {
    const book = new QueryBook();
    book.startJob('first');
    book.update(joinQuery({ state: 'running' }));
    book.update(joinQuery());
    book.startJob('second');
    book.update(joinQuery({ action: 'count' }));
    expect(book.list().map((e) => [e.key, e.jobLabel, e.record.action, e.record.state])).toEqual([
      ['1:1', 'first', 'collect', 'done'],
      ['2:1', 'second', 'count', 'done'],
    ]);
  });

  it('keeps the newest 100', () => {
    const book = new QueryBook();
    book.startJob('many');
    for (let id = 1; id <= 105; id++) book.update(joinQuery({ id }));
    expect(book.size).toBe(100);
    expect(book.list()[0]!.key).toBe('1:6');
  });
});

describe('summarize', () => {
  it('gives the result rows (the root stage\'s) and every stage with its reads', () => {
    const book = new QueryBook();
    book.startJob('j');
    const summary = summarize(book.update(joinQuery()));
    expect(resultRows(joinQuery())).toBe(3);
    expect(summary).toMatchObject({ job: 1, jobLabel: 'j', id: 1, action: 'collect', state: 'done', rowsOut: 3, error: null });
    expect(summary.stages.map((s) => [s.stage, s.state, s.reads.length])).toEqual([[0, 'done', 0], [1, 'done', 0], [2, 'done', 2], [3, 'done', 1]]);
    expect(summary.stages[2]!.bytesIn).toBe(300);
    expect(summary.stages.map((s) => s.rowsIn)).toEqual([0, 0, 20, 10]);
  });
});
