/**
 * The Predictor with a real DriftMonitor (lib/monitor) as its drift source: the structural
 * DriftSource of lib/serve is satisfied by DriftMonitor, and the monitor's latest report appears
 * as gauges whose values are the report's own.
 */
import { describe, expect, it } from 'vitest';

import { DriftMonitor, Predictor, Tensor } from '../lib/index';
import type { DriftSource } from '../lib/index';
import { smallData, smallGcn } from './helpers/serve';

describe('Predictor + DriftMonitor', () => {
  it('exports the monitor report as gauges (no drift on the reference, an alert after a shift)', async () => {
    const { graph, x } = smallData(400, 11);
    const model = smallGcn(2);
    const monitor = DriftMonitor.fromReference(graph, x, model);
    const source: DriftSource = monitor; // compile-time: the monitor is a drift source
    const predictor = new Predictor({ model, graph, x, monitor: source, mode: 'full' });
    try {
      await predictor.predict([0, 1, 2]);
      const shifted = Tensor.from(x.data.map((v) => v + 3), x.shape);
      const report = monitor.check(graph, shifted);
      expect(report.overall.severity).toBe('alert');
      const text = predictor.metrics();
      const overall = /^gnn_drift_overall_score(?:\{[^}]*\})? (\S+)$/m.exec(text);
      expect(overall).not.toBeNull();
      expect(Number(overall![1])).toBeCloseTo(report.overall.score, 12);
      expect(text).toMatch(/^gnn_drift_overall_severity(?:\{[^}]*\})? 2$/m);
      for (const s of report.signals) expect(text).toContain(`signal="${s.name}"`);
    } finally {
      await predictor.close();
    }
  });
});
