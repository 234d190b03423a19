/**
 * A horizontal bar chart as a standalone SVG document, for BENCHMARKS.md (scenario 10). Panels
 * measure different things (a token check runs thousands of times faster than a log-in), so each
 * panel is scaled to its own largest bar.
 */

export interface Bar {
  label: string
  /** A missing measurement (NaN, zero) draws no bar and reads "n/a". */
  value: number
  /** Latchkey's own bars are drawn in the accent colour. */
  own?: boolean
}

export interface BarPanel {
  title: string
  unit: string
  bars: Bar[]
}

export interface BarChart {
  title: string
  subtitle?: string
  panels: BarPanel[]
}

const WIDTH = 800
const LABEL_WIDTH = 330
const BAR_AREA = 330
const BAR_HEIGHT = 20
const BAR_GAP = 6
const PANEL_TITLE = 28
const PANEL_GAP = 14
const MARGIN = 16

function escapeXml (text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&apos;')
}

const measured = (value: number): boolean => Number.isFinite(value) && value > 0

function formatValue (value: number, unit: string): string {
  if (!measured(value)) return 'n/a'
  const digits = value < 10 ? 1 : 0
  return `${value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })} ${unit}`
}

export function renderBarChart (chart: BarChart): string {
  const parts: string[] = []
  let y = MARGIN + 18
  parts.push(`<text x="${MARGIN}" y="${y}" font-size="16" font-weight="bold">${escapeXml(chart.title)}</text>`)
  if (chart.subtitle !== undefined) {
    y += 20
    parts.push(`<text x="${MARGIN}" y="${y}" font-size="12" fill="#555">${escapeXml(chart.subtitle)}</text>`)
  }
  y += PANEL_GAP
  for (const panel of chart.panels) {
    y += PANEL_TITLE - 8
    parts.push(`<text x="${MARGIN}" y="${y}" font-size="13" font-weight="bold">${escapeXml(panel.title)}</text>`)
    y += 8
    const largest = Math.max(0, ...panel.bars.map(bar => measured(bar.value) ? bar.value : 0))
    for (const bar of panel.bars) {
      const width = largest > 0 && measured(bar.value) ? Math.max(1, Math.round(bar.value / largest * BAR_AREA)) : 0
      const x = MARGIN + LABEL_WIDTH
      parts.push(
        `<text x="${x - 8}" y="${y + BAR_HEIGHT - 6}" font-size="12" text-anchor="end">${escapeXml(bar.label)}</text>`,
        `<rect x="${x}" y="${y}" width="${width}" height="${BAR_HEIGHT}" fill="${bar.own === true ? '#2b6cb0' : '#a0aec0'}"/>`,
        `<text x="${x + width + 6}" y="${y + BAR_HEIGHT - 6}" font-size="12">${escapeXml(formatValue(bar.value, panel.unit))}</text>`
      )
      y += BAR_HEIGHT + BAR_GAP
    }
    y += PANEL_GAP
  }
  const height = y + MARGIN - PANEL_GAP
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif">`,
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    ...parts,
    '</svg>',
    ''
  ].join('\n')
}
