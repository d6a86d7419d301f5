import { apiHub, type ApiHub } from '../api/api-hub.js';

/**
 * Makes a feature store's app-wide instance: one per hub, created on first use, so a screen keeps
 * its state while another screen is shown. Components take a `store` prop first (tests pass their own).
 */
export function storeForHub<T>(create: (hub: ApiHub) => T): (hub?: ApiHub) => T {
  const stores = new WeakMap<ApiHub, T>();
  return (hub = apiHub()) => {
    let store = stores.get(hub);
    if (store === undefined) {
      store = create(hub);
      stores.set(hub, store);
    }
    return store;
  };
}
