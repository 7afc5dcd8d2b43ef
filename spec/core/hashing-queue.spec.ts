import { expect } from "chai";
import { HashingQueue } from "../../lib/core/hashing-queue.js";
import { isAuthError } from "../../lib/errors.js";

describe("HashingQueue (bounded hashing concurrency)", () => {
  it("runs at most `concurrency` tasks at once and queues the rest in order", async () => {
    const limiter = new HashingQueue(2, 10);
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    const task = (i: number) =>
      limiter.run(async () => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 5));
        order.push(i);
        running--;
        return i;
      });
    const results = await Promise.all([0, 1, 2, 3, 4, 5].map(task));
    expect(results).to.deep.equal([0, 1, 2, 3, 4, 5]);
    expect(peak).to.equal(2);
    expect(order.slice(2)).to.deep.equal([2, 3, 4, 5]);
  });

  it("sheds load past `maxQueue` waiters with 503 SERVICE_UNAVAILABLE, and recovers", async () => {
    const limiter = new HashingQueue(1, 1);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const first = limiter.run(() => gate);
    const second = limiter.run(async () => "queued");
    let error: unknown;
    await limiter.run(async () => "too many").catch((e: unknown) => (error = e));
    expect(isAuthError(error, "SERVICE_UNAVAILABLE")).to.equal(true);
    release();
    await first;
    expect(await second).to.equal("queued");
    expect(await limiter.run(async () => "again")).to.equal("again");
  });

  it("frees its slot when a task fails", async () => {
    const limiter = new HashingQueue(1, 0);
    await limiter.run(async () => Promise.reject(new Error("boom"))).catch(() => {});
    expect(await limiter.run(async () => "ok")).to.equal("ok");
  });
});
