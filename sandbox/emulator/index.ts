export { ArmEmulator, type ArmEmulatorOptions, type LoggedRequest, type SeededVm } from './armEmulator.js';
export { nsgId } from './networkRoutes.js';
export { policyId } from './securityRoutes.js';
export {
  emulatorCredential,
  emulatorToken,
  userPrincipal,
  SECURITY_RP_PRINCIPAL,
  type Principal,
} from './principal.js';
export type { Fault, FaultRule } from './faults.js';
export type { EventSchemaName } from './eventPublisher.js';
