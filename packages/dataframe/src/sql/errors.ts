/**
 * SQL errors with a position: `ERR_SQL_SYNTAX` whose message names the line
 * and column (1-based) and shows the offending line with a caret under the
 * column; the error object carries `line` and `column` too.
 *
 * ```text
 * SQL syntax error at line 2, column 1: expected FROM, found 'FORM'
 *   FORM t WHERE x > 1
 *   ^
 * ```
 */
import { ShoalError } from '@shoal/protocol';

/** A `ShoalError` from the SQL front end; `line`/`column` are 1-based, absent when no position is known. */
export type SqlError = ShoalError & { readonly line?: number; readonly column?: number };

export interface Position {
  readonly line: number;
  readonly column: number;
}

/** The 1-based line and column of `offset` in `text`. */
export function positionOf(text: string, offset: number): Position {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/** The line holding `offset` and a caret line under it (tabs kept so the caret lines up). */
function excerpt(text: string, offset: number): string {
  const start = text.lastIndexOf('\n', offset - 1) + 1;
  const endAt = text.indexOf('\n', start);
  const line = text.slice(start, endAt === -1 ? text.length : endAt).replace(/\r$/, '');
  const pad = line.slice(0, offset - start).replace(/[^\t]/g, ' ');
  return `  ${line}\n  ${pad}^`;
}

/**
 * An error at `offset` in `text`. `kind` starts the message ("SQL syntax
 * error", or "SQL error" for a query that parses but cannot be planned).
 */
export function sqlErrorAt(text: string, offset: number, message: string, kind = 'SQL syntax error'): SqlError {
  const { line, column } = positionOf(text, offset);
  const error = new ShoalError('ERR_SQL_SYNTAX', `${kind} at line ${line}, column ${column}: ${message}\n${excerpt(text, offset)}`);
  return Object.assign(error, { line, column });
}

/** An error with no known position (an AST built by hand, not by the parser). */
export function sqlError(message: string): SqlError {
  return new ShoalError('ERR_SQL_SYNTAX', `SQL error: ${message}`);
}
