/** AWS IoT Core message broker limits ("AWS IoT Core message broker and protocol limits and quotas"). */
export const MAX_CLIENT_ID_BYTES = 128;
export const MAX_TOPIC_BYTES = 256;
export const MAX_TOPIC_SLASHES = 7;

export function clientIdTooLong(clientId: string): boolean {
  return Buffer.byteLength(clientId, 'utf8') > MAX_CLIENT_ID_BYTES;
}

/** A topic or filter AWS would refuse for its size: more than 256 bytes or more than 7 slashes. */
export function topicBeyondLimits(topic: string): boolean {
  return Buffer.byteLength(topic, 'utf8') > MAX_TOPIC_BYTES || topic.split('/').length - 1 > MAX_TOPIC_SLASHES;
}
