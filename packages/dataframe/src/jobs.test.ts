/**
 * The e2e DataFrame jobs (e2e/dataframeJobs.ts), run in this process on the
 * in-process cluster with the real engine: the same plans, SQL and answers as
 * on real tabs, minus the browser (the data folder jobs stay e2e-only).
 */
import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { JOBS } from '../../../e2e/dataframeJobs.ts';
import { reference, salesRows } from '../../../e2e/dataframeReference.ts';
import { dataFrameApi } from './api.ts';
import { localCluster } from './testCluster.ts';

const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (...args: string[]) => (cluster: unknown) => Promise<unknown>;
const runJob = <T>(body: string): Promise<T> => new AsyncFunction('cluster', body)({ ...dataFrameApi(localCluster(2), undefined), arrow }) as Promise<T>;
const ref = reference(salesRows(240));

describe('DataFrame jobs in process', { timeout: 120_000 }, () => {
  it('seed', async () => {
    expect(await runJob(JOBS.seed)).toEqual([{ 'avg(value)': 999 }]);
  });
  it('transformations and actions', async () => {
    const out = await runJob<Record<string, unknown>>(JOBS.transformations);
    for (const key of Object.keys(ref)) if (key !== 'joins') expect(out[key], key).toEqual(ref[key]);
    expect(out['cacheRuns']).toBe(1);
  });
  it('joins', async () => {
    const out = await runJob<Record<string, Record<string, unknown>>>(JOBS.joins);
    for (const mode of ['broadcast', 'shuffle']) for (const how of Object.keys(ref['joins'] as object)) expect(out[mode]![how], `${mode} ${how}`).toEqual((ref['joins'] as Record<string, unknown>)[how]);
  });
  it('sorts over more partitions than slots', async () => {
    const rows = salesRows(240);
    const out = await runJob<Record<string, unknown[]>>(JOBS.sorts);
    const ids = (cmp: (a: (typeof rows)[number], b: (typeof rows)[number]) => number) => [...rows].sort((a, b) => cmp(a, b) || a.id - b.id).map((r) => r.id);
    expect(out['desc']).toEqual(ids((a, b) => b.price - a.price));
    expect(out['asc']).toEqual(ids((a, b) => a.price - b.price));
    expect(out['nullsFirst']!.slice(0, 48).every((b) => b === null)).toBe(true);
    expect(out['nullsLast']!.slice(-48).every((b) => b === null)).toBe(true);
  });
  it('errors found at plan time', async () => {
    const out = await runJob<Record<string, { code: string; message: string }>>(JOBS.errors.replace(/await grab\('(missing|corrupt|badRow)'.*\n/g, ''));
    expect(out['column']!.code).toBe('ERR_COLUMN_NOT_FOUND');
    expect(out['type']!.code).toBe('ERR_TYPE_MISMATCH');
    expect(out['sum']!.code).toBe('ERR_TYPE_MISMATCH');
    expect(out['syntax']!.code).toBe('ERR_SQL_SYNTAX');
    expect(out['tasksBefore']!.code).toBe('0');
  });
  it('sql equals the api', async () => {
    const out = await runJob<Record<string, unknown>>(JOBS.sql);
    expect(out['sql']).toEqual(out['api']);
    expect(out['sqlJoin']).toEqual(out['apiJoin']);
    expect(out['sqlSub']).toEqual(out['apiSub']);
  });
});
