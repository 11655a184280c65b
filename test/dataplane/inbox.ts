/** Every message a client receives, in order, and bounded waits on them (never sleeps). */
import type { MqttClient } from 'mqtt';

export interface Received {
  topic: string;
  payload: string;
}

export class Inbox {
  readonly messages: Received[] = [];
  private waiters: Array<() => void> = [];

  constructor(client: MqttClient) {
    client.on('message', (topic, payload) => {
      this.messages.push({ topic, payload: payload.toString() });
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  /** Resolves with the messages received up to and including the first that matches; rejects after `timeoutMs`. */
  async until(match: (message: Received) => boolean, timeoutMs = 10_000): Promise<Received[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.messages.findIndex(match);
      if (index >= 0) return this.messages.slice(0, index + 1);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching message within ${timeoutMs} ms; received ${JSON.stringify(this.messages)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The messages before the fence, once the fence arrived. */
  async before(fence: { topic: string; payload: string }, timeoutMs?: number): Promise<Received[]> {
    const upTo = await this.until((m) => m.topic === fence.topic && m.payload === fence.payload, timeoutMs);
    return upTo.slice(0, -1);
  }
}

/** Polls `attempt` until it answers true or `boundMs` passes (a refusal AWS may show only after its policy cache expires). */
export async function eventually(attempt: () => Promise<boolean>, boundMs: number, everyMs = 15_000): Promise<boolean> {
  const deadline = Date.now() + boundMs;
  for (;;) {
    if (await attempt()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, Math.min(everyMs, Math.max(0, deadline - Date.now()))));
  }
}
