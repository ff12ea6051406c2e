/**
 * `--native`: the same job (bench/dataframe/job.js, the same SQL) run in this
 * Node process against native DuckDB (@duckdb/node-api) with one thread,
 * through a small stand-in for the job's `cluster` (read.csv, cache, count,
 * orderBy, take, createOrReplaceTempView, sql, toArrow). It is a yardstick,
 * not a competitor: what one core of the engine does with no distribution,
 * no WASM and no transfer, so the gap to Shoal's figure is the price of those.
 * It also checks the job and its SQL without a browser.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { jobSource, type ShoalRunOptions, type SideResult } from './shoal.ts';

let tables = 0;

/** A lazy frame over a SQL text; `cache()` makes the next action store it as a table. */
class NativeFrame {
  #table: string | undefined;
  constructor(
    private readonly db: DuckDBConnection,
    private readonly query: string,
    private readonly cached = false,
  ) {}
  #source(): string {
    return this.#table ? `SELECT * FROM ${this.#table}` : this.query;
  }
  async #materialize(): Promise<void> {
    if (this.cached && !this.#table) {
      const name = `cached_${tables++}`;
      await this.db.run(`CREATE TABLE ${name} AS ${this.query}`);
      this.#table = name;
    }
  }
  repartition(): NativeFrame {
    return this;
  }
  cache(): NativeFrame {
    return new NativeFrame(this.db, this.query, true);
  }
  orderBy(column: string): NativeFrame {
    return new NativeFrame(this.db, `SELECT * FROM (${this.#source()}) ORDER BY ${column}`);
  }
  async count(): Promise<number> {
    await this.#materialize();
    const rows = (await this.db.runAndReadAll(`SELECT count(*) AS n FROM (${this.#source()})`)).getRowObjectsJS();
    return Number(rows[0]!.n);
  }
  async collect(): Promise<Record<string, unknown>[]> {
    await this.#materialize();
    return (await this.db.runAndReadAll(this.#source())).getRowObjectsJS();
  }
  /**
   * Not an Arrow table: the answer stays in DuckDB (`CREATE TABLE ans AS ...`, as db-benchmark's
   * DuckDB script keeps it), and what comes back is its row count and, per numeric column, a
   * one-value "column" holding the column's sum: all the job reads of it (numRows, getChild).
   */
  async toArrow(): Promise<{ numRows: number; getChild(name: string): number[] | null }> {
    await this.#materialize();
    const name = `answer_${tables++}`;
    await this.db.run(`CREATE TABLE ${name} AS ${this.#source()}`);
    try {
      const columns = (await this.db.runAndReadAll(`DESCRIBE ${name}`)).getRowObjectsJS();
      const numeric = columns.filter((c) => /INT|DOUBLE|FLOAT|DECIMAL|REAL/i.test(String(c.column_type))).map((c) => String(c.column_name));
      const select = [`count(*) AS "#rows"`, ...numeric.map((c) => `sum("${c}")::DOUBLE AS "${c}"`)].join(', ');
      const sums = (await this.db.runAndReadAll(`SELECT ${select} FROM ${name}`)).getRowObjectsJS()[0]!;
      return { numRows: Number(sums['#rows']), getChild: (column) => (column in sums && column !== '#rows' ? [Number(sums[column])] : null) };
    } finally {
      await this.db.run(`DROP TABLE ${name}`);
    }
  }
  async take(n: number): Promise<Record<string, unknown>[]> {
    await this.#materialize();
    return (await this.db.runAndReadAll(`${this.#source()} LIMIT ${n}`)).getRowObjectsJS();
  }
  async createOrReplaceTempView(name: string): Promise<void> {
    await this.#materialize();
    await this.db.run(`CREATE OR REPLACE VIEW ${name} AS ${this.#source()}`);
  }
  async unpersist(): Promise<void> {
    if (this.#table) await this.db.run(`DROP TABLE ${this.#table}`);
    this.#table = undefined;
  }
}

/** Runs the bench job on native DuckDB, one thread. Never throws: a failed job is reported under `errors.job`. */
export async function runNative(options: Omit<ShoalRunOptions, 'tabs' | 'log'>): Promise<SideResult> {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-bench-native-'));
  const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  const db = await instance.connect();
  try {
    const cluster = {
      read: { csv: (path: string) => new NativeFrame(db, `SELECT * FROM read_csv_auto('${join(options.data.dir, path).replaceAll("'", "''")}')`) },
      sql: (text: string) => new NativeFrame(db, text),
    };
    const file = join(dir, 'job.mjs');
    writeFileSync(file, jobSource({ ...options, tabs: 1 }));
    const job = (await import(pathToFileURL(file).href)) as { default: (cluster: unknown) => Promise<SideResult> };
    return await job.default(cluster);
  } catch (error) {
    return { workloads: {}, errors: { job: error instanceof Error ? error.message : String(error) } };
  } finally {
    db.closeSync();
    instance.closeSync();
    rmSync(dir, { recursive: true, force: true });
  }
}
