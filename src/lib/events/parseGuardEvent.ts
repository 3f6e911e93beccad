import { EventGridDeserializer } from '@azure/eventgrid';
import { parseNsgResourceId, type NsgResourceRef } from './nsgResourceId.js';
import { isPlainObject, readIgnoringCase } from './readIgnoringCase.js';
import {
  isWatchedNsgOperation,
  isWatchedRoleOperation,
  RESOURCE_WRITE_SUCCESS,
} from './watchedOperations.js';
import { identifyWriter, type Writer } from './writer.js';

export type EventSchema = 'EventGridSchema' | 'CloudEventSchemaV1_0';

/** A successful write to an NSG or one of its rules: a hint to re-read that NSG. */
export interface NsgWriteEvent {
  readonly kind: 'nsg-write';
  readonly eventId: string;
  readonly schema: EventSchema;
  readonly eventTime: string;
  readonly operationName: string;
  readonly resource: NsgResourceRef;
  readonly correlationId: string | undefined;
  readonly writer: Writer;
}

/** A successful write to a role definition: a hint to reconcile the JIT requester role. */
export interface RoleWriteEvent {
  readonly kind: 'role-write';
  readonly eventId: string;
  readonly schema: EventSchema;
  readonly eventTime: string;
  readonly roleDefinitionId: string;
  readonly correlationId: string | undefined;
  readonly writer: Writer;
}

/** An event the guardrail does not act on; `reason` is for the debug log. */
export interface IgnoredEvent {
  readonly kind: 'ignored';
  readonly eventId: string;
  readonly reason: string;
}

export type GuardEvent = NsgWriteEvent | RoleWriteEvent | IgnoredEvent;

/** The delivery is not a well-formed event; retrying it will not help, so it ends up dead-lettered. */
export class InvalidEventError extends Error {
  readonly retryable = false;
  constructor(message: string, options?: { cause?: unknown }) {
    super(`invalid event: ${message}`, options);
    this.name = 'InvalidEventError';
  }
}

const deserializer = new EventGridDeserializer();

interface Envelope {
  readonly id: string;
  readonly type: string;
  readonly time: string;
  readonly data: unknown;
  readonly schema: EventSchema;
}

/**
 * Turns one delivered event (Event Grid schema or CloudEvents 1.0, as an object, a one-element
 * array or JSON text) into what the guardrail needs. Pure apart from parsing: no I/O.
 */
export async function parseGuardEvent(delivered: unknown): Promise<GuardEvent> {
  const envelope = await readEnvelope(delivered);
  if (envelope.type !== RESOURCE_WRITE_SUCCESS) {
    return { kind: 'ignored', eventId: envelope.id, reason: `event type ${envelope.type}` };
  }
  const data = envelope.data;
  if (!isPlainObject(data)) throw new InvalidEventError(`${envelope.type} ${envelope.id} has no data object`);
  const operationName = requireString(data, 'operationName', envelope.id);
  if (isWatchedRoleOperation(operationName)) return roleWrite(envelope, data);
  if (!isWatchedNsgOperation(operationName)) {
    return { kind: 'ignored', eventId: envelope.id, reason: `operation ${operationName}` };
  }
  const resourceUri = requireString(data, 'resourceUri', envelope.id);
  const resource = parseNsgResourceId(resourceUri);
  if (resource === undefined) {
    throw new InvalidEventError(
      `event ${envelope.id}: resourceUri '${resourceUri}' is not a plain NSG or security-rule id`,
    );
  }
  const dataSubscription = optionalString(data, 'subscriptionId', envelope.id);
  if (
    dataSubscription !== undefined &&
    dataSubscription.toLowerCase() !== resource.subscriptionId.toLowerCase()
  ) {
    throw new InvalidEventError(
      `event ${envelope.id}: data.subscriptionId does not match the subscription in resourceUri`,
    );
  }
  return {
    kind: 'nsg-write',
    eventId: envelope.id,
    schema: envelope.schema,
    eventTime: envelope.time,
    operationName,
    resource,
    correlationId: optionalString(data, 'correlationId', envelope.id),
    writer: writerOf(data, envelope.id),
  };
}

const ROLE_DEFINITION_ID = /\/providers\/microsoft\.authorization\/roledefinitions\/[^/]+\/?$/i;

function roleWrite(envelope: Envelope, data: Record<string, unknown>): RoleWriteEvent {
  const resourceUri = requireString(data, 'resourceUri', envelope.id);
  if (!ROLE_DEFINITION_ID.test(resourceUri)) {
    throw new InvalidEventError(
      `event ${envelope.id}: resourceUri '${resourceUri}' is not a role definition id`,
    );
  }
  return {
    kind: 'role-write',
    eventId: envelope.id,
    schema: envelope.schema,
    eventTime: envelope.time,
    roleDefinitionId: resourceUri,
    correlationId: optionalString(data, 'correlationId', envelope.id),
    writer: writerOf(data, envelope.id),
  };
}

function writerOf(data: Record<string, unknown>, eventId: string): Writer {
  const claims = readIgnoringCase(data, 'claims');
  if (claims !== undefined && !isPlainObject(claims)) {
    throw new InvalidEventError(`event ${eventId}: data.claims must be an object`);
  }
  return identifyWriter(claims);
}

async function readEnvelope(delivered: unknown): Promise<Envelope> {
  let value = delivered;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch (error) {
      throw new InvalidEventError('body is not JSON', { cause: error });
    }
  }
  if (Array.isArray(value)) {
    if (value.length !== 1) throw new InvalidEventError(`expected one event, got ${value.length}`);
    value = value[0];
  }
  if (!isPlainObject(value)) throw new InvalidEventError('expected an event object');
  // The SDK's deserializer checks the envelope; `data` is read as delivered, unconverted.
  const rawData = readIgnoringCase(value, 'data');
  try {
    if (readIgnoringCase(value, 'specversion') !== undefined) {
      const [event] = await deserializer.deserializeCloudEvents(value);
      if (event === undefined) throw new TypeError('no event');
      return {
        id: event.id,
        type: event.type,
        time: toIsoString(event.time),
        data: rawData,
        schema: 'CloudEventSchemaV1_0',
      };
    }
    // The SDK insists on `topic` and `metadataVersion`; a host that passes the event without them
    // still passes a usable event, so they are not worth failing (and dead-lettering) over.
    const [event] = await deserializer.deserializeEventGridEvents({
      topic: '',
      metadataVersion: '1',
      ...value,
    });
    if (event === undefined) throw new TypeError('no event');
    return {
      id: event.id,
      type: event.eventType,
      time: toIsoString(event.eventTime),
      data: rawData,
      schema: 'EventGridSchema',
    };
  } catch (error) {
    if (error instanceof InvalidEventError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new InvalidEventError(reason, { cause: error });
  }
}

function toIsoString(time: unknown): string {
  if (time instanceof Date && !Number.isNaN(time.getTime())) return time.toISOString();
  return typeof time === 'string' ? time : '';
}

function requireString(data: Record<string, unknown>, key: string, eventId: string): string {
  const value = readIgnoringCase(data, key);
  if (typeof value !== 'string' || value.trim() === '') {
    throw new InvalidEventError(`event ${eventId}: data.${key} must be a non-empty string`);
  }
  return value;
}

function optionalString(data: Record<string, unknown>, key: string, eventId: string): string | undefined {
  const value = readIgnoringCase(data, key);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string')
    throw new InvalidEventError(`event ${eventId}: data.${key} must be a string`);
  return value;
}
