export { startEmulator, wellKnownKey, type EmulatorOptions, type RunningEmulator } from "./server";
export { EmulatorAdmin } from "./admin-client";
export type { FaultRules } from "./faults";
export type { SplitResult } from "./handlers/splits";
