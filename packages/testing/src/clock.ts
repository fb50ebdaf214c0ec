/** A clock tests can move, so nothing sleeps to wait for a TTL that the code computes itself. */
export class TestClock {
  constructor(private current: number = Date.UTC(2026, 0, 1)) {}

  now = (): Date => new Date(this.current);

  advance(milliseconds: number): void {
    this.current += milliseconds;
  }
}
