/**
 * Stands in for `@smithy/core/event-streams` in the deployed bundle (see `lib/bundling.ts`):
 * the SDK imports it, lazily, only for operations that stream events (Kinesis, Bedrock, ...),
 * and neither DynamoDB nor CodePipeline has one. Tests and local runs use the real module.
 */

/** An event-stream operation was called on a client of this bundle. */
export class EventStreamsNotBundledError extends Error {
  constructor() {
    super('Event streams are not bundled in this function: its clients have no such operation');
    this.name = 'EventStreamsNotBundledError';
  }
}

/** `EventStreamSerde` of `@smithy/core/event-streams`. */
export class EventStreamSerde {
  constructor() {
    throw new EventStreamsNotBundledError();
  }
}

/** `eventStreamSerdeProvider` of `@smithy/core/event-streams`. */
export function eventStreamSerdeProvider(): never {
  throw new EventStreamsNotBundledError();
}
