/**
 * The run's progress on stderr: on a terminal one bar line redrawn in place, elsewhere (CI, a pipe) a plain
 * line every few seconds.
 */
export class Progress {
  private placed = 0;
  private settled = 0;
  private readonly started = Date.now();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly total: number,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.write(), this.stream.isTTY ? 200 : 5000);
    this.timer.unref();
  }

  orderPlaced(): void {
    this.placed++;
  }

  orderSettled(): void {
    this.settled++;
  }

  stop(): void {
    clearInterval(this.timer);
    if (this.stream.isTTY) this.stream.write('\r\x1b[K');
  }

  private write(): void {
    const seconds = `${Math.round((Date.now() - this.started) / 1000)} s`;
    const counts = `placed ${this.placed}/${this.total} · settled ${this.settled}/${this.total} · ${seconds}`;
    if (!this.stream.isTTY) {
      this.stream.write(`  ${counts}\n`);
      return;
    }
    const width = 30;
    const filled = Math.round((this.settled / this.total) * width);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
    this.stream.write(`\r\x1b[K  ${bar} ${counts}`);
  }
}
