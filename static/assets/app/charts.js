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

// A category tick's label, shortened when long (Chart.js calls it with the scale as `this`).
function shortLabel(value) {
  const label = String(this.getLabelForValue(value));
  return label.length > LABEL_CHARS ? `${label.slice(0, LABEL_CHARS - 1).trimEnd()}…` : label;
}

const reducedMotion = () => matchMedia('(prefers-reduced-motion: reduce)').matches;

/** Room per bar of a horizontal chart, so that every bar keeps its label (see barChart). */
export const PX_PER_BAR = 22;
const LABEL_CHARS = 28;

/**
 * A bar chart on `canvas`. `histogram` draws touching bars (a distribution over ranges).
 * The canvas is labelled; the data is also offered as a table next to it for screen readers.
 * Horizontal charts are of categories (genres, authors) that no neighbour identifies: every bar
 * is labelled (no auto-skipping; the caller gives the chart PX_PER_BAR per bar), a long label is
 * shortened with "…", and the tooltip and the table show it in full. Ordered axes (years, price
 * ranges) may skip labels, since the neighbours say what a bar is.
 */
export async function barChart(canvas, { labels, values, label, horizontal = false, histogram = false }) {
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
        x: { ticks: { color: text }, grid: { color: grid }, beginAtZero: true },
        y: {
          ticks: horizontal ? { color: text, autoSkip: false, callback: shortLabel } : { color: text },
          grid: { color: grid },
          beginAtZero: true,
        },
      },
    },
  });
}
