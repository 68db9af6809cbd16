// Opens a segkit report in chromium with every network request blocked but the file itself,
// and checks that every chart drew: each echarts instance has series with data and its SVG
// holds drawn shapes; no console errors; screenshots at desktop and phone widths.
//   node report_check.mjs REPORT.html [NAME]
import path from 'node:path';
import { launch, check, artifactDir } from './chromium.mjs';

const file = path.resolve(process.argv[2]);
const name = process.argv[3] || 'report';
const url = 'file://' + file;

const { browser, close } = await launch();
const errors = [];
const blocked = [];
async function open(width, height) {
  const page = await browser.newPage({ viewport: { width, height } });
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.route('**', (route) => {
    if (route.request().url() === url) {
      return route.continue();
    }
    blocked.push(route.request().url());
    return route.abort();
  });
  await page.goto(url, { waitUntil: 'load' });
  return page;
}

const page = await open(1280, 900);
const state = await page.evaluate(() => {
  const r = window.segkitReport;
  if (!r) {
    return null;
  }
  const charts = r.charts.map((c) => {
    const opt = c.getOption();
    const series = (opt.series || []).map((s) => ({
      type: s.type, name: s.name, n: Array.isArray(s.data) ? s.data.length : 0 }));
    const dom = c.getDom();
    const svg = dom.querySelector('svg');
    const shapes = svg ? svg.querySelectorAll('path, rect, circle, text').length : 0;
    const box = dom.getBoundingClientRect();
    return { label: dom.getAttribute('aria-label'), series, shapes,
             width: box.width, height: box.height };
  });
  const views = r.views.map((v) => ({ view: v.view, available: v.available, segment: v.segment,
                                      reason: v.reason }));
  const sections = Array.from(document.querySelectorAll('section.view')).map((s) => ({
    view: s.getAttribute('data-view'), tables: s.querySelectorAll('table').length,
    text: s.textContent.length }));
  return { charts, views, sections };
});
check(state !== null, 'the report ran its script (window.segkitReport is set)');
console.log(`${state.charts.length} charts, views: ` +
            state.views.map((v) => `${v.view}${v.segment ? '[' + v.segment + ']' : ''}` +
                            `=${v.available ? 'yes' : 'no'}`).join(' '));
for (const c of state.charts) {
  const withData = c.series.filter((s) => s.n > 0).length;
  check(withData > 0, `chart "${c.label}" has series with data`);
  check(c.shapes > 20 && c.width > 100 && c.height > 100,
        `chart "${c.label}" drew (${c.shapes} SVG shapes, ${Math.round(c.width)}x${Math.round(c.height)})`);
}
for (const v of state.views) {
  if (v.available) {
    continue;
  }
  check(typeof v.reason === 'string' && v.reason.length > 10,
        `unavailable view ${v.view} says why: ${v.reason}`);
}
for (const s of state.sections) {
  check(s.text > 40, `section ${s.view} has content`);
}
const want = (process.env.SEGKIT_REPORT_EXPECT || '').split(',').filter((x) => x);
for (const w of want) {
  check(state.views.some((v) => v.view === w && v.available), `view ${w} is available`);
}
const dir = artifactDir();
await page.screenshot({ path: path.join(dir, `${name}-desktop.png`), fullPage: true });
await page.emulateMedia({ media: 'print' });
await page.pdf({ path: path.join(dir, `${name}-print.pdf`) }).catch(() => {});
const phone = await open(390, 844);
const overflow = await phone.evaluate(() =>
  document.documentElement.scrollWidth - document.documentElement.clientWidth);
await phone.screenshot({ path: path.join(dir, `${name}-phone.png`), fullPage: true });
check(overflow <= 1, `no sideways scrolling at 390 px (page ${overflow} px wider than the screen)`);
check(errors.length === 0, `no console errors${errors.length ? ': ' + errors.join(' | ') : ''}`);
check(blocked.length === 0, `no network requests${blocked.length ? ': ' + blocked.join(' ') : ''}`);
await close();
