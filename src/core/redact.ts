// Redaction is pure text work (src/lib/text/redact.ts); the runtime's adapters import it from here.
export * from '../lib/text/redact.js';
