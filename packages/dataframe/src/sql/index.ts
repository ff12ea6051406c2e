/** The SQL front end: SQL text into the logical plan the DataFrame API builds. */
export { parseExpression, parseSql } from './parser.ts';
export { sqlToPlan, ONE_ROW } from './planner.ts';
export type { Catalog } from './scope.ts';
export type { SqlCte, SqlFrom, SqlJoinType, SqlQuery, SqlSelect, SqlSetExpr, SqlStatement } from './ast.ts';
export { positionOf, type SqlError } from './errors.ts';
export { SQL_AGGREGATES, SQL_TYPES } from './exprParser.ts';
