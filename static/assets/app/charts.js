// Chart.js, loaded on first use (it is only needed on the reports page). The path below is
// rewritten at build time to the content-hashed, immutably cached copy.

let loading = null;

export function loadChart() {
  if (window.Chart) return Promise.resolve(window.Chart);
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const script = document.createElement('script');
      script.src = '/assets/chart/chart.umd.min.js';
      script.onload = () => resolve(window.Chart);
      script.onerror = () => {
        loading = null;
        reject(new Error('The chart library could not be loaded.'));
      };
      document.head.append(script);
    });
  }
  return loading;
}

// A horizontal chart's tick label, shortened with "…" to what its axis has room for: at most
// LABEL_CHARS, and no more than 40 % of the chart's width (a phone's chart is ~310 px, where 28
// characters were cut off at the canvas's edge). Chart.js calls it with the scale as `this`, on
// every resize too.
function shortLabel(value) {
  const label = String(this.getLabelForValue(value));
  const room = Math.max(8, Math.min(LABEL_CHARS, Math.floor((this.chart.width * 0.4) / PX_PER_CHAR)));
  return label.length > room ? `${label.slice(0, room - 1).trimEnd()}…` : label;
}

const reducedMotion = () => matchMedia('(prefers-reduced-motion: reduce)').matches;

/** Room per bar of a horizontal chart, so that every bar keeps its label (see barChart). */
export const PX_PER_BAR = 22;
const LABEL_CHARS = 28;
// The average width of a character of Chart.js's 12 px tick font, rounded up.
const PX_PER_CHAR = 7;

/**
 * A bar chart on `canvas`. `histogram` draws touching bars (a distribution over ranges).
 * The canvas is labelled; the data is also offered as a table next to it for screen readers.
 * Horizontal charts are of categories (genres, authors) that no neighbour identifies: every bar
 * is labelled (no auto-skipping; the caller gives the chart PX_PER_BAR per bar), a long label is
 * shortened with "…" to fit the chart's width, and the tooltip and the table show it in full.
 * Ordered axes (years, price ranges) are labelled level, never rotated (rotated labels were cut
 * off at a phone's canvas edge), from `ticks` when given (shorter texts than `labels`, e.g.
 * "100K–200K"; the tooltip keeps the full label), and skip labels where they would overlap,
 * since the neighbours say what a bar is.
 */
export async function barChart(canvas, { labels, values, label, horizontal = false, histogram = false, ticks = null }) {
  const Chart = await loadChart();
  const dark = matchMedia('(prefers-color-scheme: dark)').matches;
  const text = dark ? '#d8dee6' : '#1d2733';
  const grid = dark ? 'rgba(255,255,255,0.12)' : 'rgba(0,0,0,0.08)';
  return new Chart(canvas, {
    type: 'bar',
    data: {
      labels,
      datasets: [{
        label,
        data: values,
        backgroundColor: '#3b76b0',
        borderColor: '#2d5b8a',
        borderWidth: 1,
        barPercentage: histogram ? 1 : 0.8,
        categoryPercentage: histogram ? 1 : 0.8,
      }],
    },
    options: {
      indexAxis: horizontal ? 'y' : 'x',
      responsive: true,
      maintainAspectRatio: false,
      animation: reducedMotion() ? false : { duration: 300 },
      plugins: { legend: { display: false } },
      scales: {
        x: {
          ticks: horizontal ? { color: text } : {
            color: text,
            maxRotation: 0,
            autoSkip: true,
            autoSkipPadding: 12,
            callback: (value) => (ticks ? ticks[value] : labels[value]),
          },
          grid: { color: grid },
          beginAtZero: true,
        },
        y: {
          ticks: horizontal ? { color: text, autoSkip: false, callback: shortLabel } : { color: text },
          grid: { color: grid },
          beginAtZero: true,
        },
      },
    },
  });
}
