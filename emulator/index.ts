export { startEmulator, wellKnownKey, type EmulatorOptions, type RunningEmulator } from "./server";
export { EmulatorAdmin } from "./admin-client";
export type { FaultRules } from "./faults";
