import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { EventHub } from '../gateway/subscriptions/event-hub.js';
import type { EventBus, FollowOptions } from '../src/events/event-bus.js';
import type { Delivered } from '../src/events/event-types.js';

/**
 * A subscriber resuming with `after` gets the missed events from a replay (XRANGE) while the
 * gateway's follower (XREAD, another connection) keeps delivering live ones: the two overlap in
 * either order, and each event must still reach the subscriber once.
 */

const event = (id: string): Delivered<'data'> => ({ kind: 'data', id, event: { type: 'change', table: 'public.t', op: 'INSERT', tenant: id, at: '', node: 'coordinator' } });

/** A bus whose follower and replay the test drives by hand. */
function scriptedBus() {
  let follower: FollowOptions | null = null;
  let answerReplay: (events: Array<Delivered<'data'>>) => void = () => undefined;
  const bus = {
    follow: (options: FollowOptions) => {
      follower = options;
      return { stop: async () => undefined };
    },
    replay: () => new Promise<Array<Delivered<'data'>>>((resolve) => (answerReplay = resolve)),
  } as unknown as EventBus;
  return {
    bus,
    live: async (...events: Array<Delivered<'data'>>) => {
      await follower!.onEvents(events);
    },
    replayAnswers: async (...events: Array<Delivered<'data'>>) => {
      answerReplay(events);
      await new Promise((r) => setTimeout(r, 0));
    },
  };
}

async function take(iterator: AsyncIterableIterator<Delivered<'data'>>, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const next = await Promise.race([iterator.next(), new Promise<null>((r) => setTimeout(() => r(null), 50))]);
    if (!next || next.done) break;
    ids.push(next.value.id);
  }
  return ids;
}

describe('event hub: resuming with `after`', () => {
  const subscribe = (hub: EventHub) => hub.subscribe({ kind: 'data', after: '1-0', accept: () => true, bufferLimit: 100, onOverflow: () => undefined });

  it('passes on live events that arrived during the replay once, after it', async () => {
    const { bus, live, replayAnswers } = scriptedBus();
    const hub = new EventHub(bus, pino({ level: 'silent' }));
    hub.start();
    const events = subscribe(hub);
    await live(event('2-0'), event('3-0'));
    await replayAnswers(event('2-0'));
    expect(await take(events, 5)).toEqual(['2-0', '3-0']);
    await hub.stop();
  });

  it('does not pass on again an event the replay already gave when the follower delivers it later', async () => {
    const { bus, live, replayAnswers } = scriptedBus();
    const hub = new EventHub(bus, pino({ level: 'silent' }));
    hub.start();
    const events = subscribe(hub);
    // The replay read 2-0 and 3-0 before the follower's read of them was handled.
    await replayAnswers(event('2-0'), event('3-0'));
    await live(event('2-0'), event('3-0'), event('4-0'));
    expect(await take(events, 5)).toEqual(['2-0', '3-0', '4-0']);
    await hub.stop();
  });
});
