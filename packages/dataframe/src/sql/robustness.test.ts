/**
 * Random token soup (seeded, so every run is the same): the parser and the
 * planner either succeed or throw a ShoalError; a syntax error always carries
 * its line and column. Nothing else (no TypeError from a half-read token).
 */
import { describe, expect, it } from 'vitest';
import type { Plan } from '../plan.ts';
import { parseExpression, parseSql } from './parser.ts';
import { sqlToPlan } from './planner.ts';

const TOKENS = [
  'SELECT', 'FROM', 'WHERE', 'GROUP', 'BY', 'HAVING', 'ORDER', 'LIMIT', 'OFFSET', 'UNION', 'ALL', 'DISTINCT', 'JOIN', 'LEFT', 'SEMI', 'ANTI',
  'ON', 'USING', 'AS', 'AND', 'OR', 'NOT', 'IN', 'IS', 'NULL', 'BETWEEN', 'LIKE', 'CASE', 'WHEN', 'THEN', 'ELSE', 'END', 'CAST', 'INT', 'OVER',
  'PARTITION', 'WITH', 'DESC', 'NULLS', 'FIRST', 'a', 'b', 't', 'u', 'sum', 'count', 'rank', 'upper', '(', ')', ',', '.', '*', '+', '-', '/',
  '=', '<', '>=', "'s'", '"q"', '1', '2.5', ';', 'DATE', "'2024-01-01'", '\n',
];

const source: Plan = { kind: 'source', source: { kind: 'range', start: 0, end: 1, step: 1, partitions: 1 }, schema: [], columns: null, filters: [] };
const catalog = { get: (n: string) => (n === 't' || n === 'u' ? source : undefined), names: () => ['t', 'u'] };

function* soups(count: number): Generator<string> {
  let seed = 7;
  const next = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  for (let i = 0; i < count; i++) {
    const parts = ['SELECT'];
    for (let j = 1 + next(14); j > 0; j--) parts.push(TOKENS[next(TOKENS.length)]!);
    yield parts.join(' ');
  }
}

function expectCleanFailure(e: unknown): void {
  const err = e as { name?: string; code?: string; line?: number; column?: number };
  expect(err.name).toBe('ShoalError');
  if (err.code === 'ERR_SQL_SYNTAX' && err.line === undefined) throw new Error(`a syntax error without a position: ${String(e)}`);
}

describe('parser robustness', () => {
  it('random token sequences parse, plan, or fail with a positioned ShoalError', () => {
    let parsed = 0;
    for (const text of soups(3000)) {
      try {
        const stmt = parseSql(text);
        parsed++;
        try {
          sqlToPlan(stmt, catalog);
        } catch (e) {
          expectCleanFailure(e);
        }
      } catch (e) {
        expectCleanFailure(e);
      }
      try {
        parseExpression(text.slice('SELECT '.length));
      } catch (e) {
        expectCleanFailure(e);
      }
    }
    // The soup is not all noise: some of it is valid SQL.
    expect(parsed).toBeGreaterThan(50);
  });
});
