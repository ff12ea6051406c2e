/**
 * The SQL lexer: text in, tokens out, each with its offset so errors can
 * point at it. Words (identifiers and keywords alike; the parser decides
 * which by context) keep their spelling and carry an upper-cased copy.
 *
 * ```ts
 * tokenize("SELECT \"a b\", 'it''s' -- note")
 * // word SELECT, ident "a b", punct ",", string "it's", eof
 * ```
 */
import { sqlErrorAt } from './errors.ts';

export type TokenType = 'word' | 'ident' | 'string' | 'number' | 'punct' | 'eof';

export interface Token {
  readonly type: TokenType;
  /** The text as written (for error messages). */
  readonly text: string;
  /** word: upper-cased; ident/string: unquoted, escapes undone; number/punct: as written. */
  readonly value: string;
  /** Offset of the first character in the source. */
  readonly start: number;
}

/** Two-character operators first, so `<=` is not read as `<` then `=`. */
const PUNCT2 = ['<=', '>=', '<>', '!=', '==', '||'];
const PUNCT1 = '=<>+-*/%(),.;';

const WORD_START = /[\p{L}_]/u;
const WORD_PART = /[\p{L}\p{N}_]/u;
const DIGIT = /[0-9]/;

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const push = (type: TokenType, start: number, value: string): void => {
    tokens.push({ type, text: text.slice(start, i), value, start });
  };
  while (i < text.length) {
    const c = text[i]!;
    const start = i;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
    } else if (c === '-' && text[i + 1] === '-') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      if (end === -1) throw sqlErrorAt(text, start, 'unterminated comment (/* without */)');
      i = end + 2;
    } else if (WORD_START.test(c)) {
      while (i < text.length && WORD_PART.test(text[i]!)) i++;
      push('word', start, text.slice(start, i).toUpperCase());
    } else if (DIGIT.test(c) || (c === '.' && DIGIT.test(text[i + 1] ?? ''))) {
      while (DIGIT.test(text[i] ?? '')) i++;
      if (text[i] === '.') {
        i++;
        while (DIGIT.test(text[i] ?? '')) i++;
      }
      if ((text[i] === 'e' || text[i] === 'E') && /[0-9]|[+-][0-9]/.test(text.slice(i + 1, i + 3))) {
        i += 2;
        while (DIGIT.test(text[i] ?? '')) i++;
      }
      if (WORD_PART.test(text[i] ?? '')) throw sqlErrorAt(text, start, `invalid number '${text.slice(start, i + 1)}'`);
      push('number', start, text.slice(start, i));
    } else if (c === "'" || c === '"' || c === '`') {
      i = readQuoted(text, i, c);
      const body = text.slice(start + 1, i - 1).replaceAll(c + c, c);
      push(c === "'" ? 'string' : 'ident', start, body);
    } else if (PUNCT2.includes(text.slice(i, i + 2))) {
      i += 2;
      push('punct', start, text.slice(start, i));
    } else if (PUNCT1.includes(c)) {
      i++;
      push('punct', start, c);
    } else {
      throw sqlErrorAt(text, start, `unexpected character '${c}'`);
    }
  }
  // End of input is placed just after the last token, so a caret for "found end of input" follows the text.
  const last = tokens[tokens.length - 1];
  tokens.push({ type: 'eof', text: '', value: '', start: last ? last.start + last.text.length : 0 });
  return tokens;
}

/** The offset just past the closing quote; a doubled quote is an escaped one. */
function readQuoted(text: string, open: number, quote: string): number {
  let i = open + 1;
  for (;;) {
    if (i >= text.length) {
      const what = quote === "'" ? 'string literal' : 'quoted identifier';
      throw sqlErrorAt(text, open, `unterminated ${what} (no closing ${quote})`);
    }
    if (text[i] === quote) {
      if (text[i + 1] !== quote) return i + 1;
      i += 2;
    } else {
      i++;
    }
  }
}
