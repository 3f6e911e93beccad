import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import draft06 from 'ajv/dist/refs/json-schema-draft-06.json' with { type: 'json' };
import { fixture } from './fixtures.js';

/** Validates an Adaptive Card against the official 1.5 schema (draft-06, with its own keywords). */
export function adaptiveCardValidator() {
  const ajv = new Ajv.default({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addMetaSchema(draft06);
  // Draft-06 names the schema with `id`; Ajv 8 only reads `$id`. The copy in memory is renamed.
  const { id, ...schema } = fixture<Record<string, unknown>>('teams/adaptive-card-1.5.schema.json');
  return ajv.compile({ ...schema, $id: String(id) });
}
