/**
 * A crash report of an earlier run (Rust writes it, redacted, next to the
 * log when the app panics): offered once at the next start.
 */
import { commands, type CrashReportView } from "../ipc/bindings";
import { call, unwrap } from "../ipc/client";

export class CrashReportOffer {
  report: CrashReportView | null = $state(null);
  shown = $state(false);

  async load(): Promise<void> {
    try {
      this.report = await call(commands.pendingCrashReport());
    } catch {
      this.report = null;
    }
  }

  /** Not offered again at the next start; the file stays. */
  async dismiss(): Promise<void> {
    const report = this.report;
    this.report = null;
    this.shown = false;
    if (report) await unwrap(commands.dismissCrashReport(report.fileName)).catch(() => undefined);
  }
}
