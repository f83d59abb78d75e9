(function () {
  "use strict";
  // Renders from the JSON in #report-data with createElement and textContent only: no value
  // from the estate is ever parsed as HTML. Per-VM parts are built when first needed.
  var byId = function (id) { return document.getElementById(id); };
  var data = JSON.parse(byId("report-data").textContent);
  var VMS = data.vms;
  var RULES = data.rules;
  var LABELS = data.labels;
  var verdict = byId("filter-verdict");
  var rule = byId("filter-rule");
  var text = byId("filter-text");
  var shown = byId("shown-count");
  var tbody = byId("vm-rows");
  var holder = byId("vm-blocks");
  var ruleIndex = {};
  RULES.forEach(function (r, i) { ruleIndex[r[0]] = i; });

  var rows = [];      // per VM index, built on demand
  var blocks = [];
  var filled = [];
  var findingRows = [];  // every finding row built so far (the rule filter hides some)
  var haystacks = null;
  var matches = [];   // VM indexes matching the filters, in report order
  var limit = data.page;
  var extra = [];     // VMs outside the page shown because a link pointed at them
  var ruleCode = "";

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        if (attrs[k] !== null && attrs[k] !== undefined) { e.setAttribute(k, attrs[k]); }
      });
    }
    (children || []).forEach(function (c) {
      e.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return e;
  }

  function rulesOf(i) {
    var seen = {};
    var out = [];
    VMS[i].f.forEach(function (f) {
      var code = RULES[f[0]][0];
      if (!seen[code]) { seen[code] = true; out.push(code); }
    });
    return out.join(" ");
  }

  function num(n) { return el("td", { "class": "n" }, [String(n)]); }

  function badge(kind, value, label) {
    return el("span", { "class": "badge " + kind + "-" + value }, [label]);
  }

  function row(i) {
    if (!rows[i]) {
      var vm = VMS[i];
      rows[i] = el("tr", {
        "class": "vm-row", "data-vm": vm.n, "data-verdict": vm.v, "data-rules": rulesOf(i)
      }, [
        el("td", null, [el("a", { href: "#vm-" + i }, [vm.n])]),
        el("td", null, [vm.rg]),
        el("td", null, [badge("v", vm.v, LABELS[vm.v])]),
        num(vm.c[0]), num(vm.c[1]), num(vm.c[2]), num(vm.c[3])
      ]);
    }
    return rows[i];
  }

  function block(i) {
    if (!blocks[i]) {
      var vm = VMS[i];
      var n = vm.f.length;
      var summary = el("summary", null, [
        el("b", null, [vm.n]), " ", badge("v", vm.v, LABELS[vm.v]), " ",
        el("span", { "class": "muted" }, [n + " finding" + (n === 1 ? "" : "s")])
      ]);
      var b = el("details", {
        "class": "vm v-" + vm.v, id: "vm-" + i, "data-vm": vm.n, "data-verdict": vm.v,
        "data-rules": rulesOf(i)
      }, [summary]);
      summary.addEventListener("click", function () { fill(i); });
      b.addEventListener("toggle", function () { if (b.open) { fill(i); } });
      blocks[i] = b;
    }
    return blocks[i];
  }

  function finding(f) {
    var code = RULES[f[0]][0];
    var first = [badge("o", f[1], f[1])];
    if (f[6] === "new") {
      first.push(" ", el("span", { "class": "badge change-new", title: "not in the baseline" }, ["new"]));
    }
    var message = [f[3]];
    if (f[4]) { message.push(el("div", { "class": "hint" }, ["Hint: " + f[4]])); }
    if (f[5]) { message.push(el("div", { "class": "hint" }, ["Waived: " + f[5]])); }
    var tr = el("tr", {
      "class": "finding o-" + f[1], "data-rule": code, "data-outcome": f[1],
      "data-change": f[6] || null
    }, [
      el("td", null, first),
      el("td", { "class": "rule" }, [el("a", { href: "#rule-" + code }, [code]), " " + RULES[f[0]][1]]),
      f[2] ? el("td", { "class": "rid" }, [f[2]]) : el("td", { "class": "rid rid-vm" }, ["(the VM)"]),
      el("td", null, message)
    ]);
    tr.hidden = !!ruleCode && code !== ruleCode;
    findingRows.push(tr);
    return tr;
  }

  function codes(list) {
    return list.map(function (r) { return RULES[r][0]; }).join(", ");
  }

  function fill(i) {
    if (filled[i]) { return; }
    filled[i] = true;
    var vm = VMS[i];
    var b = block(i);
    b.appendChild(el("p", { "class": "rid" }, [vm.id]));
    if (vm.f.length) {
      var head = el("tr", null, ["Outcome", "Rule", "Target", "Message"].map(function (h) {
        return el("th", null, [h]);
      }));
      b.appendChild(el("table", { "class": "findings" }, [
        el("thead", null, [head]), el("tbody", null, vm.f.map(finding))
      ]));
    }
    if (vm.p.length) {
      b.appendChild(el("p", { "class": "codes" }, [el("b", null, ["Passed:"]), " " + codes(vm.p)]));
    }
    vm.s.forEach(function (s) {
      b.appendChild(el("p", { "class": "codes" }, [
        el("b", null, ["Skipped"]), " (" + s[0] + "): " + codes(s[1])
      ]));
    });
  }

  function haystack(vm) {
    var parts = [vm.n, vm.id, vm.rg, LABELS[vm.v]];
    vm.f.forEach(function (f) {
      parts.push(f[1], RULES[f[0]][0], RULES[f[0]][1], f[2] || "(the VM)", f[3], f[4], f[5], f[6]);
    });
    parts.push(codes(vm.p));
    vm.s.forEach(function (s) { parts.push(s[0], codes(s[1])); });
    return parts.join("\n").toLowerCase();
  }

  function hasRule(vm, index) {
    for (var j = 0; j < vm.f.length; j++) {
      if (vm.f[j][0] === index) { return true; }
    }
    return false;
  }

  function more(box, ids) {
    var n = Math.min(matches.length, limit);
    box.hidden = n >= matches.length;
    box.textContent = "";
    if (box.hidden) { return; }
    var step = Math.min(data.page, matches.length - n);
    var next = el("button", { type: "button", id: ids ? "show-more" : null }, ["Show " + step + " more"]);
    var all = el("button", { type: "button", id: ids ? "show-all" : null }, ["Show all " + matches.length]);
    next.addEventListener("click", function () { limit += data.page; show(); });
    all.addEventListener("click", function () { limit = matches.length; show(); });
    box.append("Showing " + n + " of " + matches.length + " matching VMs. ", next, " ", all);
  }

  function show() {
    var n = Math.min(matches.length, limit);
    var rowsHere = document.createDocumentFragment();
    var blocksHere = document.createDocumentFragment();
    var inPage = {};
    for (var k = 0; k < n; k++) {
      var i = matches[k];
      inPage[i] = true;
      rowsHere.appendChild(row(i));
      blocksHere.appendChild(block(i));
    }
    extra.forEach(function (i) { if (!inPage[i]) { blocksHere.appendChild(block(i)); } });
    tbody.textContent = "";
    tbody.appendChild(rowsHere);
    holder.textContent = "";
    holder.appendChild(blocksHere);
    // beyond a page, blocks off screen skip layout (keeps "show all" + "expand all" usable)
    holder.classList.toggle("many", holder.children.length > data.page);
    more(byId("more-vms"), true);
    more(byId("more-blocks"), false);
    shown.textContent = String(matches.length);
    shown.setAttribute("data-count", String(matches.length));
  }

  function apply() {
    var v = verdict.value;
    var t = text.value.trim().toLowerCase();
    ruleCode = rule.value;
    var r = ruleCode ? ruleIndex[ruleCode] : -1;
    if (t && haystacks === null) { haystacks = VMS.map(haystack); }
    matches = [];
    for (var i = 0; i < VMS.length; i++) {
      var vm = VMS[i];
      if ((!v || vm.v === v) && (!ruleCode || hasRule(vm, r)) &&
          (!t || haystacks[i].indexOf(t) >= 0)) {
        matches.push(i);
      }
    }
    findingRows.forEach(function (tr) {
      tr.hidden = !!ruleCode && tr.getAttribute("data-rule") !== ruleCode;
    });
    limit = data.page;
    extra = [];
    show();
  }

  var timer = null;
  function later() {
    if (timer !== null) { clearTimeout(timer); }
    timer = setTimeout(apply, 150);
  }

  function setOpen(open) {
    Array.prototype.forEach.call(holder.children, function (b) {
      if (open) { fill(Number(b.id.slice(3))); }
      b.open = open;
    });
  }

  // Each rule's affected VMs, worst outcome first, the first time it is opened.
  var ruleFilled = {};
  function affected(details) {
    var code = details.getAttribute("data-rule");
    var index = ruleIndex[code];
    if (ruleFilled[code] || index === undefined) { return; }
    ruleFilled[code] = true;
    var by = {};
    data.outcomes.forEach(function (o) { by[o] = []; });
    VMS.forEach(function (vm, i) {
      vm.f.forEach(function (f) {
        var list = by[f[1]];
        if (f[0] === index && list && list[list.length - 1] !== i) { list.push(i); }
      });
    });
    var doc = details.querySelector(".doc");
    data.outcomes.forEach(function (o) {
      if (!by[o].length) { return; }
      var p = el("p", { "class": "affected" }, [badge("o", o, o), " "]);
      by[o].forEach(function (i, k) {
        if (k) { p.append(", "); }
        p.appendChild(el("a", { href: "#vm-" + i }, [VMS[i].n]));
      });
      details.insertBefore(p, doc);
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll("details.rule"), function (d) {
    d.querySelector("summary").addEventListener("click", function () { affected(d); });
    d.addEventListener("toggle", function () { if (d.open) { affected(d); } });
  });

  // Following a link to a VM or rule opens it (a VM outside the page is added to it).
  function follow() {
    var id;
    try { id = decodeURIComponent(location.hash.slice(1)); } catch (e) { return; }
    var vm = /^vm-(\d+)$/.exec(id);
    var added = false;
    if (vm && Number(vm[1]) < VMS.length) {
      var i = Number(vm[1]);
      if (!block(i).isConnected) { extra.push(i); show(); added = true; }
      fill(i);
    }
    var target = byId(id);
    if (target && target.tagName === "DETAILS") {
      target.open = true;
      if (added) { target.scrollIntoView(); }
    }
  }

  verdict.addEventListener("change", apply);
  rule.addEventListener("change", apply);
  text.addEventListener("input", later);
  byId("expand-all").addEventListener("click", function () { setOpen(true); });
  byId("collapse-all").addEventListener("click", function () { setOpen(false); });
  window.addEventListener("hashchange", follow);

  byId("filters").hidden = false;
  // Anchored targets scroll to just below the sticky bar (CSS scroll-margin-top uses --bar).
  function barHeight() {
    document.documentElement.style.setProperty("--bar", byId("filters").offsetHeight + "px");
  }
  barHeight();
  window.addEventListener("resize", barHeight);
  byId("vm-table").hidden = false;
  byId("by-vm").hidden = false;
  for (var i = 0; i < VMS.length; i++) { matches.push(i); }
  show();
  if (data.openNotReady) {
    matches.forEach(function (j) {
      if (VMS[j].v === "not-ready") { fill(j); block(j).open = true; }
    });
  }
  if (location.hash) { follow(); }
})();
