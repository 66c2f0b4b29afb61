// Account changes told to every instance over Redis pub/sub, so each drops its cached profile.

import type { ProfileChangeChannel } from '../accounts/profile-cache.ts';
import type { RedisClient } from './redis.ts';

export class RedisProfileChanges implements ProfileChangeChannel {
  readonly #publisher: RedisClient;
  readonly #subscriber: RedisClient;
  readonly #channel: string;

  /** `subscriber` is a connection of its own: once subscribed, Redis takes no other command on it. */
  constructor(publisher: RedisClient, subscriber: RedisClient, channel: string) {
    this.#publisher = publisher;
    this.#subscriber = subscriber;
    this.#channel = channel;
  }

  async publish(accountId: string): Promise<void> {
    await this.#publisher.publish(this.#channel, accountId);
  }

  subscribe(onChange: (accountId: string) => void, onGap: () => void): void {
    this.#subscriber.on('message', (channel: string, accountId: string) => {
      if (channel === this.#channel) onChange(accountId);
    });
    // While the connection is down, notices are lost: start afresh when it drops and comes back
    // (ioredis subscribes again by itself).
    this.#subscriber.on('close', onGap);
    this.#subscriber.on('ready', onGap);
    this.#subscriber.subscribe(this.#channel).catch(onGap);
  }
}
