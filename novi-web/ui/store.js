// What the page knows of the server: the flags and activations as last read, reloaded when the
// change stream announces a new revision.

import { get } from './api.js';

export const store = {
  flags: [],
  activations: [],
  /** Activations by id. */
  byId: new Map(),
  /** Ids of the activations that cannot be built here (their `build_error`). */
  unbuildable: new Set(),
  /** Bumped on every change, so views can cache what they derive. */
  generation: 0,
  /** False on a relay (it serves reads only). */
  writable: true,
  /** The upstream of a relay. */
  upstream: null,
  classes: null,

  async load() {
    const [flags, activations] = await Promise.all([get('/flags'), get('/activations')]);
    this.flags = flags;
    this.setActivations(activations);
    this.generation += 1;
  },

  setActivations(activations) {
    this.activations = activations;
    this.byId = new Map(activations.map((a) => [a.id, a]));
    this.unbuildable = new Set(activations.filter((a) => a.build_error).map((a) => a.id));
  },

  /** A flag as a write returned it: replaces the stored one with its id (or adds it). */
  putFlag(flag) {
    const at = this.flags.findIndex((f) => f.id === flag.id);
    if (at >= 0) this.flags[at] = flag;
    else this.flags.push(flag);
    this.generation += 1;
  },

  dropFlag(id) {
    this.flags = this.flags.filter((f) => f.id !== id);
    this.generation += 1;
  },

  flag(name) {
    return this.flags.find((f) => f.name === name);
  },

  /** Whether one of the flag's activations cannot be built (it evaluates false). */
  isBroken(flag) {
    return flag.activations.some((a) => this.unbuildable.has(a.id));
  },

  /** The names of the flags that link activation `id`. */
  usersOf(id) {
    return this.flags.filter((f) => f.activations.some((a) => a.id === id)).map((f) => f.name);
  },

  async loadClasses() {
    if (!this.classes) this.classes = await get('/activations/classes');
    return this.classes;
  },
};
