// One handler per message type. The table's type makes the compiler check that every type has its
// handler, and dispatch looks the handler up by the message's own type, so a new job type cannot
// compile without one, nor ever run another type's handler.
import type { JobMessage } from '../../messages.js';
import type { JobContext, JobOutcome } from '../job-context.js';
import { handleDailySummary } from './daily-summary.js';
import { handleMonthlySummary } from './monthly-summary.js';

/** A handler for each member of the union `M`, keyed by its `type`. */
export type HandlerTable<M extends { type: string }, C, R> = { [T in M['type']]: (msg: Extract<M, { type: T }>, ctx: C) => R };

/** Routes each message to the handler of its own type. */
export function dispatcher<M extends { type: string }, C, R>(table: HandlerTable<M, C, R>): (msg: M, ctx: C) => R {
  // The table's type pairs each key with the handler of exactly that member of M, which is what
  // msg is when its type is that key; TypeScript cannot follow the pairing through the lookup.
  const lookup = table as unknown as Record<string, (m: M, c: C) => R>;
  return (msg, ctx) => {
    if (!Object.hasOwn(lookup, msg.type)) throw new Error(`no handler for message type ${JSON.stringify(msg.type)}`);
    return (lookup[msg.type] as (m: M, c: C) => R)(msg, ctx);
  };
}

export const handlers: HandlerTable<JobMessage, JobContext, Promise<JobOutcome>> = {
  daily_summary: handleDailySummary,
  monthly_summary: handleMonthlySummary,
};

export const dispatch = dispatcher(handlers);
