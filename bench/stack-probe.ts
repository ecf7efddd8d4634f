import os from 'node:os';
import type { PrivateStack } from '../src/stack/private-stack.js';
import { readSecrets } from '../src/stack/secrets.js';
import { stackLayout } from '../src/stack/stack-layout.js';
import { cpuBetween, ProcessCpu, type CpuSeconds } from './process-cpu.js';
import { metricsBetween, ServiceMetrics, type MetricsSnapshot } from './service-metrics.js';

/** Pause between the end of a load and the second reading of the metrics. */
const SETTLE_MS = 250;

/** What a load cost, measured around it. */
export interface Probed<T> {
  value: T;
  /** Wall time of the load, s. */
  seconds: number;
  /** CPU seconds per group of processes; null where /proc is missing. */
  cpu: CpuSeconds | null;
  /** What the services' histograms gained. */
  metrics: MetricsSnapshot;
}

/** Samples CPU time and the services' metrics before and after a load on a private stack. */
export class StackProbe {
  private constructor(
    private readonly cpu: ProcessCpu | null,
    private readonly metrics: ServiceMetrics,
  ) {}

  static async forStack(stack: PrivateStack): Promise<StackProbe> {
    const secrets = readSecrets(stackLayout(stack.config.home).secretsFile, stack.config);
    const dataUrl = `http://${stack.config.DISTRAG_HOST}:${stack.config.DISTRAG_DATA_PORT}/graphql`;
    const metrics = await ServiceMetrics.create({ gatewayUrl: stack.info.urls.graphql, dataUrl, jwtSecret: secrets.jwtSecret, internalSecret: secrets.internalSecret });
    return new StackProbe(ProcessCpu.forStack(stack.config), metrics);
  }

  /** The machine's CPUs, for the share of it a load kept busy. */
  readonly cpus = os.availableParallelism();

  async around<T>(load: () => Promise<T>): Promise<Probed<T>> {
    const metricsBefore = await this.metrics.snapshot();
    const cpuBefore = this.cpu?.sample() ?? null;
    const started = process.hrtime.bigint();
    const value = await load();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const cpuAfter = this.cpu?.sample() ?? null;
    // Requests still in the servers when the load stops finish and are recorded before the second reading.
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const metricsAfter = await this.metrics.snapshot();
    return { value, seconds, cpu: cpuBefore && cpuAfter ? cpuBetween(cpuBefore, cpuAfter) : null, metrics: metricsBetween(metricsBefore, metricsAfter) };
  }
}
