import { randomUUID } from 'node:crypto';
import { claimsOf, SECURITY_RP_PRINCIPAL, type Principal } from './principal.js';

export type EventSchemaName = 'EventGridSchema' | 'CloudEventSchemaV1_0';

export type ResourceEventType =
  | 'Microsoft.Resources.ResourceWriteSuccess'
  | 'Microsoft.Resources.ResourceDeleteSuccess'
  | 'Microsoft.Resources.ResourceActionSuccess';

/** What happened, before it is dressed in a schema. */
export interface ResourceEventFact {
  readonly type: ResourceEventType;
  readonly subscriptionId: string;
  readonly tenantId: string;
  readonly resourceUri: string;
  readonly operationName: string;
  readonly principal: Principal;
  readonly correlationId: string;
  readonly httpMethod: string;
  readonly url: string;
}

export type EventListener = (event: Record<string, unknown>) => unknown;

export interface Subscription {
  readonly schema: EventSchemaName;
  readonly deliver: EventListener;
  /** Like an event subscription's `data.operationName` StringIn filter (any case); none means all. */
  readonly operations?: readonly string[];
}

export interface DeliveryRecord {
  readonly eventId: string;
  readonly operationName: string;
  readonly ok: boolean;
  readonly error: string | undefined;
}

/**
 * The subscription's Event Grid system topic: turns writes into ResourceWriteSuccess (and delete,
 * action) events shaped as real ones, and delivers them to subscribers after the write's response.
 */
export class EventPublisher {
  private readonly subscriptions = new Set<Subscription>();
  private readonly inFlight = new Set<Promise<void>>();
  readonly published: { fact: ResourceEventFact; id: string; time: string }[] = [];
  readonly deliveries: DeliveryRecord[] = [];
  /** When false, events are recorded but not delivered: a missed event. */
  deliveryEnabled = true;

  subscribe(subscription: Subscription): () => void {
    this.subscriptions.add(subscription);
    return () => this.subscriptions.delete(subscription);
  }

  publish(fact: ResourceEventFact): void {
    const record = { fact, id: randomUUID(), time: new Date().toISOString() };
    this.published.push(record);
    if (!this.deliveryEnabled) return;
    for (const subscription of this.subscriptions) {
      const wanted = subscription.operations;
      const operation = fact.operationName.toLowerCase();
      if (wanted !== undefined && !wanted.some((op) => op.toLowerCase() === operation)) continue;
      const event = shapeEvent(record, subscription.schema);
      const delivery = new Promise<void>((resolve) => setImmediate(resolve))
        .then(() => subscription.deliver(event))
        .then(
          () => {
            this.deliveries.push({
              eventId: record.id,
              operationName: fact.operationName,
              ok: true,
              error: undefined,
            });
          },
          (error: unknown) => {
            this.deliveries.push({
              eventId: record.id,
              operationName: fact.operationName,
              ok: false,
              error: error instanceof Error ? error.message : String(error),
            });
          },
        )
        .finally(() => this.inFlight.delete(delivery));
      this.inFlight.add(delivery);
    }
  }

  /** Resolves when every delivery started so far (and any they caused) has finished. */
  async idle(maxRounds = 100): Promise<void> {
    for (let round = 0; round < maxRounds && this.inFlight.size > 0; round++) {
      await Promise.all([...this.inFlight]);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** The n-th published event (default: the last) in a schema, for redelivery in tests. */
  eventAt(index: number, schema: EventSchemaName = 'EventGridSchema'): Record<string, unknown> {
    const record = this.published.at(index);
    if (record === undefined) throw new Error(`no published event at ${index}`);
    return shapeEvent(record, schema);
  }
}

export function shapeEvent(
  record: { fact: ResourceEventFact; id: string; time: string },
  schema: EventSchemaName,
): Record<string, unknown> {
  const { fact } = record;
  const firstParty =
    fact.principal.kind === 'app' && fact.principal.objectId === SECURITY_RP_PRINCIPAL.objectId;
  // Real first-party writes were captured with PascalCase authorization keys and an empty httpRequest.
  const authorization = firstParty
    ? {
        Scope: fact.resourceUri,
        Action: fact.operationName,
        Evidence: { Role: 'Security Resource Provider' },
      }
    : { scope: fact.resourceUri, action: fact.operationName, evidence: { role: 'Subscription Admin' } };
  const data = {
    authorization,
    claims: claimsOf(fact.principal),
    correlationId: fact.correlationId,
    httpRequest: firstParty
      ? {}
      : {
          clientRequestId: randomUUID(),
          clientIpAddress: '127.0.0.1',
          method: fact.httpMethod,
          url: fact.url,
        },
    resourceProvider: fact.operationName.split('/')[0],
    resourceUri: fact.resourceUri,
    operationName: fact.operationName,
    status: 'Succeeded',
    subscriptionId: fact.subscriptionId,
    tenantId: fact.tenantId,
  };
  const topic = `/subscriptions/${fact.subscriptionId}`;
  if (schema === 'CloudEventSchemaV1_0') {
    return {
      id: record.id,
      source: topic,
      subject: fact.resourceUri,
      type: fact.type,
      time: record.time,
      data,
      specversion: '1.0',
    };
  }
  return {
    id: record.id,
    topic,
    subject: fact.resourceUri,
    eventType: fact.type,
    eventTime: record.time,
    data,
    dataVersion: '2',
    metadataVersion: '1',
  };
}
