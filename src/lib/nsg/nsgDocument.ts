import { z } from 'zod';

/** The parts of a security rule the guardrail reads, as ARM returns them (extra fields pass through). */
const securityRuleSchema = z.looseObject({
  name: z.string({ error: 'every security rule needs a string name' }),
  id: z.string().optional(),
  etag: z.string().optional(),
  properties: z
    .looseObject({
      description: z.string().optional(),
      protocol: z.string().optional(),
      sourceAddressPrefix: z.string().optional(),
      sourceAddressPrefixes: z.array(z.string()).optional(),
      destinationPortRange: z.string().optional(),
      destinationPortRanges: z.array(z.string()).optional(),
      destinationAddressPrefix: z.string().optional(),
      access: z.string().optional(),
      priority: z.number().optional(),
      direction: z.string().optional(),
    })
    .optional(),
});

/** One NSG as ARM returns it from GET. */
export const nsgDocumentSchema = z.looseObject({
  id: z.string({ error: 'an NSG id must be a string' }).optional(),
  name: z.string({ error: 'an NSG needs a string name' }),
  location: z.string({ error: 'an NSG location must be a string' }).optional(),
  etag: z.string({ error: 'an NSG etag must be a string' }).optional(),
  tags: z.record(z.string(), z.unknown(), { error: 'NSG tags must be a JSON object' }).optional(),
  properties: z.looseObject(
    {
      securityRules: z.array(securityRuleSchema, {
        error: 'an NSG needs a properties.securityRules array',
      }),
    },
    { error: 'an NSG needs properties.securityRules, as ARM returns it from GET' },
  ),
});

export type NsgDocument = z.infer<typeof nsgDocumentSchema>;
export type SecurityRuleDocument = z.infer<typeof securityRuleSchema>;

export class NotAnNsgError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotAnNsgError';
  }
}

/** Validates that a value is an NSG document; the error names the first thing that is wrong. */
export function parseNsgDocument(value: unknown): NsgDocument {
  if (Array.isArray(value)) {
    throw new NotAnNsgError(`not an NSG: a list of ${value.length} item(s), expected one NSG object`);
  }
  if (typeof value !== 'object' || value === null) {
    throw new NotAnNsgError('not an NSG: expected a JSON object');
  }
  const parsed = nsgDocumentSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    // The NSG's own fields are named by their message; deeper, the path says which rule.
    const where = issue && issue.path.length > 1 ? ` at ${issue.path.join('.')}` : '';
    throw new NotAnNsgError(`not an NSG: ${issue?.message ?? 'unexpected shape'}${where}`);
  }
  return parsed.data;
}

/** Validates that a value is one security rule as ARM returns it from GET. */
export function parseSecurityRuleDocument(value: unknown): SecurityRuleDocument {
  const parsed = securityRuleSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
    throw new NotAnNsgError(`not a security rule: ${issue?.message ?? 'unexpected shape'}${where}`);
  }
  return parsed.data;
}

/** All source prefixes of a rule, singular and plural fields together. */
export function sourcePrefixesOf(rule: SecurityRuleDocument): string[] {
  const props = rule.properties;
  if (props === undefined) return [];
  const prefixes = [...(props.sourceAddressPrefixes ?? [])];
  if (props.sourceAddressPrefix !== undefined && props.sourceAddressPrefix !== '') {
    prefixes.unshift(props.sourceAddressPrefix);
  }
  return prefixes;
}

/** All destination port ranges of a rule, singular and plural fields together. */
export function destinationPortsOf(rule: SecurityRuleDocument): string[] {
  const props = rule.properties;
  if (props === undefined) return [];
  const ports = [...(props.destinationPortRanges ?? [])];
  if (props.destinationPortRange !== undefined && props.destinationPortRange !== '') {
    ports.unshift(props.destinationPortRange);
  }
  return ports;
}
