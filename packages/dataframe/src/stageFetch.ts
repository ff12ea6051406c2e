/**
 * The files a DataFrame stage task reads (spec.fetches), registered in its engine: a CSV byte range (whole
 * lines only), a Parquet file's chosen row groups and columns by HTTP Range requests, a whole Parquet file,
 * or NDJSON (made into CSV rows the engine types). Shipped with dataframeStage as source (stageFunction.ts),
 * so it is self-contained. A file that cannot be read fails with `ERR_READ_FAILED: ...` naming it.
 */
import type { TaskSpec } from './stageTask.ts';

export async function fetchStageFiles(spec: TaskSpec, engine: any): Promise<void> {
  for (const f of spec.fetches ?? []) {
    if (f.format === 'csvRange') {
      // Lines that start in [offset, offset + limit): skip a partial first line, read past the end to finish the last one.
      const { offset, limit } = f.range!;
      const bytesOf = async (from: number, to: number): Promise<Uint8Array> => {
        const res = await fetch(f.url, { headers: { Range: `bytes=${from}-${to - 1}` } });
        if (res.status === 416) return new Uint8Array(0); // past the end of the file
        if (!res.ok) throw new Error(`ERR_READ_FAILED: cannot read ${spec.reading ?? f.name}: HTTP ${res.status}`);
        return new Uint8Array(await res.arrayBuffer());
      };
      const start = offset === 0 ? 0 : offset - 1;
      let buf = await bytesOf(start, offset + limit + (1 << 20));
      let from = 0;
      if (offset > 0) {
        const nl = buf.indexOf(10);
        from = nl < 0 ? buf.length : nl + 1;
      }
      let to = buf.indexOf(10, Math.max(from, offset + limit - start - 1));
      while (to < 0 && buf.length >= offset + limit + (1 << 20) - start) {
        const more = await bytesOf(start + buf.length, start + buf.length + (1 << 20));
        if (more.length === 0) break;
        const grown = new Uint8Array(buf.length + more.length);
        grown.set(buf);
        grown.set(more, buf.length);
        to = grown.indexOf(10, buf.length);
        buf = grown;
      }
      engine.registerBuffer(f.name, buf.subarray(from, to < 0 ? buf.length : to + 1));
      continue;
    }
    if (f.format === 'parquet' && (f.rowGroups || f.pick)) {
      // The footer and the chosen row groups' column chunks only, by Range requests (a relative URL is the page's).
      const url = typeof location === 'undefined' ? f.url : new URL(f.url, location.href).href;
      let ipc: Uint8Array;
      try {
        ipc = await (await engine.parquet()).readUrl(url, { ...(f.rowGroups ? { rowGroups: [...f.rowGroups] } : {}), ...(f.pick ? { columns: [...f.pick] } : {}) });
      } catch (error) {
        throw new Error(`ERR_READ_FAILED: cannot read ${spec.reading ?? f.name} as Parquet: ${error instanceof Error ? error.message : String(error)}`);
      }
      engine.load(f.name, ipc);
      continue;
    }
    let bytes: Uint8Array;
    try {
      const res = await fetch(f.url);
      if (!res.ok) throw new Error(`HTTP ${res.status} ${(await res.text()).slice(0, 200)}`);
      bytes = new Uint8Array(await res.arrayBuffer());
    } catch (error) {
      throw new Error(`ERR_READ_FAILED: cannot read ${spec.reading ?? f.url.replace(/\?.*/, '')}: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (f.format === 'parquet') {
      let ipc: Uint8Array;
      try {
        ipc = (await engine.parquet()).read(bytes, f.range);
      } catch (error) {
        throw new Error(`ERR_READ_FAILED: cannot read ${spec.reading ?? f.name} as Parquet: ${error instanceof Error ? error.message : String(error)}`);
      }
      engine.load(f.name, ipc);
    } else {
      // NDJSON (DuckDB's JSON reader is an extension it would download): each line becomes a CSV row the engine types.
      const cols = f.columns ?? [];
      const cell = (v: unknown): string => (v === null || v === undefined ? '' : `"${(typeof v === 'object' ? JSON.stringify(v) : String(v)).replaceAll('"', '""')}"`);
      const lines: string[] = [];
      let n = 0;
      for (const line of new TextDecoder().decode(bytes).split('\n')) {
        n++;
        if (!line.trim()) continue;
        let row: Record<string, unknown>;
        try {
          row = JSON.parse(line);
        } catch (error) {
          throw new Error(`ERR_READ_FAILED: cannot read ${spec.reading ?? f.name}: line ${n} is not JSON (${error instanceof Error ? error.message : String(error)})`);
        }
        lines.push(cols.map((c) => cell(row[c.name])).join(','));
      }
      engine.registerBuffer(f.name, new TextEncoder().encode(lines.join('\n') + '\n'));
    }
  }
}
