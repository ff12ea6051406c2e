/**
 * The SharedWorker that passes direct ports between tabs of this browser
 * (directPorts.ts): each worker page registers its peer id; a page offering a
 * port to another sends it here, and it goes on to that page if it is
 * registered (`offered` says whether). Built by Vite from
 * `new SharedWorker(new URL('./directPortBroker.ts', import.meta.url))`.
 *
 * page → broker: { type: 'register', peerId } | { type: 'unregister' } | { type: 'offer', requestId, to, actorId, port }
 * broker → page: { type: 'offered', requestId, ok } | { type: 'port', from, actorId, port }
 */
import { PortRelayRegistry } from './directPortRelay.ts';

const registry = new PortRelayRegistry();
const scope = globalThis as unknown as { onconnect: ((event: MessageEvent) => void) | null };

scope.onconnect = (event: MessageEvent) => {
  for (const port of event.ports) registry.attach(port);
};
