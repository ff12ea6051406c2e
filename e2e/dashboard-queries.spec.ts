/**
 * The dashboard's Queries view and data file drop, on a real cluster of two
 * worker tabs: a DataFrame groupBy/orderBy job lists its query with every
 * stage done, the stage tree (which stage reads which, and how) and the
 * right row counts; a query whose task throws shows its error code and
 * highlights its stage; a record that changes while the page shows it is
 * redrawn (progress, notes); a CSV picked in the file input is uploaded to
 * the data folder, the editor gets a job that reads it, and running that
 * job shows its rows; a file that is not data, and a server that refuses
 * the write, get a clear error.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page, type TestInfo } from '@playwright/test';
import type { QueryRecordSummary } from '@shoal/protocol';
import { cluster, job } from './helpers.ts';

type Local = Awaited<ReturnType<typeof cluster>>;
let local: Local;
let dataDir = '';

// The first DataFrame task on each tab loads DuckDB-WASM (~34 MB), slow on a busy machine.
test.describe.configure({ mode: 'serial', timeout: 240_000 });
test.beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'shoal-e2e-queries-'));
  local = await cluster({ workers: 2, slotsPerWorker: 1, dataDir });
  await local.coordinator.setViewportSize({ width: 1400, height: 900 });
});
test.afterAll(async () => {
  await local?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function shoot(page: Page, testInfo: TestInfo, section: string, name: string): Promise<void> {
  const path = testInfo.outputPath(`${name}.png`);
  await page.locator(`#${section}`).screenshot({ path });
  await testInfo.attach(name, { path, contentType: 'image/png' });
}

const queries = (page: Page = local.coordinator): Promise<QueryRecordSummary[]> => page.evaluate(() => window.shoalCoordinator!.queries!());
const stageItem = (page: Page, stage: number) => page.locator(`#query-stages li.qstage[data-stage="${stage}"]`);

test('a groupBy query lists with its stage tree, every stage done and the right row counts', async ({}, testInfo) => {
  const page = local.coordinator;
  const outcome = await local.runJob(
    job(`
      const df = cluster.createDataFrame([[1, 'a'], [2, 'b'], [3, 'a']], ['v', 'k']);
      return df.groupBy('k').agg({ v: 'sum' }).orderBy('k').collect();`),
    'groupBy query',
  );
  expect(outcome, JSON.stringify(outcome)).toMatchObject({ ok: true, result: [{ k: 'a', 'sum(v)': 4 }, { k: 'b', 'sum(v)': 2 }] });
  expect(local.pageErrors).toEqual([]);

  // The page API: one query, done, whose stages all ran every task.
  const [query, ...more] = await queries();
  expect(more).toEqual([]);
  expect(query).toMatchObject({ job: 1, jobLabel: 'groupBy query', id: 1, action: 'collect', state: 'done', rowsOut: 2, error: null });
  expect(query!.stages.length).toBeGreaterThanOrEqual(2);
  for (const stage of query!.stages) expect([stage.state, stage.tasksDone]).toEqual(['done', stage.tasks]);
  expect(query!.stages[0]).toMatchObject({ stage: 0, rowsOut: 3, reads: [] }); // the scan reads the 3 rows
  const shuffled = query!.stages.filter((s) => s.reads.some((r) => r.mode === 'shuffle'));
  expect(shuffled.length).toBeGreaterThan(0);
  for (const stage of shuffled) expect([stage.bytesIn > 0, stage.rowsIn > 0]).toEqual([true, true]);

  // The view: its row, and the tree from the root stage down.
  const row = page.locator('#query-list tr[data-query="1:1"]');
  await expect(row).toHaveAttribute('data-state', 'done');
  await expect(row).toHaveAttribute('data-rows', '2');
  await expect(row).toContainText('q1 collect');
  await expect(page.locator('#query-count')).toHaveText('1');
  await expect(page.locator('#query-stages li.qstage')).toHaveCount(query!.stages.length);
  await expect(page.locator('#query-stages li.qstage:not([data-state="done"])')).toHaveCount(0);
  await expect(stageItem(page, 0)).toHaveAttribute('data-rows-out', '3');
  const root = query!.stages.find((s) => !query!.stages.some((other) => other.reads.some((r) => r.stage === s.stage)))!;
  await expect(page.locator('#query-stages > li.qstage')).toHaveAttribute('data-stage', String(root.stage));
  await expect(page.locator('#query-stages > li.qstage')).toHaveAttribute('data-rows-out', '2');
  // Each read is an edge: the stage read hangs under its reader, labelled with the mode.
  for (const stage of query!.stages) {
    for (const read of stage.reads) {
      const edge = page.locator(`#query-stages li.qstage[data-stage="${stage.stage}"] > ul > li.qstage[data-stage="${read.stage}"]`);
      await expect(edge).toHaveAttribute('data-mode', read.mode);
      await expect(edge.locator('> .qnode .qmode')).toContainText(read.mode);
    }
  }
  for (const stage of query!.stages) await expect(stageItem(page, stage.stage).locator('> .qnode .counters')).toContainText(`${stage.tasks}/${stage.tasks} tasks`);
  await expect(page.locator('#query-detail .qerror')).toBeHidden();

  // explain() opens in place.
  await page.locator('#query-explain summary').click();
  await expect(page.locator('#query-explain pre')).toContainText('== Physical Plan ==');
  await expect(page.locator('#query-explain pre')).toContainText('Aggregate keys=[k]');
  await shoot(page, testInfo, 'queries-section', 'queries-done');
  await page.locator('#query-explain summary').click();
});

test('a query whose task throws shows its error code and message, and highlights its stage', async ({}, testInfo) => {
  const page = local.coordinator;
  const outcome = await local.runJob(
    job(`
      const df = cluster.createDataFrame([[1, 'a'], [2, 'b'], [3, 'a']], ['v', 'k']);
      try {
        await df.mapPartitions(function refuse(table) { throw new Error('refusing ' + table.numRows + ' rows'); }).count();
        return 'no error';
      } catch (e) {
        return e.code;
      }`),
    'failing query',
  );
  expect(outcome, JSON.stringify(outcome)).toMatchObject({ ok: true, result: 'ERR_TASK_FAILED' });
  const failed = (await queries()).find((q) => q.job === 2)!;
  expect(failed).toMatchObject({ id: 1, action: 'count', state: 'failed', error: { code: 'ERR_TASK_FAILED' } });
  expect(failed.error!.message).toMatch(/refusing \d+ rows .*partition \d+/);
  const stage = failed.error!.stage!;
  expect(failed.stages[stage]).toMatchObject({ name: 'mapPartitions', state: 'failed' });

  // The newest query is on show: the failure, and the stage it points to.
  const row = page.locator('#query-list tr[data-query="2:1"]');
  await expect(row).toHaveAttribute('data-state', 'failed');
  await expect(row).toHaveClass(/selected/);
  await expect(page.locator('#query-detail .qerror-code')).toHaveText('ERR_TASK_FAILED');
  await expect(page.locator('#query-detail .qerror-message')).toContainText('partition');
  await expect(page.locator('#query-stages li.qstage.failed')).toHaveCount(1);
  await expect(page.locator('#query-stages li.qstage.failed')).toHaveAttribute('data-stage', String(stage));
  await expect(stageItem(page, stage).locator('> .qnode .qstage-error')).toContainText('refusing');
  await shoot(page, testInfo, 'queries-section', 'queries-failed');
  // Its tasks (named q<query> s<stage>: <name>) open in the Details view, failed ones listed.
  await stageItem(page, stage).locator('> .qnode button.qtasks').click();
  await expect(page.locator('#detail h3')).toContainText(`q1 s${stage}: mapPartitions`);
  await expect(page.locator('#detail')).toContainText('Failed (');
  await page.locator('#query-detail .qerror button.link').click();
  await expect(stageItem(page, stage).locator('> .qnode')).toHaveClass(/flash/);

  // The earlier query is still there, and a click shows it again.
  await page.locator('#query-list tr[data-query="1:1"]').click();
  await expect(page.locator('#query-list tr[data-query="1:1"]')).toHaveClass(/selected/);
  await expect(page.locator('#query-stages li.qstage.failed')).toHaveCount(0);
  await expect(page.locator('#query-detail .qerror')).toBeHidden();
});

test('a record that changes while on show is redrawn: progress, rows, adaptive notes', async ({}, testInfo) => {
  const page = local.coordinator;
  const stage = (id: number, patch: Record<string, unknown>) => ({ query: 7, stage: id, name: id === 0 ? 'scan+partial agg → hash' : 'agg', state: 'waiting', tasks: 0, tasksDone: 0, rowsOut: 0, bytesOut: 0, bytesIn: 0, ms: 0, notes: [], ...patch });
  const record = (stages: unknown[], state = 'running') => ({
    id: 7,
    action: 'collect',
    explain: '== Physical Plan ==\nStage 1 (result): agg ← stage 0 (shuffle)',
    stages,
    state,
    ms: state === 'done' ? 1234 : 0,
    graph: { root: 1, stages: [{ id: 0, name: 'scan+partial agg → hash', reads: [], output: 'hash' }, { id: 1, name: 'agg', reads: [{ stage: 0, mode: 'shuffle' }], output: 'single' }] },
  });
  await page.evaluate((r) => window.shoalCoordinator!.recordQuery!(r), record([stage(0, { state: 'running', tasks: 4, tasksDone: 1, rowsOut: 250 })]));
  // Recorded between jobs, so it belongs to the last job run.
  const recorded = (await queries()).find((q) => q.id === 7)!;
  const row = page.locator(`#query-list tr[data-query="${recorded.job}:7"]`);
  await expect(row).toHaveAttribute('data-state', 'running');
  await row.click();
  await expect(stageItem(page, 0)).toHaveAttribute('data-tasks-done', '1');
  await expect(stageItem(page, 0).locator('> .qnode .counters')).toContainText('1/4 tasks');
  await expect(stageItem(page, 1)).toHaveAttribute('data-state', 'waiting');
  await expect(stageItem(page, 1).locator('> .qnode .counters')).toHaveText('waiting for stage 0');

  await page.evaluate(
    (r) => window.shoalCoordinator!.recordQuery!(r),
    record([stage(0, { state: 'done', tasks: 4, tasksDone: 4, rowsOut: 1000, bytesOut: 40_960, ms: 80 }), stage(1, { state: 'running', tasks: 2, tasksDone: 0, bytesIn: 40_960, notes: ['coalesced 8 shuffle partitions into 2 (advisory 16.0 MiB)'] })]),
  );
  await expect(stageItem(page, 0)).toHaveAttribute('data-tasks-done', '4');
  await expect(stageItem(page, 0).locator('> .qnode .counters')).toContainText('rows out 1,000');
  await expect(stageItem(page, 1).locator('> .qnode .qnotes')).toContainText('coalesced 8 shuffle partitions into 2');
  await expect(stageItem(page, 1).locator('> .qnode .counters')).toContainText('in 40.0 KiB');
  await expect(stageItem(page, 1).locator('> .qnode .counters')).toContainText('rows in 1,000');
  await shoot(page, testInfo, 'queries-section', 'queries-live');

  await page.evaluate((r) => window.shoalCoordinator!.recordQuery!(r), record([stage(0, { state: 'done', tasks: 4, tasksDone: 4, rowsOut: 1000 }), stage(1, { state: 'done', tasks: 2, tasksDone: 2, rowsOut: 10 })], 'done'));
  await expect(row).toHaveAttribute('data-state', 'done');
  await expect(row).toHaveAttribute('data-rows', '10');
  await expect(page.locator('#query-detail .qhead-line')).toContainText('10 rows');
});

test('a CSV picked in the file input becomes a DataFrame job in the editor, and running it shows its rows', async () => {
  const page = local.coordinator;
  const csv = 'name,age,city\nada,36,london\ngrace,45,new york\nlinus,28,helsinki\n';
  await page.locator('#data-file').setInputFiles({ name: 'people list.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  const status = page.locator('#drop-status');
  await expect(status).toHaveClass(/ok/);
  await expect(status).toContainText('uploads/people_list.csv');
  expect(readFileSync(join(dataDir, 'uploads', 'people_list.csv'), 'utf8')).toBe(csv);
  const editor = page.locator('#editor .cm-content');
  await expect(editor).toContainText("cluster.read.csv('uploads/people_list.csv')");

  await page.locator('#run').click();
  await expect(page.locator('#job-state')).toHaveText(/ in \d+ ms$/, { timeout: 180_000 });
  expect(await page.locator('#result pre.bad').count(), `the job failed: ${await page.locator('#result').textContent()}`).toBe(0);
  const result = page.locator('#result table');
  await expect(result).toBeVisible();
  await expect(result.locator('thead')).toContainText('name');
  await expect(result.locator('tbody tr')).toHaveCount(3);
  await expect(result.locator('tbody')).toContainText('grace');
  await expect(result.locator('tbody')).toContainText('helsinki');
  // Its query is listed too, done, with its 3 rows.
  await expect.poll(async () => (await queries()).filter((q) => q.state === 'done' && q.rowsOut === 3).length).toBeGreaterThan(0);
  expect(local.pageErrors).toEqual([]);
});

test('a file dropped on the page is uploaded too, and gets the reader of its kind', async () => {
  const page = local.coordinator;
  const lines = '{"id":1,"tag":"x"}\n{"id":2,"tag":"y"}\n';
  const dataTransfer = await page.evaluateHandle((text) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([text], 'events.jsonl', { type: 'application/x-ndjson' }));
    return transfer;
  }, lines);
  await page.dispatchEvent('body', 'dragenter', { dataTransfer });
  await expect(page.locator('body')).toHaveClass(/dropping/);
  await page.dispatchEvent('body', 'dragover', { dataTransfer });
  await page.dispatchEvent('#stream-section', 'drop', { dataTransfer });
  await expect(page.locator('body')).not.toHaveClass(/dropping/);
  await expect(page.locator('#drop-status')).toHaveClass(/ok/);
  await expect(page.locator('#editor .cm-content')).toContainText("cluster.read.json('uploads/events.jsonl')");
  expect(readFileSync(join(dataDir, 'uploads', 'events.jsonl'), 'utf8')).toBe(lines);
});

test('a file that is not data, and a server that refuses the upload, get a clear error', async () => {
  const page = local.coordinator;
  const status = page.locator('#drop-status');
  await page.locator('#data-file').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') });
  await expect(status).toHaveClass(/bad/);
  await expect(status).toContainText('notes.txt is not a data file');

  // A file stands where the uploads folder should be: the server refuses the write.
  rmSync(join(dataDir, 'uploads'), { recursive: true, force: true });
  writeFileSync(join(dataDir, 'uploads'), 'not a folder');
  const before = await page.locator('#editor .cm-content').textContent();
  await page.locator('#data-file').setInputFiles({ name: 'more.csv', mimeType: 'text/csv', buffer: Buffer.from('a\n1\n') });
  await expect(status).toHaveClass(/bad/);
  await expect(status).toContainText(/Could not upload more\.csv: ERR_[A-Z_]+: /);
  expect(await page.locator('#editor .cm-content').textContent()).toBe(before);
});
