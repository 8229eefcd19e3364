import type { Store } from "./store/store";

/**
 * Account-wide settings: its regions (tests move the write region to prove the copy engine notices) and
 * whether it is serverless. Kept in the store so a restart keeps the region a test set.
 */
export interface AccountSettings {
  name: string;
  writeRegion: string;
  serverless: boolean;
}

const metaKey = "account";

export function loadAccount(store: Store, defaults: AccountSettings): AccountSettings {
  const saved = store.getMeta(metaKey);
  const account: AccountSettings = saved
    ? { ...defaults, ...JSON.parse(saved), serverless: defaults.serverless }
    : defaults;
  store.setMeta(metaKey, JSON.stringify(account));
  return account;
}

export function saveAccount(store: Store, account: AccountSettings): void {
  store.setMeta(metaKey, JSON.stringify(account));
}
