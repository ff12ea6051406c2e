/**
 * The parser's read head over the token list: look ahead, consume, and fail
 * with a positioned `ERR_SQL_SYNTAX`. It also records where each AST node
 * started (`offsets`) so that the planner can point at a node too.
 */
import { sqlErrorAt, type SqlError } from './errors.ts';
import { tokenize, type Token } from './lexer.ts';

/**
 * Words that end an expression or a clause, so they are never read as a
 * column name or an implicit alias (quote them to use them as names).
 */
export const RESERVED = new Set([
  'ALL', 'AND', 'ANTI', 'AS', 'ASC', 'BETWEEN', 'BY', 'CASE', 'CROSS', 'DESC', 'DISTINCT', 'ELSE', 'END', 'EXCEPT', 'EXISTS',
  'FALSE', 'FROM', 'FULL', 'GROUP', 'HAVING', 'ILIKE', 'IN', 'INNER', 'INTERSECT', 'IS', 'JOIN', 'LEFT', 'LIKE', 'LIMIT', 'MINUS',
  'NATURAL', 'NOT', 'NULL', 'OFFSET', 'ON', 'OR', 'ORDER', 'OUTER', 'OVER', 'REGEXP', 'RIGHT', 'RLIKE', 'SELECT', 'SEMI', 'THEN',
  'TRUE', 'UNION', 'USING', 'WHEN', 'WHERE', 'WITH',
]);

/** Where each parsed node (expression, FROM item) started in its text. Weak, so ASTs are freed as usual. */
const offsets = new WeakMap<object, number>();

/** The offset in its source text where `node` was parsed, if the parser made it. */
export const offsetOf = (node: object): number | undefined => offsets.get(node);

/** How a token reads in "found ..." messages. */
export function describe(token: Token): string {
  if (token.type === 'eof') return 'end of input';
  if (token.type === 'string') return `string ${token.text}`;
  return `'${token.text}'`;
}

const CLAUSE_WORDS = ['SELECT', 'FROM', 'WHERE', 'GROUP', 'HAVING', 'ORDER', 'LIMIT', 'OFFSET', 'UNION', 'JOIN', 'INNER', 'LEFT', 'RIGHT', 'FULL', 'OUTER'];

/** The clause keyword `word` (upper-cased) is one edit or one swap away from, if any (words of 4+ letters). */
function misspelled(word: string): string | undefined {
  if (word.length < 4) return undefined;
  return CLAUSE_WORDS.find((k) => k !== word && editDistance(k, word) <= 1);
}

/** Levenshtein distance, counting a swap of two neighbours as one edit. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

export class Cursor {
  private readonly tokens: Token[];
  private index = 0;

  constructor(readonly text: string) {
    this.tokens = tokenize(text);
  }

  peek(ahead = 0): Token {
    return this.tokens[Math.min(this.index + ahead, this.tokens.length - 1)]!;
  }

  next(): Token {
    const token = this.peek();
    if (token.type !== 'eof') this.index++;
    return token;
  }

  /** True if the token `ahead` is one of `words` (a bare word, any case). */
  isWord(words: string | readonly string[], ahead = 0): boolean {
    const t = this.peek(ahead);
    return t.type === 'word' && (typeof words === 'string' ? t.value === words : words.includes(t.value));
  }

  acceptWord(word: string): boolean {
    if (!this.isWord(word)) return false;
    this.index++;
    return true;
  }

  expectWord(word: string): Token {
    if (!this.isWord(word)) this.expected(word);
    return this.next();
  }

  isPunct(p: string, ahead = 0): boolean {
    const t = this.peek(ahead);
    return t.type === 'punct' && t.value === p;
  }

  acceptPunct(p: string): boolean {
    if (!this.isPunct(p)) return false;
    this.index++;
    return true;
  }

  expectPunct(p: string): Token {
    if (!this.isPunct(p)) this.expected(`'${p}'`);
    return this.next();
  }

  /** True if the next token can be a name: a quoted identifier or an unreserved word. */
  isName(ahead = 0): boolean {
    const t = this.peek(ahead);
    return t.type === 'ident' || (t.type === 'word' && !RESERVED.has(t.value));
  }

  /** A name (as spelled, or unquoted), or a syntax error saying `what` was expected. */
  name(what: string): string {
    if (!this.isName()) this.expected(what);
    const t = this.next();
    return t.type === 'ident' ? t.value : t.text;
  }

  /**
   * `expected <what>, found <token>` at the token; but when the word just
   * before it was read as a name and looks like a misspelled clause keyword
   * (`SELECT a FORM t`), the error points at that word instead.
   */
  expected(what: string, token: Token = this.peek()): never {
    const prev = token === this.peek() && this.index > 0 ? this.tokens[this.index - 1]! : undefined;
    const meant = prev && prev.type === 'word' && !RESERVED.has(prev.value) ? misspelled(prev.value) : undefined;
    if (prev && meant) throw this.error(`expected ${meant}, found '${prev.text}'`, prev.start);
    const hint = token.type === 'word' && !RESERVED.has(token.value) ? misspelled(token.value) : undefined;
    throw this.error(`expected ${what}, found ${describe(token)}${hint ? ` (did you mean ${hint}?)` : ''}`, token.start);
  }

  fail(message: string, token: Token = this.peek()): never {
    throw this.error(message, token.start);
  }

  error(message: string, offset: number): SqlError {
    return sqlErrorAt(this.text, offset, message);
  }

  /** Records that `node` started at `token`; returns `node`. Keeps the first (innermost) record. */
  mark<T extends object>(node: T, token: Token): T {
    if (!offsets.has(node)) offsets.set(node, token.start);
    return node;
  }
}
