import * as echarts from "echarts";
import type { ProgressSample } from "./measure/progress";
import type { BenchResults } from "./report";

/**
 * One SVG chart of a run: for every copier, the items its target took per second (top) and the RU/s it was
 * charged (bottom), against seconds since that copier started, so the copies can be laid over each other.
 * Rates are taken between consecutive one-second samples. Drawn by ECharts' server-side SVG renderer, which
 * needs no DOM. Undefined when no copier has samples (an endpoint without cosmos-emulator's statistics).
 */
interface Line {
  label: string;
  progress?: ProgressSample[];
}

/** Per-second rates of one cumulative measure, at the end of each interval. */
function rates(samples: ProgressSample[], of: (sample: ProgressSample) => number): [number, number][] {
  return samples.slice(1).map((sample, i) => {
    const previous = samples[i];
    return [
      Number(sample.seconds.toFixed(1)),
      Math.round((of(sample) - of(previous)) / (sample.seconds - previous.seconds)),
    ];
  });
}

function linesOf(results: BenchResults): Line[] {
  return [
    { label: "naive", progress: results.naive.progress },
    { label: "tuned script", progress: results.tunedBulk.progress },
    { label: "raw write ceiling", progress: results.rawCeiling.progress },
    { label: "engine, 1 worker", progress: results.engine.progress },
    { label: "engine, 2 workers", progress: results.engineTwoWorkers.progress },
    { label: "engine at budget, 1 worker", progress: results.budget?.progress },
    { label: "engine at budget, 2 workers", progress: results.budgetTwoWorkers?.progress },
    { label: "engine, job capped", progress: results.cap?.progress },
  ];
}

export function renderChart(results: BenchResults): string | undefined {
  const lines = linesOf(results).filter(
    (line): line is Required<Line> => line.progress !== undefined && line.progress.length > 1,
  );
  if (lines.length === 0) return undefined;
  const chart = echarts.init(null, null, { renderer: "svg", ssr: true, width: 1100, height: 800 });
  const palette = ["#5470c6", "#91cc75", "#fac858", "#ee6666", "#73c0de", "#3ba272", "#fc8452", "#9a60b4"];
  const axis = (gridIndex: number, name: string) => ({ gridIndex, type: "value" as const, name });
  chart.setOption({
    animation: false,
    backgroundColor: "#ffffff",
    title: [
      { text: "Items written per second (target's LSNs)", left: "center", top: 0 },
      { text: "RU/s charged to the target", left: "center", top: "50%" },
    ],
    legend: { top: 30, data: lines.map((line) => line.label) },
    grid: [
      { left: 80, right: 40, top: 90, height: "30%" },
      { left: 80, right: 40, top: "57%", height: "30%" },
    ],
    xAxis: [axis(0, "s"), axis(1, "seconds since the copier started")],
    yAxis: [axis(0, "items/s"), axis(1, "RU/s")],
    // Each copier is two series under one name, so one legend entry stands for both; the colour is set so
    // that both halves of a copier match.
    series: lines.flatMap((line, i) =>
      [0, 1].map((panel) => ({
        name: line.label,
        type: "line" as const,
        showSymbol: false,
        color: palette[i % palette.length],
        xAxisIndex: panel,
        yAxisIndex: panel,
        data: rates(line.progress, panel === 0 ? (s) => s.writes : (s) => s.requestUnits),
      })),
    ),
  });
  const svg = chart.renderToSVGString();
  chart.dispose();
  return svg;
}
