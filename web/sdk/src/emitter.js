/**
 * A small event emitter. `on` returns a function that removes the listener. A listener that
 * throws does not stop the others or the SDK: the error is reported asynchronously, as an
 * EventTarget does.
 */
export class Emitter {
  /** @type {Map<string, Set<Function>>} */
  #listeners = new Map();

  /**
   * @param {string} name
   * @param {Function} listener
   * @returns {() => void} removes the listener
   */
  on(name, listener) {
    let set = this.#listeners.get(name);
    if (!set) {
      set = new Set();
      this.#listeners.set(name, set);
    }
    set.add(listener);
    return () => this.off(name, listener);
  }

  /**
   * @param {string} name
   * @param {Function} listener
   * @returns {() => void}
   */
  once(name, listener) {
    const off = this.on(name, (...args) => {
      off();
      listener(...args);
    });
    return off;
  }

  /**
   * @param {string} name
   * @param {Function} listener
   */
  off(name, listener) {
    this.#listeners.get(name)?.delete(listener);
  }

  /**
   * @param {string} name
   * @param {...any} args
   * @returns {boolean} whether anyone listened
   */
  emit(name, ...args) {
    const set = this.#listeners.get(name);
    if (!set || set.size === 0) {
      return false;
    }
    for (const listener of [...set]) {
      try {
        listener(...args);
      } catch (err) {
        reportLater(err);
      }
    }
    return true;
  }
}

function reportLater(err) {
  if (typeof globalThis.reportError === 'function') {
    globalThis.reportError(err);
  } else {
    setTimeout(() => {
      throw err;
    }, 0);
  }
}
