/** The repo's examples, bundled as source text for the job editor's menu. */
const modules = import.meta.glob('../../examples/*.js', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;

export const EXAMPLES: Array<{ name: string; source: string }> = Object.entries(modules)
  .map(([path, source]) => ({ name: path.split('/').pop()!.replace(/\.js$/, ''), source }))
  .sort((a, b) => a.name.localeCompare(b.name));
