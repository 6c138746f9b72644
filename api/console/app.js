// riskwatch analyst console: plain JavaScript, no build step. Every view is
// described by the URL's query string (view, region, from, to, gran, metric
// and the case filters), so a view can be shared; the access token is never
// kept in the URL: the server moves a ?token= into the rw_token cookie
// (HttpOnly, so this script never sees it) and the login form posts to the
// server, which sets the cookie.
'use strict';

const LEVEL_NAMES = { 1: '省级', 2: '市级', 3: '旗县区', 4: '苏木乡镇街道', 5: '嘎查村社区' };
const LEVEL_KEYS = { 2: 'city', 3: 'county', 4: 'town', 5: 'village' };
const METRICS = [
  ['cases', '受理件数'], ['rate', '每万人受理数'], ['resolved', '化解件数'], ['resolve_rate', '化解率'],
  ['satisfaction', '满意率'], ['overdue', '超期件数'], ['risk', '风险指数'],
];
const BAND_NAMES = { red: '红', orange: '橙', yellow: '黄', blue: '蓝', green: '绿' };
const ALARM_NAMES = { red: '红色', orange: '橙色', yellow: '黄色', blue: '蓝色' };
const RULE_NAMES = { group_dispute: '群体性纠纷', large_amount: '涉及金额较大', extreme_words: '极端言辞', repeat_petition: '重复信访', superior_assigned: '上级交办' };
const FILTERS = ['category', 'severity', 'channel', 'status', 'source'];
const VIEWS = ['dashboard', 'trends', 'types', 'supervision', 'forecast', 'reports', 'review', 'links', 'emerging'];

const $ = (id) => document.getElementById(id);
const state = {};
const regionCache = new Map(); // code → {code, name, short_name, level, parent_code, children}
const catNames = new Map(); // category code → name_zh
const charts = {};
let me = null;
let renderSeq = 0;

function readURL() {
  const q = new URLSearchParams(location.search);
  if (q.has('token')) {
    q.delete('token');
    history.replaceState(null, '', location.pathname + (q.toString() ? '?' + q : ''));
  }
  state.view = VIEWS.includes(q.get('view')) ? q.get('view') : 'dashboard';
  state.region = q.get('region') || '';
  state.from = q.get('from') || '';
  state.to = q.get('to') || '';
  state.gran = q.get('gran') || 'week';
  state.metric = q.get('metric') || 'cases';
  for (const f of FILTERS) state[f] = q.get(f) || '';
}

function writeURL(push) {
  const q = new URLSearchParams();
  if (state.view !== 'dashboard') q.set('view', state.view);
  for (const k of ['region', 'from', 'to']) if (state[k]) q.set(k, state[k]);
  if (state.gran !== 'week') q.set('gran', state.gran);
  if (state.metric !== 'cases') q.set('metric', state.metric);
  for (const f of FILTERS) if (state[f]) q.set(f, state[f]);
  const url = location.pathname + (q.toString() ? '?' + q : '');
  if (push) history.pushState(null, '', url); else history.replaceState(null, '', url);
}

function setState(patch) {
  Object.assign(state, patch);
  writeURL(true);
  render();
}

class APIError extends Error {
  constructor(status, body) {
    super((body && body.error) || ('HTTP ' + status));
    this.status = status;
    this.param = body && body.param;
  }
}

function apiURL(path, params) {
  const u = new URL(path, location.origin);
  for (const [k, v] of Object.entries(params || {})) if (v !== '' && v !== undefined && v !== null) u.searchParams.set(k, v);
  return u;
}

async function api(path, params) {
  const r = await fetch(apiURL(path, params), { credentials: 'same-origin', headers: { Accept: 'application/json' } });
  let body = null;
  try { body = await r.json(); } catch (e) { /* not JSON */ }
  if (!r.ok) throw new APIError(r.status, body);
  return body;
}

function caseFilters() {
  const p = {};
  for (const f of FILTERS) if (state[f]) p[f] = state[f];
  return p;
}

function range() {
  const p = {};
  if (state.from) p.from = state.from;
  if (state.to) p.to = state.to;
  return p;
}

function trendParams(extra) {
  const p = Object.assign({ region: state.region, granularity: state.gran, metric: state.metric }, range(), extra || {});
  if (p.metric !== 'risk') Object.assign(p, caseFilters());
  return p;
}

function fmt(v, digits) {
  if (v === null || v === undefined || Number.isNaN(v)) return '–';
  if (digits === undefined) return Number(v).toLocaleString('zh-CN');
  return Number(v).toFixed(digits);
}

function pct(v) { return v === null || v === undefined ? '–' : (v * 100).toFixed(1) + '%'; }

function metricName(m) { return (METRICS.find((x) => x[0] === m) || [m, m])[1]; }

// bandMeaning says what the risk colours mean under a thresholds version
// ("quantile-week-L3-20241104-20251104@…" from riskwatch risk calibrate,
// anything else the fixed INFORM thresholds); yellow's share is the
// calibration target (RISK_INDEX.md §5.5).
function bandMeaning(v) {
  const m = /^quantile-\w+-L\d+-(\d{4})\d{4}-(\d{4})(\d{4})@/.exec(v);
  if (!m) return '色阶版本 ' + v + '：采用 INFORM 固定阈值，未按本地基准校准。';
  const to = m[3] === '0101' ? String(Number(m[2]) - 1) : m[2];
  return '色阶版本 ' + v + '：本色阶按 ' + (m[1] === to ? to : m[1] + '—' + to) + ' 年基准校准：黄色约占 15%。';
}

function isRatio(m) { return m === 'rate' || m === 'resolve_rate' || m === 'satisfaction' || m === 'risk'; }

function showStatus(msg, isError) {
  const s = $('status');
  s.textContent = msg || '';
  s.className = isError ? 'error' : '';
}

function chart(id) {
  if (!charts[id]) charts[id] = echarts.init($(id), null, { renderer: 'canvas' });
  return charts[id];
}

function cell(tr, text, cls) {
  const td = document.createElement('td');
  td.textContent = text;
  if (cls) td.className = cls;
  tr.appendChild(td);
  return td;
}

function fillTable(id, rows, build) {
  const tb = $(id).querySelector('tbody');
  tb.replaceChildren();
  for (const r of rows) {
    const tr = document.createElement('tr');
    build(tr, r);
    tb.appendChild(tr);
  }
  if (rows.length === 0) {
    const tr = document.createElement('tr');
    const td = cell(tr, '暂无数据');
    td.colSpan = $(id).querySelectorAll('thead th').length;
    tb.appendChild(tr);
  }
}

// Regions -----------------------------------------------------------------

async function loadChildren(code) {
  const r = await api('/api/regions', code ? { parent: code } : {});
  const kids = [];
  for (const row of r.rows) {
    regionCache.set(row.code, row);
    if (row.parent_code === code || (!code && row.code !== me.region_code)) kids.push(row);
  }
  return kids;
}

// ancestorCodes lists the codes from the scope region down to code (12-digit
// statistical codes: city 4, county 6, town 9 digits).
function ancestorCodes(code) {
  const out = [];
  for (const n of [4, 6, 9]) {
    const c = code.slice(0, n).padEnd(12, '0');
    if (c !== code && c.length === 12 && c.startsWith(me.scope || '')) out.push(c);
  }
  return out.filter((c) => c.startsWith(me.scope) || me.scope === '');
}

async function ensureRegion(code) {
  if (regionCache.has(code)) return regionCache.get(code);
  for (const a of ancestorCodes(code)) {
    if (!regionCache.has(a) || !regionCache.get(a)._kids) {
      try { await loadChildren(a); if (regionCache.has(a)) regionCache.get(a)._kids = true; } catch (e) { /* outside scope */ }
    }
  }
  return regionCache.get(code);
}

async function renderCrumbs(region) {
  const nav = $('crumbs');
  nav.replaceChildren();
  const chain = [];
  for (const c of ancestorCodes(region.code)) {
    const r = regionCache.get(c);
    if (r && (r.code.startsWith(me.scope) || me.scope === '' || ScopeOK(r.code))) chain.push(r);
  }
  chain.push(region);
  const seen = new Set();
  chain.forEach((r, i) => {
    if (seen.has(r.code)) return;
    seen.add(r.code);
    if (nav.childNodes.length) {
      const s = document.createElement('span');
      s.className = 'sep';
      s.textContent = '›';
      nav.appendChild(s);
    }
    const a = document.createElement('a');
    a.textContent = r.short_name || r.name;
    a.dataset.code = r.code;
    if (i < chain.length - 1) a.addEventListener('click', () => setState({ region: r.code === me.region_code ? '' : r.code }));
    nav.appendChild(a);
  });
}

function ScopeOK(code) { return me.scope === '' || code.startsWith(me.scope); }

// Views -------------------------------------------------------------------

async function render() {
  const seq = ++renderSeq;
  document.body.dataset.ready = '0';
  for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('active', a.dataset.view === state.view);
  for (const v of VIEWS) $('view-' + v).hidden = v !== state.view;
  syncInputs();
  showStatus('加载中…');
  try {
    const region = state.region ? await ensureRegion(state.region) : regionCache.get(me.region_code);
    if (!region) throw new APIError(400, { error: '区域不存在或超出令牌范围', param: 'region' });
    await renderCrumbs(region);
    await ({ dashboard: renderDashboard, trends: renderTrends, types: renderTypes, supervision: renderSupervision, forecast: renderForecast, review: renderReview, links: renderLinks, emerging: renderEmerging, reports: async () => {} })[state.view](region);
    if (seq !== renderSeq) return;
    showStatus('');
    document.body.dataset.ready = '1';
    if (!window.rwFirstRender) window.rwFirstRender = performance.now();
  } catch (e) {
    if (seq !== renderSeq) return;
    showStatus('出错：' + e.message + (e.param ? '（参数 ' + e.param + '）' : ''), true);
    document.body.dataset.ready = 'error';
    if (e.status === 401) showLogin('令牌无效或已撤销。');
  }
}

function syncInputs() {
  $('f-from').value = state.from;
  $('f-to').value = state.to;
  $('f-gran').value = state.gran;
  $('f-metric').value = state.metric;
  for (const f of FILTERS) $('f-' + f).value = state[f];
}

function sumPoints(tr) {
  let s = 0;
  for (const se of tr.series) for (const p of se.points) s += p.value || 0;
  return s;
}

// partialPeriod returns the last period when it ends after the range's end
// (tr.to): its count covers only part of the week or month, and a drop
// there is not a fall in cases.
function partialPeriod(periods, tr) {
  const last = periods[periods.length - 1];
  if (!last || !tr.to || (tr.granularity !== 'week' && tr.granularity !== 'month')) return null;
  const end = new Date(last + 'T00:00:00Z');
  if (tr.granularity === 'week') end.setUTCDate(end.getUTCDate() + 6);
  else { end.setUTCMonth(end.getUTCMonth() + 1); end.setUTCDate(0); }
  return end.toISOString().slice(0, 10) > tr.to ? last : null;
}

function lineOption(tr, title) {
  const periods = [...new Set(tr.series.flatMap((s) => s.points.map((p) => p.period)))].sort();
  const partial = partialPeriod(periods, tr);
  const mark = partial ? {
    silent: true,
    itemStyle: { color: 'rgba(120, 120, 120, 0.12)' },
    label: { show: true, position: 'insideTopRight', color: '#666', fontSize: 11, formatter: (tr.granularity === 'week' ? '本周' : '本月') + '未满（截至' + tr.to.slice(5) + '）' },
    // The segment into the partial period (a band of its own where it is
    // the only one).
    data: [[{ xAxis: periods.length > 1 ? periods[periods.length - 2] : partial }, { xAxis: partial }]],
  } : undefined;
  return {
    animation: false,
    tooltip: { trigger: 'axis' },
    legend: { type: 'scroll', top: 0 },
    grid: { left: 50, right: 20, top: 36, bottom: 30 },
    xAxis: { type: 'category', data: periods },
    yAxis: { type: 'value', name: title },
    series: tr.series.map((s, i) => {
      const by = new Map(s.points.map((p) => [p.period, p.value]));
      const line = { name: s.name || s.key, type: 'line', showSymbol: false, data: periods.map((p) => (by.has(p) ? by.get(p) : (isRatio(state.metric) ? null : 0))) };
      if (mark && i === 0) line.markArea = mark;
      return line;
    }),
  };
}

async function renderDashboard(region) {
  const base = Object.assign({ region: state.region }, range(), caseFilters());
  const childLevel = LEVEL_KEYS[Math.min(region.level + 1, 4)];
  const riskLevel = region.level >= 4 ? 'town' : childLevel;
  // One call gives the KPIs and, for the city, the map: each point carries
  // its case count next to the resolved count, per county.
  const byCounty = region.level === 2;
  loadMap(); // in parallel with the figures
  const [tr, resolved, alarms, risk, warnings] = await Promise.all([
    api('/api/trends', trendParams()),
    api('/api/trends', Object.assign({ metric: 'resolved', granularity: 'month' }, byCounty ? { group: 'level', level: 'county' } : {}, base)),
    api('/api/alarms/rule', Object.assign({ region: state.region }, range())),
    api('/api/risk', { region: state.region, window: 'week', latest: '1', level: riskLevel, to: state.to }),
    api('/api/warnings', Object.assign({ region: state.region, state: 'firing' }, range())),
  ]);
  const counties = byCounty ? resolved : null;
  if (!state.from) $('f-from').value = tr.from;
  if (!state.to) $('f-to').value = tr.to;
  const nCases = resolved.series.reduce((a, se) => a + se.points.reduce((b, p) => b + p.cases, 0), 0);
  const nResolved = sumPoints(resolved);
  $('kpi-cases').textContent = fmt(nCases);
  $('kpi-resolved').textContent = fmt(nResolved);
  $('kpi-rate').textContent = nCases ? pct(nResolved / nCases) : '–';
  $('kpi-per10k').textContent = region.population > 0 ? fmt(nCases / region.population * 10000, 1) : '–';
  $('kpi-alarms').textContent = fmt(warnings.count + alarms.count);
  $('trend-title').textContent = (region.short_name || region.name) + ' · ' + metricName(state.metric);
  const band = await forecastBand(region);
  chart('chart-trend').setOption(withForecastBand(lineOption(tr, metricName(state.metric)), band), true);
  await renderMap(region, counties);
  const riskRows = risk.rows.filter((r) => r.score !== null).sort((a, b) => b.score - a.score).slice(0, 10);
  fillTable('risk-table', riskRows, (row, r) => {
    cell(row, String(r.rank || ''));
    cell(row, r.region_name || r.region_code);
    cell(row, fmt(r.score, 1), 'num');
    const b = cell(row, BAND_NAMES[r.band] || r.band);
    b.innerHTML = '';
    const s = document.createElement('span');
    s.className = 'band band-' + r.band;
    s.textContent = BAND_NAMES[r.band] || r.band || '–';
    b.appendChild(s);
    // Drivers in words, with direction and size (the API's *_text
    // columns): the two largest against the siblings, the largest against
    // the previous week.
    cell(row, (r.drivers_siblings_text || []).slice(0, 2).concat((r.drivers_prev_text || []).slice(0, 1)).join('；') || '–');
  });
  $('risk-bands-note').textContent = [...new Set(riskRows.map((r) => r.thresholds_version).filter(Boolean))].map(bandMeaning).join(' ');
  const latest = warnings.rows.map((r) => ({ at: r.starts_at, region: r.region_name || r.region_code, category: r.category_name || r.category, level: r.level, text: r.title }))
    .concat(alarms.rows.map((r) => ({ at: r.reported_at, region: r.region_name || r.region_code, category: r.category_name || r.category, level: r.level, text: (RULE_NAMES[r.rule] || r.rule) + '：' + r.detail })))
    .sort((a, b) => (a.at < b.at ? 1 : -1)).slice(0, 10);
  fillTable('alarm-table', latest, (row, r) => {
    cell(row, r.at);
    cell(row, r.region);
    cell(row, r.category);
    cell(row, ALARM_NAMES[r.level] || r.level, r.level);
    cell(row, r.text);
  });
}

let mapRegistered = null;

function loadMap() {
  if (!mapRegistered) {
    mapRegistered = api('/api/geo/counties').then((geo) => echarts.registerMap('tongliao', geo));
  }
  return mapRegistered;
}

async function renderMap(region, counties) {
  await loadMap();
  const data = [];
  if (counties) {
    for (const s of counties.series) {
      if (!s.key) continue;
      data.push({ name: s.name, code: s.key, value: s.points.reduce((a, p) => a + p.cases, 0) });
    }
  }
  const byAdcode = new Map(data.map((d) => [d.code.slice(0, 6), d]));
  const geoNames = (echarts.getMap('tongliao').geoJSON || echarts.getMap('tongliao').geoJson || { features: [] }).features;
  const series = geoNames.map((f) => {
    const ad = String(f.properties.adcode);
    const d = byAdcode.get(ad);
    return { name: f.properties.name, value: d ? d.value : (region.code.startsWith(ad) ? 0 : null), code: ad.padEnd(12, '0') };
  });
  const max = Math.max(1, ...data.map((d) => d.value));
  const c = chart('chart-map');
  c.setOption({
    animation: false,
    tooltip: { trigger: 'item', formatter: (p) => p.name + '：' + (p.value === null || Number.isNaN(p.value) ? '无权限或无数据' : fmt(p.value) + ' 件') },
    visualMap: { min: 0, max: max, left: 10, bottom: 10, text: ['多', '少'], calculable: true, inRange: { color: ['#e3f2fd', '#1565c0'] } },
    series: [{ type: 'map', map: 'tongliao', roam: false, label: { show: true, fontSize: 10 }, data: series,
      itemStyle: { borderColor: '#fff' }, emphasis: { label: { show: true } } }],
  }, true);
  c.off('click');
  c.on('click', (p) => {
    const code = p.data && p.data.code;
    if (code && ScopeOK(code)) setState({ region: code, view: 'trends' });
  });
}

async function renderTrends(region) {
  const hasKids = region.children > 0;
  const params = trendParams(hasKids ? { group: 'region' } : {});
  const tr = await api('/api/trends', params);
  const casesTr = state.metric === 'cases' || state.metric === 'risk' ? tr : await api('/api/trends', trendParams(Object.assign({ metric: 'cases' }, hasKids ? { group: 'region' } : {})));
  if (!state.from) $('f-from').value = tr.from;
  if (!state.to) $('f-to').value = tr.to;
  const u = apiURL('/api/trends', Object.assign({}, params, { format: 'csv' }));
  $('csv-link').href = u.pathname + u.search;
  $('drill-title').textContent = (region.short_name || region.name) + (hasKids ? ' · 下级区域 · ' : ' · ') + metricName(state.metric);
  $('drill-metric').textContent = metricName(state.metric) + (isRatio(state.metric) ? '（平均）' : '（合计）');
  const cases = new Map(casesTr.series.map((s) => [s.key, s.points.reduce((a, p) => a + p.cases, 0)]));
  const rows = tr.series.map((s) => {
    const vals = s.points.map((p) => p.value).filter((v) => v !== null);
    const total = vals.reduce((a, v) => a + v, 0);
    return { key: s.key, name: s.name, value: isRatio(state.metric) ? (vals.length ? total / vals.length : null) : total, cases: cases.get(s.key) || 0 };
  }).sort((a, b) => (b.value || 0) - (a.value || 0));
  const top = new Set(rows.slice(0, 8).map((r) => r.key));
  chart('chart-drill').setOption(lineOption({ series: tr.series.filter((s) => top.has(s.key)) }, metricName(state.metric)), true);
  fillTable('drill-table', rows, (row, r) => {
    const td = cell(row, '');
    row.dataset.code = r.key;
    const info = regionCache.get(r.key);
    if (r.key && hasKids && (!info || info.children > 0 || info.level < 5)) {
      const a = document.createElement('a');
      a.className = 'drill';
      a.textContent = r.name;
      a.addEventListener('click', () => setState({ region: r.key }));
      td.appendChild(a);
    } else {
      td.textContent = r.name;
    }
    cell(row, r.key);
    cell(row, isRatio(state.metric) ? fmt(r.value, 3) : fmt(r.value), 'num metric');
    cell(row, fmt(r.cases), 'num cases');
  });
  if (hasKids) await loadChildren(region.code);
}

async function renderTypes(region) {
  const level = LEVEL_KEYS[Math.min(region.level, 4)];
  const [types, catTr] = await Promise.all([
    api('/api/types', { region: state.region, window: 'month', latest: '1', level: level, to: state.to, category: state.category }),
    api('/api/trends', Object.assign({ region: state.region, granularity: state.gran, metric: 'cases', group: 'category' }, range(), caseFilters())),
  ]);
  const rows = types.rows.filter((r) => r.region_code === region.code).sort((a, b) => a.rank - b.rank);
  const u = apiURL('/api/types', { region: state.region, window: 'month', latest: '1', level: level, to: state.to, category: state.category, format: 'csv' });
  $('types-csv').href = u.pathname + u.search;
  chart('chart-types').setOption({
    animation: false, tooltip: {}, grid: { left: 140, right: 20, top: 10, bottom: 30 },
    xAxis: { type: 'value' }, yAxis: { type: 'category', inverse: true, data: rows.slice(0, 12).map((r) => r.category_name || r.category) },
    series: [{ type: 'bar', data: rows.slice(0, 12).map((r) => ({ value: r.cases, itemStyle: { color: r.surging ? '#c62828' : '#1565c0' } })) }],
  }, true);
  const totals = catTr.series.map((s) => [s.key, s.points.reduce((a, p) => a + (p.value || 0), 0)]).sort((a, b) => b[1] - a[1]);
  const top = new Set(totals.slice(0, 6).map((x) => x[0]));
  chart('chart-cattrend').setOption(lineOption({ series: catTr.series.filter((s) => top.has(s.key)) }, '件数'), true);
  fillTable('types-table', rows, (row, r) => {
    cell(row, String(r.rank));
    cell(row, r.category_name || r.category);
    cell(row, fmt(r.cases), 'num');
    cell(row, pct(r.share), 'num');
    cell(row, fmt(r.baseline, 1), 'num');
    cell(row, r.growth === null ? '–' : pct(r.growth), 'num');
    cell(row, r.yoy_cases === null ? '–' : fmt(r.yoy_cases), 'num');
    cell(row, r.surging ? '是' : '', r.surging ? 'red' : '');
  });
}

async function renderSupervision(region) {
  const p = Object.assign({ region: state.region }, range());
  const units = await api('/api/supervision/units', p);
  const u = apiURL('/api/supervision/units', Object.assign({}, p, { format: 'csv' }));
  $('sup-csv').href = u.pathname + u.search;
  fillTable('sup-table', units.rows, (row, r) => {
    cell(row, r.assigned_unit || '（未指定）');
    cell(row, r.county_name || r.county_code);
    cell(row, fmt(r.open), 'num');
    cell(row, fmt(r.red), 'num red');
    cell(row, fmt(r.yellow), 'num yellow');
    cell(row, fmt(r.green), 'num green');
    cell(row, fmt(r.rehandle), 'num');
  });
}

// Forecasts ---------------------------------------------------------------

// forecastBand reads the region's weekly forecasts at the latest origin in
// the chosen dates: for weekly case counts of all cases or of a category
// group (the series forecast), nothing otherwise.
async function forecastBand(region) {
  const cat = state.category || 'all';
  const others = FILTERS.some((f) => f !== 'category' && state[f]);
  if (state.gran !== 'week' || state.metric !== 'cases' || others || cat.includes('.')) return [];
  const r = await api('/api/forecasts', Object.assign({ region: state.region, window: 'week', latest: '1', category: cat }, range()));
  return r.rows.filter((f) => f.region_code === region.code && f.category === cat).sort((a, b) => a.horizon - b.horizon);
}

// withForecastBand adds to a one-series trend option the forecast after its
// last period: the point forecast dashed from the last observed week, the
// 80 % and 95 % intervals as stacked bands.
function withForecastBand(opt, band) {
  if (!band.length || opt.series.length !== 1) return opt;
  const periods = opt.xAxis.data.slice();
  for (const f of band) if (!periods.includes(f.period)) periods.push(f.period);
  periods.sort();
  const obs = opt.series[0];
  const by = new Map(opt.xAxis.data.map((p, i) => [p, obs.data[i]]));
  obs.data = periods.map((p) => (by.has(p) ? by.get(p) : null));
  const empty = () => periods.map(() => null);
  const point = empty(); const lo95 = empty(); const w95 = empty(); const lo80 = empty(); const w80 = empty();
  const first = periods.indexOf(band[0].period);
  if (first > 0 && obs.data[first - 1] !== null) point[first - 1] = obs.data[first - 1];
  for (const f of band) {
    const i = periods.indexOf(f.period);
    point[i] = Math.round(f.point);
    lo95[i] = Math.max(0, Math.round(f.lower95)); w95[i] = Math.round(f.upper95) - lo95[i];
    lo80[i] = Math.max(0, Math.round(f.lower80)); w80[i] = Math.round(f.upper80) - lo80[i];
  }
  const helper = (name, stack, data) => ({ name, type: 'line', stack, data, showSymbol: false, silent: true, lineStyle: { opacity: 0 }, tooltip: { show: false } });
  const area = (name, stack, data, opacity) => ({ name, type: 'line', stack, data, showSymbol: false, lineStyle: { opacity: 0 }, areaStyle: { color: '#1565c0', opacity } });
  opt.xAxis.data = periods;
  opt.series = [obs,
    helper('95%区间下限', 'f95', lo95), area('95%区间', 'f95', w95, 0.12),
    helper('80%区间下限', 'f80', lo80), area('80%区间', 'f80', w80, 0.25),
    { name: '预测', type: 'line', data: point, showSymbol: true, lineStyle: { type: 'dashed', color: '#1565c0' }, itemStyle: { color: '#1565c0' } }];
  opt.legend = Object.assign({}, opt.legend, { data: [obs.name, '预测', '80%区间', '95%区间'] });
  return opt;
}

// renderForecast lists the units whose next week's 80 % lower bound is above
// their threshold, and the next week of the region's sub-units.
async function renderForecast(region) {
  const childLevel = LEVEL_KEYS[Math.min(region.level + 1, 4)];
  const [exc, next] = await Promise.all([
    api('/api/forecasts/exceeding', { region: state.region, category: state.category.includes('.') ? '' : state.category }),
    api('/api/forecasts', Object.assign({ region: state.region, window: 'week', latest: '1', category: 'all', horizon: '1', level: childLevel }, range())),
  ]);
  const week = (r) => r.period + ' 起';
  fillTable('fc-exceeding', exc.rows, (row, r) => {
    cell(row, r.region_name || r.region_code);
    cell(row, r.category_name || r.category);
    cell(row, fmt(Math.round(r.point)), 'num');
    cell(row, fmt(Math.max(0, Math.round(r.lower80))) + '–' + fmt(Math.round(r.upper80)), 'num');
    cell(row, fmt(r.threshold, 1), 'num');
    cell(row, String(r.target_end).slice(0, 10));
  });
  const kids = next.rows.filter((r) => r.region_code !== region.code).sort((a, b) => b.point - a.point);
  $('fc-next-title').textContent = (region.short_name || region.name) + ' · 下级区域下周预测' + (kids.length ? '（' + week(kids[0]) + '）' : '');
  fillTable('fc-next', kids, (row, r) => {
    cell(row, r.region_name || r.region_code);
    cell(row, fmt(Math.round(r.point)), 'num');
    cell(row, fmt(Math.max(0, Math.round(r.lower80))) + '–' + fmt(Math.round(r.upper80)), 'num');
    cell(row, fmt(Math.max(0, Math.round(r.lower95))) + '–' + fmt(Math.round(r.upper95)), 'num');
    cell(row, r.model);
  });
}

// renderReview lists the cases the learned classifier was least sure of
// (category_rule model:…, confidence below transform.review_below), for an
// analyst to check; the summaries are masked by the API.
async function renderReview(region) {
  const r = await api('/api/cases', Object.assign({ region: state.region, review: '1', page_size: 50 }, range(), caseFilters()));
  fillTable('review-table', r.rows, (row, c) => {
    cell(row, (c.reported_at || '').replace('T', ' ').slice(0, 16));
    cell(row, c.region_code);
    cell(row, catNames.get(c.category) || c.category);
    cell(row, pct(c.category_confidence), 'num');
    cell(row, (c.category_rule || '').replace(/^model:/, ''));
    cell(row, c.summary || c.category_text || '');
  });
  $('review-note').textContent = '共 ' + fmt(r.total || 0) + ' 件置信度低于 ' + pct(r.review_below) + ' 的案件，此处列出前 50 件。';
}

// renderLinks lists the linked cases of the latest links_day computation
// whose cases all lie in the region: a party (masked: surname and *, or an
// organisation's normalised name) in several cases, towns or villages.
async function renderLinks(region) {
  const r = await api('/api/links', { region: state.region });
  fillTable('links-table', r.rows, (row, l) => {
    cell(row, l.label);
    cell(row, (l.kind_names || []).join('、'));
    cell(row, (l.reason_names || []).join('、'));
    cell(row, fmt(l.case_count), 'num');
    cell(row, fmt(l.town_count), 'num');
    cell(row, fmt(l.village_count), 'num');
    cell(row, l.region_name || l.region_code);
    cell(row, (l.villages || []).join('、'));
    cell(row, (l.first_reported || '').slice(0, 10) + ' — ' + (l.last_reported || '').slice(0, 10));
    cell(row, (l.case_ids || []).join(' '));
  });
  const end = r.rows.length ? (r.rows[0].window_end || '').slice(0, 10) : '';
  $('links-note').textContent = '共 ' + fmt(r.rows.length) + ' 组关联' + (end ? '（截至 ' + end + '，近90天受理的案件）' : '') +
    '。关联依据为由身份证号、联系电话、姓名+村社区或单位名称派生的假名键，不保存原始信息。';
}

// renderEmerging lists the emerging issues of the latest emerging_day
// computation whose town lies in the region: bursts of similar complaints
// in one town within a few days, across categories, with the masked
// summary of the most typical case.
async function renderEmerging(region) {
  const r = await api('/api/emerging', { region: state.region });
  fillTable('emerging-table', r.rows, (row, e) => {
    cell(row, [e.county_name, e.town_name, (e.villages || []).join('、')].filter(Boolean).join(' · '));
    cell(row, fmt(e.count), 'num');
    cell(row, (e.categories || []).join('、'));
    cell(row, (e.first_at || '').slice(0, 16) + ' — ' + (e.last_at || '').slice(0, 16));
    cell(row, e.representative || '');
  });
  const day = r.rows.length ? r.rows[0].date : '';
  $('emerging-note').textContent = '共 ' + fmt(r.rows.length) + ' 个新发问题' + (day ? '（截至 ' + day + '）' : '') +
    '。由每日任务按乡镇比对近几天与此前基线的相似诉求得出；代表性诉求为与其他案件最相似的一件的脱敏摘要。';
}

// Start -------------------------------------------------------------------

function showLogin(msg) {
  $('login').hidden = false;
  $('filters').hidden = true;
  for (const v of VIEWS) $('view-' + v).hidden = true;
  $('login-error').textContent = msg || '';
}

async function start() {
  readURL();
  for (const [k, n] of METRICS) {
    const o = document.createElement('option');
    o.value = k;
    o.textContent = n;
    $('f-metric').appendChild(o);
  }
  for (const a of document.querySelectorAll('#nav a')) {
    a.addEventListener('click', (e) => { e.preventDefault(); setState({ view: a.dataset.view }); });
  }
  const bind = (id, key) => $(id).addEventListener('change', () => setState({ [key]: $(id).value }));
  bind('f-from', 'from');
  bind('f-to', 'to');
  bind('f-gran', 'gran');
  bind('f-metric', 'metric');
  for (const f of FILTERS) bind('f-' + f, f);
  window.addEventListener('popstate', () => { readURL(); render(); });
  window.addEventListener('resize', () => { for (const c of Object.values(charts)) c.resize(); });
  try {
    const r = await api('/api/me');
    me = r.rows[0];
  } catch (e) {
    showLogin(e.status === 401 ? '' : e.message);
    document.body.dataset.ready = 'login';
    return;
  }
  $('who').textContent = me.name + ' · ' + me.role_name + ' · ' + me.region_name;
  $('filters').hidden = false;
  const cats = await api('/api/categories');
  for (const c of cats.rows) catNames.set(c.code, c.name_zh);
  // The review list is for the analysts (and admins).
  document.querySelector('#nav a[data-view=review]').hidden = !(me.role === 'analyst' || me.role === 'admin');
  // So is the linked-cases list (it names case ids).
  document.querySelector('#nav a[data-view=links]').hidden = !(me.role === 'analyst' || me.role === 'admin');
  // And the emerging issues (the analysts' working list; leaders read them in the reports).
  document.querySelector('#nav a[data-view=emerging]').hidden = !(me.role === 'analyst' || me.role === 'admin');
  for (const c of cats.rows) {
    const o = document.createElement('option');
    o.value = c.code;
    o.textContent = (c.parent_code ? '　' : '') + c.name_zh;
    $('f-category').appendChild(o);
  }
  await loadChildren('');
  if (!regionCache.has(me.region_code)) regionCache.set(me.region_code, { code: me.region_code, name: me.region_name, short_name: me.region_name, level: me.region_level, children: 0 });
  writeURL(false);
  await render();
}

start();
