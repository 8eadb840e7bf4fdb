import { main } from '../local/finance-export-cli.js';

/**
 * Runs `npm run finance:export` in this process (started with --expose-gc) and samples what it keeps: every half
 * second a full GC, then the heap in use. The peak of that is the memory the export retains, which must not grow
 * with the range; RSS also counts garbage V8 has not collected yet, so it says little about that.
 */
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('Run with --expose-gc.');
let retained = 0;
const sample = () => {
  gc();
  retained = Math.max(retained, process.memoryUsage().heapUsed);
};
const timer = setInterval(sample, 500);
const code = await main(process.argv.slice(2));
clearInterval(timer);
sample();
// Written before exiting: a pipe takes console output asynchronously, and exit would cut it off.
process.stdout.write(`Retained heap peak ${(retained / 1048576).toFixed(1)} MiB.\n`, () => process.exit(code));
