import { describe, expect, it } from 'vitest';
import { readerFor, snippetFor, uploadName } from './fileDrop.ts';

describe('file drop', () => {
  it('picks the reader by extension, and refuses other files', () => {
    expect(['a.csv', 'B.CSV', 'x.parquet', 'x.json', 'x.jsonl', 'x.ndjson', 'x.txt', 'csv'].map(readerFor)).toEqual(['csv', 'csv', 'parquet', 'json', 'json', 'json', null, null]);
  });

  it('makes names the data folder accepts', () => {
    expect(uploadName('sales 2024 (final).csv')).toBe('sales_2024__final_.csv');
    expect(uploadName('.hidden.csv')).toBe('hidden.csv');
    expect(uploadName('_SUCCESS.csv')).toBe('SUCCESS.csv');
    expect(uploadName('C:\\Users\\me\\data.parquet')).toBe('data.parquet');
    expect(uploadName('../../etc/x.json')).toBe('x.json');
    expect(uploadName('...')).toBe('upload');
  });

  it('writes a job that reads the file with the right reader', () => {
    const csv = snippetFor('uploads/x.csv');
    expect(csv).toContain("cluster.read.csv('uploads/x.csv')");
    expect(csv).toContain('export default async (cluster) =>');
    expect(snippetFor('uploads/y.parquet')).toContain("cluster.read.parquet('uploads/y.parquet')");
    expect(snippetFor("uploads/it's.jsonl")).toContain("cluster.read.json('uploads/it\\'s.jsonl')");
  });
});
