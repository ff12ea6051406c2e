import { describe, expect, it } from 'vitest';
import { tokenize, type TokenType } from './lexer.ts';

const kinds = (text: string): [TokenType, string][] => tokenize(text).map((t) => [t.type, t.value]);

describe('tokenize', () => {
  it('reads words (upper-cased value, spelling kept), numbers, strings and quoted identifiers', () => {
    const tokens = tokenize("select Price, 'it''s', \"a \"\"b\"\"\", `c`, 1.5e3");
    expect(tokens.map((t) => [t.type, t.value, t.text])).toEqual([
      ['word', 'SELECT', 'select'],
      ['word', 'PRICE', 'Price'],
      ['punct', ',', ','],
      ['string', "it's", "'it''s'"],
      ['punct', ',', ','],
      ['ident', 'a "b"', '"a ""b"""'],
      ['punct', ',', ','],
      ['ident', 'c', '`c`'],
      ['punct', ',', ','],
      ['number', '1.5e3', '1.5e3'],
      ['eof', '', ''],
    ]);
  });

  it('reads two-character operators as one token', () => {
    expect(kinds('a<=b>=c<>d!=e==f||g<h>i')).toEqual([
      ['word', 'A'], ['punct', '<='], ['word', 'B'], ['punct', '>='], ['word', 'C'], ['punct', '<>'], ['word', 'D'], ['punct', '!='],
      ['word', 'E'], ['punct', '=='], ['word', 'F'], ['punct', '||'], ['word', 'G'], ['punct', '<'], ['word', 'H'], ['punct', '>'], ['word', 'I'], ['eof', ''],
    ]);
  });

  it('numbers: integers, decimals, a leading dot, exponents; a dot between names is punctuation', () => {
    expect(kinds('1 2.5 .5 7. 1e10 2E-3 t.x')).toEqual([
      ['number', '1'], ['number', '2.5'], ['number', '.5'], ['number', '7.'], ['number', '1e10'], ['number', '2E-3'], ['word', 'T'], ['punct', '.'], ['word', 'X'], ['eof', ''],
    ]);
  });

  it('skips comments and whitespace, and records offsets', () => {
    const tokens = tokenize('a -- x\n /* y\n z */ b');
    expect(tokens.map((t) => [t.value, t.start])).toEqual([['A', 0], ['B', 19], ['', 20]]);
  });

  it('puts end of input just after the last token (so a caret follows the text, not trailing blank lines)', () => {
    expect(tokenize('x >\n\n').at(-1)!.start).toBe(3);
    expect(tokenize('').at(-1)!.start).toBe(0);
  });

  it('reads non-ASCII letters in names', () => {
    expect(kinds('café größe')).toEqual([['word', 'CAFÉ'], ['word', 'GRÖSSE'], ['eof', '']]);
    expect(() => tokenize('prix€')).toThrow("unexpected character '€'");
  });
});
