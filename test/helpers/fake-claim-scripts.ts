// A small fake of the three claim scripts (acquire, renew, release) over an in-memory map, with
// a switch to hold a script's evaluation until the test lets it go: how a reply comes back after
// later commands ran (an EVAL sent after NOSCRIPT, a reconnect) is reproduced on demand.
import type { Script, ScriptRunner } from '../../src/transport/scripts.js';

interface Held {
  script: string;
  release(): void;
}

export class FakeClaimScripts implements ScriptRunner {
  /** Claim key → owner token. */
  readonly owners = new Map<string, string>();
  /** Calls per script name. */
  readonly calls = new Map<string, number>();
  #holdNext = new Set<string>();
  #held: Held[] = [];

  /** The next call of `script` waits (unevaluated) until `releaseHeld()`. */
  holdNext(script: string): void {
    this.#holdNext.add(script);
  }

  /** Lets the held calls evaluate, against the state as it is now, and answer. */
  releaseHeld(): void {
    for (const h of this.#held.splice(0)) h.release();
  }

  get heldCalls(): number {
    return this.#held.length;
  }

  async run<T>(script: Script, keys: readonly string[], args: readonly (string | number)[]): Promise<T> {
    this.calls.set(script.name, (this.calls.get(script.name) ?? 0) + 1);
    if (this.#holdNext.delete(script.name)) {
      await new Promise<void>((resolve) => this.#held.push({ script: script.name, release: resolve }));
    }
    return this.#evaluate(script.name, keys, args.map(String)) as T;
  }

  #evaluate(name: string, keys: readonly string[], args: string[]): Array<number | string> {
    switch (name) {
      case 'acquire-claims':
        return keys.map((k, i) => {
          const owner = this.owners.get(k);
          if (owner !== undefined) return owner;
          this.owners.set(k, args[i + 1] as string);
          return 1;
        });
      case 'renew-claims':
        return keys.map((k, i) => (this.owners.get(k) === args[i + 1] ? 1 : 0));
      case 'release-claims':
        return keys.map((k, i) => {
          if (this.owners.get(k) !== args[i]) return 0;
          this.owners.delete(k);
          return 1;
        });
      default:
        throw new Error(`FakeClaimScripts: no fake for script ${name}`);
    }
  }
}
