/** A tiny element helper for the apps' thin UI: h('div', {class: 'x'}, child, ...). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Record<string, string | number | boolean | ((event: Event) => void)> = {},
  ...children: Array<Node | string | number | null>
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (typeof value === 'function') element.addEventListener(key.replace(/^on/, ''), value);
    else if (typeof value === 'boolean') element.toggleAttribute(key, value);
    else element.setAttribute(key, String(value));
  }
  for (const child of children) if (child !== null) element.append(typeof child === 'number' ? String(child) : child);
  return element;
}

/** Replaces an element's children. */
export function render(target: Element, ...children: Array<Node | string | null>): void {
  target.replaceChildren(...children.filter((child): child is Node | string => child !== null));
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`missing #${id}`);
  return element as T;
}

/**
 * Coalesces calls to `fn`: the first call schedules one run `ms` later, and
 * calls until then ride along. A busy cluster changes state thousands of times
 * a second; redrawing on each change cost a third of a tab's time.
 */
export function throttled(fn: () => void, ms = 100): () => void {
  let pending = false;
  return () => {
    if (pending) return;
    pending = true;
    setTimeout(() => {
      pending = false;
      fn();
    }, ms);
  };
}
