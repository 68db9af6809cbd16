/* segkit charts: draws one view (the JSON of segkit_view, docs/report.md) into an element.
 *
 *   SegkitCharts.draw(element, view) -> [echarts instances]
 *
 * Plain browser JavaScript, no build step: the HTML report inlines this file and the
 * dashboard serves the same bytes (segkit_report_asset("charts.js")). Charts are Apache
 * ECharts (global `echarts`) drawn as SVG, so they print sharp; every chart's numbers are
 * also written as an HTML table below it, for screen readers, print and copying.
 * Colours are Okabe-Ito (safe for the common colour-vision deficiencies), and nothing is
 * told by colour alone: bars carry decal patterns, lines dash styles and symbols, series
 * their names as labels. */
(function (global) {
  'use strict';

  // Okabe & Ito (2008), "Color Universal Design": the eight colours, black last.
  var PALETTE = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#56B4E9', '#CC79A7',
                 '#F0E442', '#000000'];
  var DASHES = ['solid', 'dashed', 'dotted', [8, 3, 2, 3], [2, 6], [12, 4]];
  var SYMBOLS = ['circle', 'rect', 'triangle', 'diamond', 'pin', 'arrow', 'roundRect'];
  // A sequential scale light to dark blue (readable in grey too) for heatmaps.
  var SEQUENTIAL = ['#f7fbff', '#c6dbef', '#6baed6', '#2171b5', '#08306b'];

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) {
      for (var k in attrs) {
        if (Object.prototype.hasOwnProperty.call(attrs, k)) {
          e.setAttribute(k, attrs[k]);
        }
      }
    }
    if (text !== undefined && text !== null) {
      e.textContent = String(text);
    }
    return e;
  }

  function isNum(x) {
    return typeof x === 'number' && isFinite(x);
  }

  function money(x) {
    return isNum(x) ? x.toLocaleString('en-US', {maximumFractionDigits: 0}) : '–';
  }

  function money2(x) {
    return isNum(x) ? x.toLocaleString('en-US', {minimumFractionDigits: 2,
                                                 maximumFractionDigits: 2}) : '–';
  }

  function pct(x, digits) {
    return isNum(x) ? (100 * x).toFixed(digits === undefined ? 1 : digits) + '%' : '–';
  }

  function interval(ci, digits) {
    if (!ci || !isNum(ci[0]) || !isNum(ci[1])) {
      return '';
    }
    return pct(ci[0], digits) + ' – ' + pct(ci[1], digits);
  }

  function int(x) {
    return isNum(x) ? Math.round(x).toLocaleString('en-US') : '–';
  }

  function fixed(x, d) {
    return isNum(x) ? x.toFixed(d) : '–';
  }

  // A table of rows (arrays of cells) with a caption, inside a scrolling wrapper.
  function table(parent, caption, headers, rows) {
    var wrap = el('div', {'class': 'table-wrap'});
    var t = el('table', {'class': 'numbers'});
    t.appendChild(el('caption', null, caption));
    var thead = el('thead');
    var tr = el('tr');
    headers.forEach(function (h) {
      tr.appendChild(el('th', {scope: 'col'}, h));
    });
    thead.appendChild(tr);
    t.appendChild(thead);
    var tbody = el('tbody');
    rows.forEach(function (r) {
      var row = el('tr');
      r.forEach(function (cell, i) {
        // numbers line up on the right, words (rules, names) read from the left
        var numeric = /^[-\u2013+0-9.,%\s\[\]()]*$/.test(String(cell));
        var c = el(i === 0 ? 'th' : 'td', i === 0 ? {scope: 'row'}
                                                  : (numeric ? {'class': 'num'} : null), cell);
        row.appendChild(c);
      });
      tbody.appendChild(row);
    });
    t.appendChild(tbody);
    wrap.appendChild(t);
    parent.appendChild(wrap);
    return t;
  }

  function note(parent, text, cls) {
    parent.appendChild(el('p', {'class': cls || 'note'}, text));
  }

  // A chart container and its echarts instance (SVG renderer), with aria decals on.
  function chart(parent, label, option, height) {
    var box = el('div', {'class': 'chart', role: 'img', 'aria-label': label});
    box.style.height = (height || 320) + 'px';
    parent.appendChild(box);
    var inst = global.echarts.init(box, null, {renderer: 'svg'});
    option.color = option.color || PALETTE;
    option.animation = false;
    option.aria = {enabled: true, label: {description: label}, decal: {show: true}};
    option.textStyle = {fontFamily: 'system-ui, -apple-system, "Segoe UI", sans-serif'};
    if (option.grid === undefined) {
      option.grid = {left: 60, right: 24, top: 40, bottom: 48, containLabel: true};
    }
    inst.setOption(option);
    return inst;
  }

  function kpi(parent, items) {
    var box = el('div', {'class': 'kpis'});
    items.forEach(function (it) {
      var card = el('div', {'class': 'kpi' + (it.warn ? ' warn' : '')});
      card.appendChild(el('div', {'class': 'kpi-label'}, it.label));
      card.appendChild(el('div', {'class': 'kpi-value'}, it.value));
      if (it.sub) {
        card.appendChild(el('div', {'class': 'kpi-sub'}, it.sub));
      }
      box.appendChild(card);
    });
    parent.appendChild(box);
  }

  function lineSeries(name, data, i, extra) {
    var s = {name: name, type: 'line', data: data, symbol: SYMBOLS[i % SYMBOLS.length],
             symbolSize: 6, lineStyle: {type: DASHES[i % DASHES.length], width: 2},
             endLabel: {show: true, formatter: '{a}'}};
    for (var k in extra || {}) {
      s[k] = extra[k];
    }
    return s;
  }

  // ---- views ------------------------------------------------------------------------------

  function overview(body, v) {
    var k = v.kpis;
    kpi(body, [
      {label: 'Paying customers', value: int(k.customers),
       sub: v.customers_total !== undefined ? 'of ' + int(v.customers_total) + ' in ' +
             v.customers_dataset : 'at the end of ' + v.to},
      {label: 'MRR', value: money(k.mrr), sub: 'ARR ' + money(k.arr)},
      {label: 'Monthly logo churn', value: pct(k.monthly_churn, 2),
       sub: '95% CI ' + interval(k.monthly_churn_ci, 2), warn: k.too_small},
      {label: 'NRR over ' + v.months + ' months', value: pct(k.nrr),
       sub: '95% CI ' + interval(k.nrr_ci)},
      {label: 'ARPU', value: money2(k.arpu), sub: 'per paying customer a month'},
      {label: 'MRR growth', value: pct(k.mrr_growth), sub: v.from + ' to ' + v.to}
    ]);
    var charts = [];
    var months = v.series.map(function (m) { return m.month; });
    var series = [
      lineSeries('MRR', v.series.map(function (m) { return m.mrr; }), 0, {yAxisIndex: 0}),
      {name: 'customers', type: 'bar', yAxisIndex: 1, barMaxWidth: 24,
       data: v.series.map(function (m) { return m.customers; }), itemStyle: {opacity: 0.45}}
    ];
    charts.push(chart(body, 'MRR and paying customers by month, ' + v.from + ' to ' + v.to, {
      tooltip: {trigger: 'axis'}, legend: {top: 0},
      xAxis: {type: 'category', data: months},
      yAxis: [{type: 'value', name: 'MRR'}, {type: 'value', name: 'customers',
                                             splitLine: {show: false}}],
      series: series}));
    if (v.groups) {
      var lines = v.groups.map(function (g, i) {
        return lineSeries(g.name, (g.series || []).map(function (m) { return m.logo_churn; }), i);
      });
      charts.push(chart(body, 'Monthly logo churn, segment ' + v.segment + ' against the rest', {
        tooltip: {trigger: 'axis', valueFormatter: function (x) { return pct(x, 2); }},
        legend: {top: 0}, xAxis: {type: 'category', data: months},
        yAxis: {type: 'value', axisLabel: {formatter: function (x) { return pct(x, 1); }}},
        series: lines}));
      table(body, 'Segment ' + v.segment + ' against the rest, ' + v.from + ' to ' + v.to,
            ['group', 'paying customers', 'MRR', 'monthly churn', '95% CI', 'NRR', '95% CI',
             'note'],
            v.groups.map(function (g) {
              var q = g.kpis || {};
              return [g.name, int(q.customers), money(q.mrr), pct(q.monthly_churn, 2),
                      interval(q.monthly_churn_ci, 2), pct(q.nrr), interval(q.nrr_ci),
                      q.too_small ? 'too small to conclude (n < ' + v.min_customers + ')' : ''];
            }));
    }
    table(body, 'Month by month', ['month', 'MRR', 'paying customers', 'ARPU', 'logo churn',
                                   'NRR'],
          v.series.map(function (m) {
            return [m.month, money(m.mrr), int(m.customers), money2(m.arpu),
                    pct(m.logo_churn, 2), pct(m.nrr)];
          }));
    if (v.rows_skipped > 0) {
      note(body, v.rows_skipped + ' subscription rows were left out (a required value missing, ' +
           'or ending before they start).');
    }
    return charts;
  }

  function segments(body, v) {
    var rows = v.segments;
    var charts = [];
    var counted = rows.filter(function (s) { return isNum(s.count); });
    if (counted.length > 0) {
      charts.push(chart(body, 'Customers per stored segment', {
        tooltip: {trigger: 'axis'},
        grid: {left: 24, right: 48, top: 16, bottom: 16, containLabel: true},
        xAxis: {type: 'value'},
        yAxis: {type: 'category', data: counted.map(function (s) { return s.name; }),
                inverse: true},
        series: [{name: 'members', type: 'bar', barMaxWidth: 28,
                  data: counted.map(function (s) { return s.count; }),
                  label: {show: true, position: 'right'}}]},
        Math.max(160, 40 * counted.length + 40)));
    }
    note(body, 'Members are the customers each rule picks ' + (v.as_of ? 'as of ' + v.as_of
         : 'now') + '; their churn over ' + v.from + ' to ' + v.to + ' counts customers who ' +
         'are still members, so segments of current customers show little churn by ' +
         'construction. Compare cohorts and survival for how a segment retains.');
    table(body, 'Stored segments (' + v.from + ' to ' + v.to + ' for MRR and churn)',
          ['segment', 'members', 'share', 'MRR', 'monthly churn', '95% CI', 'rest churn',
           'rule', 'note'],
          rows.map(function (s) {
            var notes = [];
            if (s.too_small || s.churn_too_small) {
              notes.push('too small to conclude (n < ' + v.min_customers + ')');
            }
            if (s.error) {
              notes.push(s.error);
            }
            return [s.name, int(s.count), pct(s.share), money(s.mrr), pct(s.monthly_churn, 2),
                    interval(s.monthly_churn_ci, 2), pct(s.rest_monthly_churn, 2), s.rule,
                    notes.join('; ')];
          }));
    return charts;
  }

  function movementsChart(body, months, label) {
    var x = months.map(function (m) { return m.month; });
    var pos = ['new', 'expansion', 'reactivation'];
    var neg = ['contraction', 'churned'];
    var series = pos.map(function (k) {
      return {name: k, type: 'bar', stack: 'up', barMaxWidth: 32,
              data: months.map(function (m) { return m[k]; })};
    }).concat(neg.map(function (k) {
      return {name: k, type: 'bar', stack: 'down', barMaxWidth: 32,
              data: months.map(function (m) { return -m[k]; })};
    }));
    series.push(lineSeries('net', months.map(function (m) { return m.end - m.start; }), 0,
                           {color: '#000000', z: 5}));
    return chart(body, label, {
      tooltip: {trigger: 'axis', valueFormatter: money}, legend: {top: 0},
      xAxis: {type: 'category', data: x}, yAxis: {type: 'value', name: 'MRR change'},
      series: series});
  }

  function movements(body, v) {
    var charts = [movementsChart(body, v.months, 'MRR movements by month, ' + v.from + ' to ' +
                                 v.to + ' (contraction and churn below zero)')];
    (v.groups || []).forEach(function (g) {
      charts.push(movementsChart(body, g.months, 'MRR movements of ' +
                                 (g.name === 'member' ? 'segment ' + v.segment : 'the rest')));
    });
    table(body, 'MRR movements (' + v.currency_note + ')',
          ['month', 'start', 'new', 'expansion', 'reactivation', 'contraction', 'churned',
           'end', 'new customers', 'churned customers'],
          v.months.map(function (m) {
            return [m.month, money(m.start), money(m.new), money(m.expansion),
                    money(m.reactivation), money(m.contraction), money(m.churned), money(m.end),
                    int(m.new_customers), int(m.churned_customers)];
          }));
    note(body, v.reconciles ? 'Every month reconciles exactly: start + new + expansion + ' +
         'reactivation − contraction − churned = end.' : 'The months do not reconcile.');
    return charts;
  }

  function cohorts(body, v) {
    var rows = v.cohorts;
    var maxK = 0;
    rows.forEach(function (c) { maxK = Math.max(maxK, c.retention.length); });
    var ks = [];
    for (var k = 0; k < maxK; k++) {
      ks.push('m' + k);
    }
    var data = [];
    rows.forEach(function (c, i) {
      c.retention.forEach(function (x, j) {
        if (isNum(x)) {
          data.push([j, i, Math.round(1000 * x) / 10]);
        }
      });
    });
    var maxV = v.metric === 'revenue' ? 150 : 100;
    var charts = [chart(body, v.metric + ' retention by ' + (v.by === 'month' ?
                  'signup month' : 'segment') + ', months since start', {
      tooltip: {position: 'top', formatter: function (p) {
        return rows[p.value[1]].cohort + ', m' + p.value[0] + ': ' + p.value[2] + '%';
      }},
      grid: {left: 8, right: 16, top: 16, bottom: 72, containLabel: true},
      xAxis: {type: 'category', data: ks, splitArea: {show: true}},
      yAxis: {type: 'category', data: rows.map(function (c) { return c.cohort; }),
              inverse: true},
      visualMap: {min: 0, max: maxV, calculable: false, orient: 'horizontal', left: 'center',
                  bottom: 0, inRange: {color: SEQUENTIAL}, text: [maxV + '%', '0%']},
      series: [{name: v.metric + ' retention', type: 'heatmap', data: data,
                itemStyle: {decal: {symbol: 'none'}},
                label: {show: rows.length <= 24 && maxK <= 13, fontSize: 9,
                        formatter: function (p) { return Math.round(p.value[2]); }}}]},
      Math.max(240, 18 * rows.length + 120))];
    table(body, v.metric + ' retention, % of ' + (v.metric === 'revenue' ?
          'month-0 MRR' : 'the cohort') + ' (customers observed that long)',
          ['cohort', 'size'].concat(ks),
          rows.map(function (c) {
            var cells = [String(c.cohort) + (c.too_small ? ' (small)' : ''), int(c.size)];
            for (var j = 0; j < maxK; j++) {
              cells.push(j < c.retention.length ? pct(c.retention[j], 0) : '');
            }
            return cells;
          }));
    var notes = [];
    if (v.cohorts_total > rows.length) {
      notes.push('The latest ' + rows.length + ' of ' + v.cohorts_total + ' cohorts are shown.');
    }
    if (v.left_out > 0) {
      notes.push(int(v.left_out) + ' customers paying before the first month have no cohort.');
    }
    if (notes.length) {
      note(body, notes.join(' '));
    }
    return charts;
  }

  function survival(body, v) {
    var series = [];
    v.groups.forEach(function (g, i) {
      var pts = [[0, 1]].concat(g.curve.map(function (p) { return [p.time, p.survival]; }));
      // The band as one rectangle per step of the curve: from a point's time to the next
      // one's, between its lower and upper limits (a custom series, so nothing is stacked).
      var steps = [];
      g.curve.forEach(function (p, j) {
        var next = j + 1 < g.curve.length ? g.curve[j + 1].time : p.time;
        if (isNum(p.lower) && isNum(p.upper) && next > p.time) {
          steps.push([p.time, next, p.lower, p.upper]);
        }
      });
      var colour = PALETTE[i % PALETTE.length];
      series.push({name: g.name + ' 95% band', type: 'custom', data: steps, silent: true,
                   encode: {x: [0, 1], y: [2, 3]}, tooltip: {show: false}, z: 1,
                   renderItem: function (params, api) {
                     var a = api.coord([api.value(0), api.value(3)]);
                     var b = api.coord([api.value(1), api.value(2)]);
                     return {type: 'rect', shape: {x: a[0], y: a[1], width: b[0] - a[0],
                                                   height: b[1] - a[1]},
                             style: {fill: colour, opacity: 0.16}};
                   }});
      series.push(lineSeries(g.name + (g.too_small ? ' (small)' : ''), pts, i,
                             {step: 'end', color: colour, showSymbol: false, z: 3}));
    });
    var charts = [chart(body, 'Kaplan-Meier survival by ' + (v.by || 'customer') +
                        ', months since the first paid month, with 95% bands', {
      tooltip: {trigger: 'axis', valueFormatter: function (x) { return pct(x, 1); }},
      legend: {top: 0, data: series.filter(function (s) { return s.type === 'line'; })
                                    .map(function (s) { return s.name; })},
      xAxis: {type: 'value', name: 'months since the first paid month', nameLocation: 'middle',
              nameGap: 28, min: 0},
      yAxis: {type: 'value', min: 0, max: 1,
              axisLabel: {formatter: function (x) { return pct(x, 0); }}},
      series: series}, 360)];
    var longest = 0;
    v.groups.forEach(function (g) {
      if (g.curve.length) {
        longest = Math.max(longest, g.curve[g.curve.length - 1].time);
      }
    });
    var at = [12, 24, 36].filter(function (t) { return t <= longest; });
    function sAt(g, t) {
      var p = null;
      g.curve.forEach(function (q) { if (q.time <= t) { p = q; } });
      return p ? pct(p.survival) + (isNum(p.lower) ? ' [' + pct(p.lower) + ', ' + pct(p.upper) +
                                    ']' : '') : '100%';
    }
    table(body, 'Survival with 95% bands (log scale, Greenwood)',
          ['group', 'customers', 'churned', 'median (months)'].concat(
              at.map(function (t) { return 'S(' + t + ')'; })),
          v.groups.map(function (g) {
            return [g.name + (g.too_small ? ' (too small)' : ''), int(g.n), int(g.events),
                    isNum(g.median) ? fixed(g.median, 0) : 'not reached'].concat(
                at.map(function (t) { return sAt(g, t); }));
          }));
    if (v.logrank) {
      note(body, 'Log-rank test: chi-square ' + fixed(v.logrank.chi2, 1) + ', df ' +
           v.logrank.df + ', p = ' + (isNum(v.logrank.p) ? v.logrank.p.toPrecision(2) : '–') +
           (v.logrank.p < 0.05 ? ' (the curves differ).' : ' (no difference shown).'));
    }
    return charts;
  }

  function rfm(body, v) {
    var data = v.cells.map(function (c) { return [c.f - 1, c.r - 1, c.count]; });
    var max = 0;
    v.cells.forEach(function (c) { max = Math.max(max, c.count); });
    var byCell = {};
    v.cells.forEach(function (c) { byCell[(c.r - 1) + ',' + (c.f - 1)] = c; });
    var charts = [chart(body, 'RFM grid: customers by recency score (rows) and frequency ' +
                        'score (columns), with the commonest named segment', {
      tooltip: {formatter: function (p) {
        var c = byCell[p.value[1] + ',' + p.value[0]];
        return 'R ' + c.r + ', F ' + c.f + ': ' + int(c.count) + ' (' + (c.segment || '–') + ')';
      }},
      grid: {left: 24, right: 16, top: 16, bottom: 80, containLabel: true},
      xAxis: {type: 'category', name: 'frequency score (5 = most purchases)',
              nameLocation: 'middle', nameGap: 28, data: ['1', '2', '3', '4', '5']},
      yAxis: {type: 'category', name: 'recency score (5 = most recent)', nameLocation: 'middle',
              nameGap: 28, data: ['1', '2', '3', '4', '5']},
      visualMap: {min: 0, max: Math.max(1, max), orient: 'horizontal', left: 'center',
                  bottom: 0, inRange: {color: SEQUENTIAL}},
      series: [{name: 'customers', type: 'heatmap', data: data, itemStyle: {decal: {symbol: 'none'}},
                label: {show: true, fontSize: 10, formatter: function (p) {
                  var c = byCell[p.value[1] + ',' + p.value[0]];
                  return int(c.count) + '\n' + (c.segment || '');
                }}}]}, 380)];
    charts.push(chart(body, 'Customers per RFM segment', {
      tooltip: {trigger: 'axis'},
      grid: {left: 24, right: 56, top: 16, bottom: 16, containLabel: true},
      xAxis: {type: 'value'},
      yAxis: {type: 'category', inverse: true,
              data: v.segments.map(function (s) { return s.name; })},
      series: [{name: 'customers', type: 'bar', barMaxWidth: 24,
                data: v.segments.map(function (s) { return s.count; }),
                label: {show: true, position: 'right'}}]},
      Math.max(200, 28 * v.segments.length + 40)));
    table(body, 'RFM segments (' + int(v.customers) + ' customers, from ' + v.source + ')',
          ['segment', 'customers', 'share', 'mean days since purchase', 'mean purchases',
           'mean net revenue'],
          v.segments.map(function (s) {
            return [s.name + (s.too_small ? ' (small)' : ''), int(s.count), pct(s.share),
                    fixed(s.mean_recency_days, 0), fixed(s.mean_frequency, 1),
                    money(s.mean_monetary)];
          }));
    return charts;
  }

  function clusterMap(body, v, what) {
    var k = v.clusters.length;
    var series = [];
    for (var c = 0; c < k; c++) {
      var name = v.clusters[c].name;
      series.push({name: name, type: 'scatter', symbol: SYMBOLS[c % SYMBOLS.length],
                   symbolSize: 5, itemStyle: {opacity: 0.6},
                   data: v.points.filter(function (p) { return p[2] === c + 1; })
                                 .map(function (p) { return [p[0], p[1]]; })});
    }
    if (v.map_centroids) {
      series.push({name: 'centres', type: 'scatter', symbol: 'diamond', symbolSize: 16,
                   itemStyle: {color: '#000000', borderColor: '#ffffff', borderWidth: 2},
                   label: {show: true, position: 'right', fontWeight: 'bold',
                           formatter: function (p) { return String(p.dataIndex + 1); }},
                   data: v.map_centroids, z: 5});
    }
    var ex = v.map_explained || [];
    return chart(body, what + ': the first two principal components of the fitted space (' +
                 pct(ex[0], 0) + ' and ' + pct(ex[1], 0) + ' of its variance), ' +
                 v.points.length + ' of ' + int(v.points_of) + ' rows', {
      tooltip: {trigger: 'item'}, legend: {top: 0, type: 'scroll'},
      xAxis: {type: 'value', name: 'PC1', scale: true, nameLocation: 'middle', nameGap: 28},
      yAxis: {type: 'value', name: 'PC2', scale: true, nameLocation: 'middle', nameGap: 36},
      series: series}, 400);
  }

  function profileTable(body, v, caption) {
    var feats = v.clusters.length ? v.clusters[0].features.map(function (f) {
      return f.feature;
    }) : [];
    table(body, caption, ['cluster', 'rows', 'share'].concat(feats),
          v.clusters.map(function (c) {
            var label = c.name === 'cluster ' + c.cluster ? c.name : c.cluster + ' ' + c.name;
            return [label + (c.too_small ? ' (small)' : ''), int(c.size),
                    pct(c.share)].concat(c.features.map(function (f) {
                      return fixed(f.value, 2) + (isNum(f.index) ? ' (' + Math.round(f.index) +
                                                  ')' : '');
                    }));
          }));
  }

  function sizesChart(body, v, label) {
    return chart(body, label, {
      tooltip: {trigger: 'axis', valueFormatter: function (x) { return pct(x, 1); }},
      grid: {left: 24, right: 56, top: 16, bottom: 16, containLabel: true},
      xAxis: {type: 'value', axisLabel: {formatter: function (x) { return pct(x, 0); }}},
      yAxis: {type: 'category', inverse: true,
              data: v.clusters.map(function (c) { return c.name; })},
      series: [{name: 'share', type: 'bar', barMaxWidth: 24,
                data: v.clusters.map(function (c) { return c.share; }),
                label: {show: true, position: 'right',
                        formatter: function (p) { return pct(p.value, 1); }}}]},
      Math.max(160, 32 * v.clusters.length + 40));
  }

  function clusters(body, v) {
    var charts = [clusterMap(body, v, 'Cluster map of model ' + v.model)];
    charts.push(sizesChart(body, v, 'Share of rows per cluster'));
    profileTable(body, v, v.method + ', k = ' + v.k + ' on ' + int(v.rows) + ' rows of ' +
                 v.dataset + ': centres in original units (index against the average, 100 = ' +
                 'average)' + (isNum(v.silhouette) ? '; silhouette ' + fixed(v.silhouette, 2)
                                                   : ''));
    return charts;
  }

  function clv(body, v) {
    var charts = [];
    function hist(d, label, fmt) {
      return chart(body, label, {
        tooltip: {trigger: 'axis'},
        xAxis: {type: 'category', name: '', axisLabel: {rotate: 45},
                data: d.histogram.map(function (b, i) {
                  return fmt(b.from) + (i === d.histogram.length - 1 && d.last_bin_open ? '+' : '');
                })},
        yAxis: {type: 'value', name: 'customers'},
        series: [{name: 'customers', type: 'bar', barCategoryGap: '8%',
                  data: d.histogram.map(function (b) { return b.count; })}]});
    }
    if (v.p_alive && v.p_alive.n > 0) {
      charts.push(hist(v.p_alive, 'Probability each customer is still active (P(alive))',
                       function (x) { return x.toFixed(2); }));
    }
    if (v.value && v.value.n > 0) {
      charts.push(hist(v.value, 'Predicted customer value over the horizon (the last bar ' +
                       'holds the top 1%)', money));
    }
    var rows = [];
    [['P(alive)', v.p_alive, function (x) { return fixed(x, 3); }],
     ['predicted value', v.value, money2],
     ['expected purchases', v.expected_purchases, function (x) { return fixed(x, 2); }]]
        .forEach(function (r) {
          if (r[1] && r[1].n > 0) {
            rows.push([r[0], int(r[1].n), r[2](r[1].mean), r[2](r[1].p10), r[2](r[1].median),
                       r[2](r[1].p90), r[2](r[1].sum)]);
          }
        });
    table(body, 'Customer value (' + v.source + ')',
          ['measure', 'customers', 'mean', '10th pct', 'median', '90th pct', 'total'], rows);
    if (v.value_reason) {
      note(body, v.value_reason + '.');
    }
    if (v.p_alive_bands) {
      table(body, 'Customers by P(alive) band', ['band', 'customers'],
            v.p_alive_bands.map(function (b) { return [b.band, int(b.customers)]; }));
    }
    return charts;
  }

  function survey(body, v) {
    var charts = [sizesChart(body, v, 'Share of respondents per survey segment')];
    charts.push(clusterMap(body, v, 'Survey segments of ' + v.dataset));
    profileTable(body, v, 'Segment profiles: mean answer per item (index against the ' +
                 'average)');
    if (v.bridge) {
      var b = v.bridge.segments;
      charts.push(chart(body, 'Our customers against the market, by segment', {
        tooltip: {trigger: 'axis', valueFormatter: function (x) { return pct(x, 1); }},
        legend: {top: 0},
        grid: {left: 24, right: 56, top: 36, bottom: 16, containLabel: true},
        xAxis: {type: 'value', axisLabel: {formatter: function (x) { return pct(x, 0); }}},
        yAxis: {type: 'category', inverse: true, data: b.map(function (s) { return s.segment; })},
        series: [{name: 'market', type: 'bar', data: b.map(function (s) { return s.market_share; })},
                 {name: 'our customers', type: 'bar',
                  data: b.map(function (s) { return s.customer_share; })}]},
        Math.max(200, 48 * b.length + 60)));
      table(body, 'The bridge: ' + int(v.bridge.typed) + ' customers of ' +
            v.bridge.customers_dataset + ' typed with model ' + v.typing_model,
            ['segment', 'market share', '95% CI', 'customers', 'customer share', 'index'],
            b.map(function (s) {
              return [s.segment, pct(s.market_share), interval(s.market_ci), int(s.customers),
                      pct(s.customer_share), fixed(s.index, 0)];
            }));
    } else if (v.bridge_reason) {
      note(body, 'No bridge to customers: ' + v.bridge_reason + '.');
    }
    return charts;
  }

  // One family of findings: the sentences, a chart of each segment's rate against the
  // rest's, and the numbers.
  function findingsBlock(body, heading, list, tests, digits) {
    body.appendChild(el('h3', null, heading));
    var ul = el('ul', {'class': 'findings'});
    list.forEach(function (f) {
      ul.appendChild(el('li', null, f.text));
    });
    if (list.length === 0) {
      ul.appendChild(el('li', null, 'No segment differs from the rest by more than chance ' +
                        'allows (' + tests + ' comparisons).'));
    }
    body.appendChild(ul);
    if (list.length === 0) {
      return [];
    }
    // Rates share one axis in percent; lifetime values (money) get their own chart.
    var isMoney = function (x) { return x.kind === 'ltv'; };
    var charts = [];
    var groups = [[list.filter(function (x) { return !isMoney(x); }), false],
                  [list.filter(isMoney), true]];
    groups.forEach(function (g) {
      var f = g[0].slice(0, 12);
      if (f.length === 0) {
        return;
      }
      var fmt = g[1] ? money : function (x) { return pct(x, digits); };
      charts.push(chart(body, heading + (g[1] ? ': lifetime value (ARPU / churn), each ' +
                                                'segment against the rest'
                                              : ': each segment against the rest'), {
        tooltip: {trigger: 'axis', valueFormatter: fmt},
        legend: {top: 0},
        grid: {left: 24, right: 64, top: 36, bottom: 16, containLabel: true},
        xAxis: {type: g[1] ? 'log' : 'value', axisLabel: {formatter: fmt}},
        yAxis: {type: 'category', inverse: true,
                data: f.map(function (x) {
                  return x.dimension + ' = ' + x.segment +
                         (x.kind === 'nrr' ? ' (NRR)' : '');
                })},
        series: [{name: 'segment', type: 'bar', data: f.map(function (x) { return x.rate; }),
                  label: {show: true, position: 'right',
                          formatter: function (p) { return fmt(p.value); }}},
                 {name: 'rest', type: 'bar',
                  data: f.map(function (x) { return x.rest_rate; })}]},
        Math.max(200, 56 * f.length + 60)));
    });
    var value = function (x, v) { return isMoney(x) ? money(v) : pct(v, digits); };
    var range = function (x, ci) {
      if (!isMoney(x)) {
        return interval(ci, digits);
      }
      return ci && isNum(ci[0]) && isNum(ci[1]) ? money(ci[0]) + ' – ' + money(ci[1]) : '';
    };
    table(body, heading + ' (' + tests + ' comparisons, Benjamini-Hochberg at 0.05; 95% ' +
          'intervals)',
          ['segment', 'measure', 'customers', 'value', '95% CI', 'rest', '95% CI', 'ratio',
           'adjusted p'],
          list.map(function (x) {
            return [x.dimension + ' = ' + x.segment,
                    isMoney(x) ? 'LTV' : x.kind.replace('_', ' '), int(x.customers),
                    value(x, x.rate), range(x, x.ci), value(x, x.rest_rate),
                    range(x, x.rest_ci), fixed(x.ratio, 2),
                    isNum(x.p_adjusted) ? x.p_adjusted.toPrecision(2) : '–'];
          }));
    return charts;
  }

  function insights(body, v) {
    var charts = [];
    var sf = v.segment_findings;
    if (sf) {
      charts = charts.concat(findingsBlock(body, 'Churn per month, LTV and NRR, ' + sf.from +
                                           ' to ' + sf.to, sf.findings, sf.tests, 2));
    }
    charts = charts.concat(findingsBlock(body, 'Share of customers ever churned, by what ' +
                                         'they started on and who they are', v.findings,
                                         v.tests, 1));
    var sc = v.segment_changes;
    if (sc && sc.segments.length) {
      table(body,
            'Stored segments since their last snapshot (every member counted: a change ' +
                'is a count, not an estimate)',
            [ 'segment', 'snapshot', 'members then', 'now', 'change', 'entered', 'left' ],
            sc.segments.map(function(s) {
              return [
                s.segment, s.snapshot + ' (' + s.taken_at.slice(0, 10) + ')', int(s.members_then),
                int(s.members_now),
                isNum(s.change) ? (s.change >= 0 ? '+' : '') + pct(s.change, 1) : 'new',
                int(s.entered), int(s.left)
              ];
            }));
    }
    if (sc && sc.without_snapshot.length) {
      note(body, 'No snapshot to compare with yet (segkit segment snapshot NAME): ' +
                     sc.without_snapshot.join(', ') + '.');
    }
    if (v.too_small && v.too_small.length) {
      note(body, 'Too small to trust (fewer than ' + v.min_customers + ' customers): ' +
           v.too_small.map(function (s) {
             return s.dimension + ' = ' + s.segment + ' (n = ' + s.customers + ')';
           }).join(', ') + '.');
    }
    return charts;
  }

  var DRAW = {overview: overview, segments: segments, mrr_movements: movements,
              cohorts: cohorts, survival: survival, rfm: rfm, clusters: clusters, clv: clv,
              survey: survey, insights: insights};

  function draw(element, view) {
    while (element.firstChild) {
      element.removeChild(element.firstChild);
    }
    element.classList.add('segkit-view');
    element.setAttribute('data-view', view.view);
    var title = view.title + (view.segment ? ': segment ' + view.segment + ' against the rest'
                                           : '');
    element.appendChild(el('h2', null, title));
    var body = el('div', {'class': 'view-body'});
    element.appendChild(body);
    if (!view.available) {
      element.classList.add('unavailable');
      note(body, view.reason || 'Not available.', 'unavailable-reason');
      return [];
    }
    var fn = DRAW[view.view];
    if (!fn) {
      note(body, 'This version of charts.js does not know the view "' + view.view + '".');
      return [];
    }
    return fn(body, view);
  }

  // Charts follow their box's width (a phone turned, a window resized) and are redrawn at
  // the printed page's width before printing.
  function printable(charts) {
    var resize = function () {
      charts.forEach(function (c) { c.resize(); });
    };
    global.addEventListener('resize', resize);
    global.addEventListener('beforeprint', resize);
    global.addEventListener('afterprint', resize);
    if (global.matchMedia) {
      var mq = global.matchMedia('print');
      if (mq.addEventListener) {
        mq.addEventListener('change', resize);
      }
    }
  }

  global.SegkitCharts = {draw: draw, printable: printable, palette: PALETTE};
})(typeof window !== 'undefined' ? window : this);
