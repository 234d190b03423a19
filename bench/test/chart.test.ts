import t from 'tap'
import { renderBarChart, type BarChart } from '../src/lib/chart.js'

const chart: BarChart = {
  title: 'Scenario 10 <peers> & "friends"',
  subtitle: 'medians of 3 rounds',
  panels: [
    { title: 'Token check', unit: 'req/s', bars: [{ label: 'Latchkey GET /verify', value: 20_000, own: true }, { label: '@fastify/jwt, cache on', value: 40_000 }, { label: 'not measured', value: Number.NaN }] },
    { title: 'Log in', unit: 'req/s', bars: [{ label: 'Latchkey POST /sessions', value: 5.25, own: true }, { label: 'none answered', value: 0 }] },
    { title: 'Nothing measured', unit: 'req/s', bars: [{ label: 'empty', value: 0 }] }
  ]
}

const svg = renderBarChart(chart)
const rects = [...svg.matchAll(/<rect x="(\d+)" y="(\d+)" width="(\d+)" height="(\d+)" fill="([^"]+)"\/>/g)]
  .map(([, x, y, width, height, fill]) => ({ x: Number(x), y: Number(y), width: Number(width), height: Number(height), fill }))

t.test('renderBarChart › one standalone SVG document whose height fits its content', async t => {
  t.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="800" height="(\d+)" viewBox="0 0 800 \1"/)
  t.ok(svg.trimEnd().endsWith('</svg>'))
  const height = Number(/height="(\d+)"/.exec(svg)?.[1])
  const lowest = Math.max(...rects.map(rect => rect.y + rect.height))
  t.ok(lowest < height, 'every bar is inside the picture')
})

t.test('renderBarChart › each panel is scaled to its own largest bar', async t => {
  const bars = rects // the background rect has no position, so the pattern skips it
  t.equal(bars.length, 6)
  const [verify, fastifyJwt, missing, login, none, empty] = bars
  t.equal(fastifyJwt?.width, 330, 'the largest bar of a panel spans the bar area')
  t.equal(verify?.width, 165, 'half the value, half the width')
  t.equal(login?.width, 330, 'a log-in panel is not squashed by the token panel')
  t.equal(missing?.width, 0)
  t.equal(none?.width, 0)
  t.equal(empty?.width, 0, 'a panel with nothing measured draws no bar')
  t.equal(verify?.fill, '#2b6cb0', 'Latchkey in the accent colour')
  t.equal(fastifyJwt?.fill, '#a0aec0', 'peers in grey')
})

t.test('renderBarChart › values are labelled, missing ones as n/a', async t => {
  t.match(svg, />20,000 req\/s</)
  t.match(svg, />40,000 req\/s</)
  t.match(svg, />5\.3 req\/s</, 'small values keep a decimal')
  t.equal([...svg.matchAll(/>n\/a</g)].length, 3)
})

t.test('renderBarChart › text is escaped', async t => {
  t.match(svg, /Scenario 10 &lt;peers&gt; &amp; &quot;friends&quot;/)
  t.notMatch(svg, /<peers>/)
  t.match(renderBarChart({ title: "it's", panels: [] }), /it&apos;s/)
})

t.test('renderBarChart › the subtitle is optional', async t => {
  t.match(svg, /medians of 3 rounds/)
  const bare = renderBarChart({ title: 'T', panels: [] })
  t.equal([...bare.matchAll(/<text /g)].length, 1)
})
