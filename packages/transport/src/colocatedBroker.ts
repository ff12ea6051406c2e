/**
 * The SharedWorker that brokers co-located links: every tab of this origin
 * (in one browser profile) that starts `Colocated` connects here, and the
 * registry introduces them to each other with MessageChannels. Built by Vite
 * from `new SharedWorker(new URL('./colocatedBroker.ts', import.meta.url))`
 * in colocated.ts; it imports nothing that touches the DOM.
 */
import { ColocatedRegistry } from './colocatedRegistry.ts';

const registry = new ColocatedRegistry();
const scope = globalThis as unknown as { onconnect: ((event: MessageEvent) => void) | null };

scope.onconnect = (event: MessageEvent) => {
  for (const port of event.ports) registry.attach(port);
};
