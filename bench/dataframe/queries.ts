/**
 * The workloads of bench/dataframe.ts, in one place: titles, the SQL the Shoal
 * job runs (h2oai/db-benchmark's DuckDB questions, `duckdb/groupby-duckdb.R`,
 * verbatim where Shoal's SQL can say them; later entries are fallbacks tried
 * when an earlier one fails), and which answer columns the check sums (in the
 * same order as bench/peers/dask_dataframe.py's `chk`).
 */
export interface Question {
  id: string;
  title: string;
  /** SQL texts, tried in order until one runs. */
  sql: string[];
  /** Answer columns whose sums make the check. */
  chk: string[];
}

export const QUESTIONS: readonly Question[] = [
  { id: 'q1', title: 'sum v1 by id1', sql: ['SELECT id1, sum(v1) AS v1 FROM x GROUP BY id1'], chk: ['v1'] },
  { id: 'q2', title: 'sum v1 by id1:id2', sql: ['SELECT id1, id2, sum(v1) AS v1 FROM x GROUP BY id1, id2'], chk: ['v1'] },
  { id: 'q3', title: 'sum v1 mean v3 by id3', sql: ['SELECT id3, sum(v1) AS v1, avg(v3) AS v3 FROM x GROUP BY id3'], chk: ['v1', 'v3'] },
  { id: 'q4', title: 'mean v1:v3 by id4', sql: ['SELECT id4, avg(v1) AS v1, avg(v2) AS v2, avg(v3) AS v3 FROM x GROUP BY id4'], chk: ['v1', 'v2', 'v3'] },
  { id: 'q5', title: 'sum v1:v3 by id6', sql: ['SELECT id6, sum(v1) AS v1, sum(v2) AS v2, sum(v3) AS v3 FROM x GROUP BY id6'], chk: ['v1', 'v2', 'v3'] },
  {
    id: 'q6',
    title: 'median v3 sd v3 by id4 id5',
    sql: [
      'SELECT id4, id5, median(v3) AS median_v3, stddev(v3) AS sd_v3 FROM x GROUP BY id4, id5',
      'SELECT id4, id5, quantile_cont(v3, 0.5) AS median_v3, stddev(v3) AS sd_v3 FROM x GROUP BY id4, id5',
    ],
    chk: ['median_v3', 'sd_v3'],
  },
  {
    id: 'q7',
    title: 'max v1 - min v2 by id3',
    sql: [
      'SELECT id3, max(v1)-min(v2) AS range_v1_v2 FROM x GROUP BY id3',
      'SELECT id3, mx - mn AS range_v1_v2 FROM (SELECT id3, max(v1) AS mx, min(v2) AS mn FROM x GROUP BY id3) t',
    ],
    chk: ['range_v1_v2'],
  },
  {
    id: 'q8',
    title: 'largest two v3 by id6',
    sql: [
      'SELECT id6, v3 AS largest2_v3 FROM (SELECT id6, v3, row_number() OVER (PARTITION BY id6 ORDER BY v3 DESC) AS order_v3 FROM x WHERE v3 IS NOT NULL) sub_query WHERE order_v3 <= 2',
    ],
    chk: ['largest2_v3'],
  },
  {
    id: 'q9',
    title: 'regression v1 v2 by id2 id4',
    sql: [
      'SELECT id2, id4, pow(corr(v1, v2), 2) AS r2 FROM x GROUP BY id2, id4',
      'SELECT id2, id4, corr(v1, v2) * corr(v1, v2) AS r2 FROM x GROUP BY id2, id4',
    ],
    chk: ['r2'],
  },
  {
    id: 'q10',
    title: 'sum v3 count by id1:id6',
    sql: ['SELECT id1, id2, id3, id4, id5, id6, sum(v3) AS v3, count(*) AS count FROM x GROUP BY id1, id2, id3, id4, id5, id6'],
    chk: ['v3', 'count'],
  },
];

/** The join: every G1 row against the join table's unique id6 keys, inner; only the count and two sums come home. */
export const JOIN_SQL: readonly string[] = [
  'SELECT count(*) AS n, sum(x.v1) AS v1, sum(y.v4) AS v4 FROM x JOIN y ON x.id6 = y.id6',
  'SELECT count(*) AS n, sum(x.v1) AS v1, sum(y.v4) AS v4 FROM x INNER JOIN y ON x.id6 = y.id6',
];
export const JOIN_CHK: readonly string[] = ['n', 'v1', 'v4'];

/** Every workload id in table order, with its title. */
export const WORKLOADS: readonly { id: string; title: string }[] = [
  { id: 'load', title: 'load G1 (CSV → memory)' },
  { id: 'loadJoin', title: 'load J1 (CSV → memory)' },
  ...QUESTIONS.map((q) => ({ id: q.id, title: q.title })),
  { id: 'sort', title: 'sort all rows by v3' },
  { id: 'join', title: 'join G1 × J1 on id6' },
];
