/** A port in a JIT policy or request, as `@azure/arm-security` models it (raw ARM JSON flattened alike). */
export interface JitPortLike {
  readonly number?: number;
  readonly allowedSourceAddressPrefix?: string;
  readonly allowedSourceAddressPrefixes?: readonly string[];
}

/** A VM and its ports in a JIT policy or request. */
export interface JitVmLike<Port extends JitPortLike = JitPortLike> {
  readonly id?: string;
  readonly ports?: readonly Port[];
}

/** Every allowed source of a port, singular and plural fields together. */
export function allowedSourcesOf(port: JitPortLike): string[] {
  return [
    ...(port.allowedSourceAddressPrefix ? [port.allowedSourceAddressPrefix] : []),
    ...(port.allowedSourceAddressPrefixes ?? []),
  ];
}
