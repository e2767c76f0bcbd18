/* The corpus page: filters (outlet, months, technique) over the embedded data, and the plots (inline
   SVG) and tables drawn again from the articles the filters keep. No network, no library. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var techniques = data.techniques;
  var byId = {};
  techniques.forEach(function (t) { byId[t.id] = t; });
  var MONTHS = ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."];
  var SVG = "http://www.w3.org/2000/svg";
  var form = document.getElementById("filters");

  function number(value, digits) {
    return value.toLocaleString("fr-FR", { maximumFractionDigits: digits === undefined ? 1 : digits });
  }
  function percent(part, whole) { return whole ? number(100 * part / whole) + "\u202f%" : "—"; }
  function monthName(month) {
    var parts = month.split("-");
    return MONTHS[parseInt(parts[1], 10) - 1] + " " + parts[0];
  }
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }
  function svgEl(tag, attrs, text) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function put(id, node) {
    var box = document.getElementById(id);
    box.textContent = "";
    box.appendChild(node);
  }
  function empty(text) { return el("p", { "class": "note" }, [text || "Aucun article dans la sélection."]); }

  function selection() {
    var outlet = form.elements.outlet.value, from = form.elements.from.value, to = form.elements.to.value;
    var technique = form.elements.technique.value || null;
    var kept = data.articles.filter(function (a) {
      if (form.elements.outlet.selectedIndex > 0 && a.outlet !== outlet) return false;
      if (from && (!a.month || a.month < from)) return false;
      if (to && (!a.month || a.month > to)) return false;
      return true;
    });
    return { articles: kept, technique: technique };
  }
  // What an article counts: sentences with the chosen technique, or technique marks of every kind.
  function marks(article, technique) {
    if (technique) return article.techniques[technique] || 0;
    return Object.keys(article.techniques).reduce(function (sum, id) { return sum + article.techniques[id]; }, 0);
  }
  function flagged(article, technique) { return technique ? (article.techniques[technique] || 0) : article.flagged; }

  function groupBy(articles, key) {
    var groups = {};
    articles.forEach(function (a) {
      var name = key(a);
      (groups[name] = groups[name] || []).push(a);
    });
    return groups;
  }
  function stats(articles, technique) {
    var sentences = 0, flaggedSentences = 0, count = 0, scores = [];
    articles.forEach(function (a) {
      sentences += a.sentences;
      flaggedSentences += flagged(a, technique);
      count += marks(a, technique);
      if (a.score !== null && a.score !== undefined) scores.push(a.score);
    });
    return { articles: articles.length, sentences: sentences, flagged: flaggedSentences, marks: count,
             perArticle: articles.length ? count / articles.length : 0,
             score: scores.length ? scores.reduce(function (s, v) { return s + v; }, 0) / scores.length : null };
  }
  function bandOf(score) {
    for (var i = 0; i < data.bands.length; i++) if (score >= data.bands[i].low) return data.bands[i];
    return data.bands[data.bands.length - 1];
  }

  // Horizontal bars: rows of {label, value, text, colour, title, faded}.
  function hbars(rows, max, options) {
    options = options || {};
    var labelWidth = options.labelWidth || 210, barWidth = 230, row = 24, top = options.thresholds ? 16 : 4;
    var width = labelWidth + barWidth + 80, height = top + rows.length * row + 4;
    var svg = svgEl("svg", { viewBox: "0 0 " + width + " " + height, width: "100%", role: "img",
                             "aria-label": options.label || "" });
    (options.thresholds || []).forEach(function (t) {
      var x = labelWidth + barWidth * t.value / max;
      svg.appendChild(svgEl("line", { x1: x, x2: x, y1: top - 4, y2: height, "class": "threshold" }));
      svg.appendChild(svgEl("text", { x: x + 3, y: 10, "font-size": 10, "class": "muted" }, t.label));
    });
    rows.forEach(function (r, i) {
      var y = top + i * row;
      var group = svgEl("g", { opacity: r.faded ? 0.3 : 1 });
      group.appendChild(svgEl("title", {}, r.title || r.label));
      group.appendChild(svgEl("text", { x: labelWidth - 8, y: y + 16, "text-anchor": "end", "font-size": 13 },
                              r.label.length > 32 ? r.label.slice(0, 31) + "…" : r.label));
      var w = max ? Math.max(1, barWidth * r.value / max) : 0;
      group.appendChild(svgEl("rect", { x: labelWidth, y: y + 4, width: w, height: row - 8, rx: 2, fill: r.colour }));
      group.appendChild(svgEl("text", { x: labelWidth + w + 6, y: y + 16, "font-size": 12 }, r.text));
      svg.appendChild(group);
    });
    svg.appendChild(svgEl("line", { x1: labelWidth, x2: labelWidth, y1: top, y2: height - 4, "class": "axis" }));
    return svg;
  }

  // Vertical bars per month: {label, sub, value, text, title}; the month under its bar, the year and
  // the number of articles under it.
  function vbars(rows, colour, label) {
    var left = 8, step = Math.max(44, Math.min(80, 1000 / Math.max(1, rows.length))), plot = 150, top = 18;
    var width = Math.max(320, left + rows.length * step + 8), height = top + plot + 48;
    var max = Math.max.apply(null, rows.map(function (r) { return r.value; }).concat([0.0001]));
    // Never drawn narrower than its viewBox: many months scroll sideways rather than shrink.
    var svg = svgEl("svg", { viewBox: "0 0 " + width + " " + height, width: width, height: height, role: "img",
                             "aria-label": label });
    svg.appendChild(svgEl("line", { x1: left, x2: left + rows.length * step, y1: top + plot, y2: top + plot,
                                    "class": "axis" }));
    rows.forEach(function (r, i) {
      var h = plot * r.value / max, x = left + i * step + 5, w = step - 10, middle = x + w / 2;
      var group = svgEl("g", {});
      group.appendChild(svgEl("title", {}, r.title));
      group.appendChild(svgEl("rect", { x: x, y: top + plot - h, width: w, height: h, rx: 2, fill: colour }));
      group.appendChild(svgEl("text", { x: middle, y: top + plot - h - 4, "text-anchor": "middle", "font-size": 12 },
                              r.text));
      group.appendChild(svgEl("text", { x: middle, y: top + plot + 15, "text-anchor": "middle", "font-size": 12 },
                              r.label));
      r.sub.forEach(function (line, n) {
        group.appendChild(svgEl("text", { x: middle, y: top + plot + 29 + 12 * n, "text-anchor": "middle",
                                          "font-size": 10, "class": "muted" }, line));
      });
      svg.appendChild(group);
    });
    return svg;
  }

  function table(headers, rows) {
    var head = el("tr", {}, headers.map(function (h, i) {
      return el("th", i ? { "class": "num" } : {}, [h]);
    }));
    var body = rows.map(function (cells) {
      return el("tr", {}, cells.map(function (c, i) { return el("td", i ? { "class": "num" } : {}, [String(c)]); }));
    });
    return el("table", {}, [el("thead", {}, [head]), el("tbody", {}, body)]);
  }

  function drawTechniques(sel) {
    var totals = {}, sentences = 0;
    sel.articles.forEach(function (a) {
      sentences += a.sentences;
      Object.keys(a.techniques).forEach(function (id) { totals[id] = (totals[id] || 0) + a.techniques[id]; });
    });
    var rows = techniques.filter(function (t) { return totals[t.id]; })
      .sort(function (a, b) { return totals[b.id] - totals[a.id]; }).slice(0, 15)
      .map(function (t) {
        return { label: t.name, value: totals[t.id], colour: t.colour, faded: sel.technique && sel.technique !== t.id,
                 text: number(totals[t.id], 0) + " (" + percent(totals[t.id], sentences) + ")",
                 title: t.name + " (" + t.category + ") : " + t.definition };
      });
    put("chart-techniques", rows.length ? hbars(rows, rows[0].value, { label: "Techniques les plus fréquentes" })
                                        : empty("Aucune technique relevée dans la sélection."));
  }

  function outletName(name) { return name || "(sans média)"; }

  function drawOutlets(sel) {
    var groups = groupBy(sel.articles, function (a) { return a.outlet; });
    var names = Object.keys(groups).sort(function (a, b) { return groups[b].length - groups[a].length || (a < b ? -1 : 1); });
    if (!names.length) { put("table-outlets", empty()); put("chart-scores", empty()); put("heat", empty()); return; }
    var what = sel.technique ? byId[sel.technique].name : "technique";
    put("table-outlets", table(["Média", "Articles", "Phrases avec " + (sel.technique ? "« " + what + " »" : "une technique"),
                                (sel.technique ? "« " + what + " »" : "Techniques") + " par article", "Sourçage moyen"],
      names.map(function (name) {
        var s = stats(groups[name], sel.technique);
        return [outletName(name), s.articles, percent(s.flagged, s.sentences), number(s.perArticle),
                s.score === null ? "—" : number(s.score, 0)];
      })));
    var scored = names.map(function (name) { return { name: name, s: stats(groups[name], null) }; })
      .filter(function (o) { return o.s.score !== null; })
      .sort(function (a, b) { return a.s.score - b.s.score; });
    put("chart-scores", scored.length ? hbars(scored.map(function (o) {
      var band = bandOf(o.s.score);
      return { label: outletName(o.name), value: o.s.score, colour: band.colour,
               text: number(o.s.score, 0) + " · " + band.name,
               title: outletName(o.name) + " : " + number(o.s.score, 0) + "/100 sur " + o.s.articles + " articles" };
    }), 100, { labelWidth: 210, label: "Score de sourçage par média",
               thresholds: data.bands.filter(function (b) { return b.low > 0; })
                 .map(function (b) { return { value: b.low, label: b.name }; }) })
      : empty("Pas de profil de sourçage dans la sélection."));
    drawHeat(groups, names.slice(0, 14), sel);
  }

  function drawHeat(groups, names, sel) {
    var perOutlet = names.map(function (name) { return stats(groups[name], null).sentences; });
    var shown = techniques.filter(function (t) {
      return (!sel.technique || sel.technique === t.id) && names.some(function (name) {
        return groups[name].some(function (a) { return a.techniques[t.id]; });
      });
    });
    if (!shown.length) { put("heat", empty("Aucune technique relevée dans la sélection.")); return; }
    var shares = shown.map(function (t) {
      return names.map(function (name, i) {
        var n = groups[name].reduce(function (sum, a) { return sum + (a.techniques[t.id] || 0); }, 0);
        return perOutlet[i] ? n / perOutlet[i] : 0;
      });
    });
    var max = Math.max.apply(null, shares.map(function (r) { return Math.max.apply(null, r); }).concat([0.0001]));
    var head = el("tr", {}, [el("th", {}, ["Technique"])].concat(names.map(function (name) {
      return el("th", { "class": "col", title: outletName(name) }, [outletName(name)]);
    })));
    var rows = shown.map(function (t, r) {
      var cells = [el("th", { scope: "row", title: t.definition }, [el("span", { "class": "chip", style: "--c:" + t.colour },
                                                                       [t.name])])];
      shares[r].forEach(function (share) {
        var alpha = Math.round(255 * 0.85 * share / max).toString(16).padStart(2, "0");
        cells.push(el("td", { style: share ? "background:" + t.colour + alpha : "" },
                      [share ? number(100 * share) + "\u202f%" : "·"]));
      });
      return el("tr", {}, cells);
    });
    put("heat", el("table", { "class": "heat" }, [el("thead", {}, [head]), el("tbody", {}, rows)]));
  }

  function drawMonths(sel) {
    var groups = groupBy(sel.articles.filter(function (a) { return a.month; }), function (a) { return a.month; });
    var months = Object.keys(groups).sort();
    if (!months.length) { put("chart-months", empty("Aucun article daté dans la sélection.")); put("table-months", el("div")); return; }
    var colour = sel.technique ? byId[sel.technique].colour : "#3182bd";
    var rows = months.map(function (m) {
      var s = stats(groups[m], sel.technique);
      return { month: m, s: s };
    });
    var what = sel.technique ? "« " + byId[sel.technique].name + " »" : "Techniques";
    put("chart-months", vbars(rows.map(function (r) {
      var parts = r.month.split("-");
      return { label: MONTHS[parseInt(parts[1], 10) - 1], value: r.s.perArticle, text: number(r.s.perArticle),
               sub: [parts[0], r.s.articles + " art."], title: monthName(r.month) + " : " + number(r.s.perArticle) + " par article, " +
               r.s.articles + " articles" };
    }), colour, what + " par article et par mois"));
    put("table-months", table(["Mois", "Articles", "Phrases avec " + (sel.technique ? what : "une technique"),
                               what + " par article"], rows.map(function (r) {
      return [monthName(r.month), r.s.articles, percent(r.s.flagged, r.s.sentences), number(r.s.perArticle)];
    })));
  }

  function filterRows(sel) {
    var kept = {};
    sel.articles.forEach(function (a) { if (!sel.technique || a.techniques[sel.technique]) kept[a.page] = true; });
    var shown = 0;
    document.querySelectorAll("#article-rows tr").forEach(function (row) {
      var link = row.querySelector("a");
      var on = !!kept[link.getAttribute("href")];
      row.hidden = !on;
      shown += on ? 1 : 0;
    });
    document.getElementById("count").textContent = shown + " article" + (shown > 1 ? "s" : "") + " sur " +
      data.articles.length;
  }

  function render() {
    var sel = selection();
    drawTechniques(sel);
    drawOutlets(sel);
    drawMonths(sel);
    filterRows(sel);
  }

  form.addEventListener("change", render);
  form.addEventListener("reset", function () { window.setTimeout(render, 0); });
  render();
})();
