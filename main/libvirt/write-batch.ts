/**
 * Calls made in one go (a Promise.all over many domains) leave in one write: one syscall for the
 * lot instead of one each, and the daemon reads them in one go. The batch leaves on the next tick
 * (or at once past 256 KiB), in order; `flush()` sends it now, for a packet that must not
 * overtake it.
 */
const FLUSH_AT_BYTES = 256 * 1024;

export class WriteBatch {
  private packets: Buffer[] = [];
  private bytes = 0;
  private scheduled = false;

  constructor(private readonly write: (data: Buffer) => void) {}

  add(packet: Buffer): void {
    this.packets.push(packet);
    this.bytes += packet.length;
    if (this.bytes >= FLUSH_AT_BYTES) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      process.nextTick(() => this.flush());
    }
  }

  flush(): void {
    this.scheduled = false;
    if (this.packets.length === 0) return;
    const out = this.packets.length === 1 ? this.packets[0]! : Buffer.concat(this.packets, this.bytes);
    this.packets = [];
    this.bytes = 0;
    this.write(out);
  }
}
