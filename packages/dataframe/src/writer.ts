/**
 * `df.write` (PySpark's DataFrameWriter): `df.write.mode('overwrite').parquet('out/x')`.
 * Writes Spark's layout into the data folder: one part file per partition,
 * written and uploaded by the worker that holds it, then `_SUCCESS`.
 */
import type { WriteMode } from '@shoal/data';
import { ShoalError } from '@shoal/protocol';
import type { DataFrame } from './dataframe.ts';

const MODES: Record<string, WriteMode> = { errorifexists: 'errorIfExists', error: 'errorIfExists', overwrite: 'overwrite', append: 'append' };

export class DataFrameWriter {
  private saveMode: WriteMode = 'errorIfExists';
  constructor(private readonly df: DataFrame) {}

  /** 'errorIfExists' (the default), 'overwrite' or 'append'. */
  mode(mode: string): DataFrameWriter {
    const m = MODES[mode.toLowerCase()];
    if (!m) throw new ShoalError('ERR_BAD_OPTION', `unknown save mode '${mode}'; valid ones are errorIfExists, overwrite, append`);
    this.saveMode = m;
    return this;
  }
  async parquet(path: string, options: { mode?: string } = {}): Promise<void> {
    if (options.mode) this.mode(options.mode);
    await this.df.writeFiles(trimDir(path), 'parquet', this.saveMode);
  }
  async csv(path: string, options: { mode?: string } = {}): Promise<void> {
    if (options.mode) this.mode(options.mode);
    await this.df.writeFiles(trimDir(path), 'csv', this.saveMode);
  }
}

function trimDir(path: string): string {
  const dir = path.replace(/\/+$/, '');
  if (!dir) throw new ShoalError('ERR_BAD_PATH', 'write needs a directory inside the data folder');
  return dir;
}
