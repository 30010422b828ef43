// Type-level assertions for the fixtures: a wrong type fails `tsc`.

/** True only for `any`. */
export type IsAny<T> = 0 extends 1 & T ? true : false

/** Compiles only when `A` and `B` are the same type. */
export type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false

export function expectType<T extends true>(_proof?: T): void {}
